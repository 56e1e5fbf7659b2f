"""Karaoke caption bands: one cue's words, with the spoken word highlighted.

The compositor asks for a highlight every time the active word changes (150-200
times per minute of video, per format), so the work is split: the layout and an
image of the cue with no word active are cached per cue, and a highlight is only
the pill and the active word drawn on a crop of that image
(:func:`highlight_patch`); the compositor composes the plain band once per cue
and then re-converts just the patch's box for each word. Only the band is drawn,
never a full frame.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw

from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.theme import (
    CAPTION_OUTLINE,
    CAPTION_TEXT,
    RGB,
    Box,
    layout,
    resolve_accent,
    text_on,
)

log = logging.getLogger(__name__)

ROLE = "bold"
PLATE_RGBA = (6, 8, 16, 150)
"""Translucent plate behind the words: readable over any slide, slide still visible."""
MAX_LINES = 2
LINE_SPACING = 1.28


@dataclass(frozen=True)
class PlacedWord:
    index: int
    text: str
    x: float
    y: float
    """Top of the line box, in band coordinates."""
    w: float


@dataclass(frozen=True)
class CaptionLayout:
    size: int
    words: tuple[PlacedWord, ...]
    plate: tuple[int, int, int, int]
    """Plate rectangle in band coordinates (x0, y0, x1, y1); empty when no words."""
    width: int
    height: int


def caption_box(fmt: str) -> Box:
    """Where the band goes in a frame of ``fmt``."""
    return layout(fmt).caption


def _pill_pad(size: int) -> tuple[int, int]:
    return (max(6, round(size * 0.18)), max(3, round(size * 0.10)))


def _gap(size: int) -> float:
    """Space between words: wide enough that the active word's pill never covers a neighbour."""
    return max(fonts.text_width(" ", ROLE, size), 2 * _pill_pad(size)[0] + 4)


def _pack(words: Sequence[str], size: int, max_w: float) -> list[list[int]]:
    """Greedy line filling by word index."""
    space = _gap(size)
    lines: list[list[int]] = []
    used = 0.0
    for i, word in enumerate(words):
        w = fonts.text_width(word, ROLE, size)
        if lines and lines[-1] and used + space + w <= max_w:
            lines[-1].append(i)
            used += space + w
        else:
            lines.append([i])
            used = w
    return lines


def _fits(words: Sequence[str], lines: list[list[int]], size: int, max_w: float) -> bool:
    return all(fonts.text_width(words[i], ROLE, size) <= max_w for line in lines for i in line)


@lru_cache(maxsize=512)
def layout_caption(words: tuple[str, ...], fmt: str) -> CaptionLayout:
    """Font size and word positions: the largest size that fits two lines (three at the
    smallest size, then words that still do not fit are left out)."""
    lay = layout(fmt)
    box = lay.caption
    pad_x, pad_y = _pill_pad(lay.caption_size)
    plate_pad = pad_x + 14
    max_w = box.w - 2 * plate_pad
    sizes = list(range(lay.caption_size, lay.caption_min - 1, -4))
    if sizes[-1] != lay.caption_min:
        sizes.append(lay.caption_min)
    size = sizes[-1]
    lines: list[list[int]] = []
    for size in sizes:
        lines = _pack(words, size, max_w)
        if len(lines) <= MAX_LINES and _fits(words, lines, size, max_w):
            break
    else:
        widest_word = max((fonts.text_width(w, ROLE, size) for w in words), default=0.0)
        if widest_word > max_w:  # one very long token: shrink below the minimum for this cue
            size = max(12, int(size * max_w / widest_word))
            lines = _pack(words, size, max_w)
        lh = round(size * LINE_SPACING)
        max_lines = max(1, (box.h - 2 * pad_y) // lh)
        if len(lines) > max_lines:
            log.debug("caption cue too long; %d lines left out", len(lines) - max_lines)
            lines = lines[:max_lines]
    if not words:
        return CaptionLayout(size, (), (0, 0, 0, 0), box.w, box.h)
    lh = round(size * LINE_SPACING)
    text_h = round(size * 1.17)
    block_h = (len(lines) - 1) * lh + text_h
    top = (box.h - block_h) / 2
    space = _gap(size)
    placed: list[PlacedWord] = []
    widest = 0.0
    for li, line in enumerate(lines):
        widths = [fonts.text_width(words[i], ROLE, size) for i in line]
        line_w = sum(widths) + space * (len(line) - 1)
        widest = max(widest, min(line_w, max_w))
        x = (box.w - line_w) / 2
        y = top + li * lh
        for i, w in zip(line, widths, strict=True):
            placed.append(PlacedWord(i, words[i], x, y, w))
            x += w + space
    plate = (
        max(0, round((box.w - widest) / 2 - plate_pad)),
        max(0, round(top - pad_y - 10)),
        min(box.w, round((box.w + widest) / 2 + plate_pad)),
        min(box.h, round(top + block_h + pad_y + 10)),
    )
    return CaptionLayout(size, tuple(placed), plate, box.w, box.h)


@lru_cache(maxsize=32)
def _base_band(words: tuple[str, ...], fmt: str) -> Image.Image:
    """The cue with no word highlighted: plate plus outlined white words."""
    lay = layout_caption(words, fmt)
    img = Image.new("RGBA", (lay.width, lay.height), (0, 0, 0, 0))
    if not lay.words:
        return img
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle(lay.plate, radius=max(12, lay.size // 3), fill=PLATE_RGBA)
    stroke = max(2, lay.size // 16)
    for word in lay.words:
        fonts.draw_text(
            draw,
            (word.x, word.y),
            word.text,
            ROLE,
            lay.size,
            CAPTION_TEXT + (255,),
            stroke_width=stroke,
            stroke_fill=CAPTION_OUTLINE + (255,),
        )
    return img


def render_caption_band(
    words: Sequence[str],
    active: int | None,
    fmt: str,
    *,
    accent: str | None = None,
    repo_name: str = "",
) -> Image.Image:
    """The caption band (RGBA, the size of the layout's caption box) for one cue.

    ``active`` is the index of the word being spoken (``None``: no highlight).
    The active word sits on an accent-coloured pill in a contrasting colour; the
    others are white with a dark outline on a translucent plate.
    """
    key = _key(words)
    img = _base_band(key, fmt).copy()
    highlight = highlight_patch(key, active, fmt, accent=accent, repo_name=repo_name)
    if highlight is not None:
        patch, box = highlight
        img.paste(patch, box[:2])
    return img


def highlight_patch(
    words: Sequence[str],
    active: int | None,
    fmt: str,
    *,
    accent: str | None = None,
    repo_name: str = "",
) -> tuple[Image.Image, tuple[int, int, int, int]] | None:
    """The only part of the band that highlighting word ``active`` changes.

    Returns the RGBA patch and its box ``(x0, y0, x1, y1)`` in band coordinates:
    the band with the highlight is the plain band (``active=None``) with this
    patch pasted (replacing pixels) at the box. ``None`` when nothing changes (no
    active word, or a word left out of an over-long cue). The compositor
    re-converts only this box for each spoken word, a few percent of the band.
    """
    key = _key(words)
    if active is None or not (0 <= active < len(key)):
        return None
    lay = layout_caption(key, fmt)
    placed = next((w for w in lay.words if w.index == active), None)
    if placed is None:  # the word was left out of an over-long cue
        return None
    box = _highlight_box(placed, lay)
    patch = _base_band(key, fmt).crop(box)
    color = resolve_accent(accent, repo_name)
    _draw_active(ImageDraw.Draw(patch), placed, lay.size, color, origin=box[:2])
    return patch, box


def _key(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(w).strip() or "·" for w in words)


def _pill(word: PlacedWord, size: int) -> tuple[int, int, int, int]:
    pad_x, pad_y = _pill_pad(size)
    text_h = round(size * 1.17)
    return (
        round(word.x - pad_x),
        round(word.y - pad_y),
        round(word.x + word.w + pad_x),
        round(word.y + text_h + pad_y),
    )


def _highlight_box(word: PlacedWord, lay: CaptionLayout) -> tuple[int, int, int, int]:
    """The pill with a margin for glyphs that overhang it, clipped to the band."""
    x0, y0, x1, y1 = _pill(word, lay.size)
    margin = max(2, lay.size // 8)
    return (
        max(0, x0 - margin),
        max(0, y0 - margin),
        min(lay.width, x1 + margin + 1),
        min(lay.height, y1 + margin + 1),
    )


def _draw_active(
    draw: ImageDraw.ImageDraw,
    word: PlacedWord,
    size: int,
    accent: RGB,
    origin: tuple[int, int] = (0, 0),
) -> None:
    """The pill and the active word, drawn on an image whose top-left is ``origin`` of the band
    (whole pixels, so the glyphs rasterise exactly as on the full band)."""
    ox, oy = origin
    x0, y0, x1, y1 = _pill(word, size)
    draw.rounded_rectangle(
        (x0 - ox, y0 - oy, x1 - ox, y1 - oy), radius=max(8, size // 4), fill=accent + (255,)
    )
    fonts.draw_text(
        draw, (word.x - ox, word.y - oy), word.text, ROLE, size, text_on(accent) + (255,)
    )
