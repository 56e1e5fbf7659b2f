"""Where a slide is drawn: the background, the chrome strip, window cards, and the
recorder that lets a layout be measured before it is drawn."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.theme import (
    BG_BOTTOM,
    BG_TOP,
    CARD,
    CARD_BORDER,
    MUTED,
    RGB,
    TERMINAL_BAR,
    Box,
    Layout,
    accent_marker,
    mix,
)

SUBTLE: RGB = (205, 211, 228)
WINDOW_DOTS: tuple[RGB, ...] = ((255, 95, 86), (255, 189, 46), (39, 201, 63))


class Recorder:
    """Stands in for ``ImageDraw`` and records calls, so a layout can be measured first.

    Layouts draw top-aligned and return their bottom edge; the slide is then
    replayed shifted down so the block sits centred in the content box. Only the
    drawing methods the layouts use are supported.
    """

    def __init__(self) -> None:
        self.ops: list[tuple[str, Any, tuple[Any, ...], dict[str, Any]]] = []

    def _record(self, name: str, xy: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.ops.append((name, xy, args, kwargs))

    def text(self, xy: Any, *args: Any, **kwargs: Any) -> None:
        self._record("text", xy, args, kwargs)

    def rectangle(self, xy: Any, *args: Any, **kwargs: Any) -> None:
        self._record("rectangle", xy, args, kwargs)

    def rounded_rectangle(self, xy: Any, *args: Any, **kwargs: Any) -> None:
        self._record("rounded_rectangle", xy, args, kwargs)

    def ellipse(self, xy: Any, *args: Any, **kwargs: Any) -> None:
        self._record("ellipse", xy, args, kwargs)

    def line(self, xy: Any, *args: Any, **kwargs: Any) -> None:
        self._record("line", xy, args, kwargs)

    def polygon(self, xy: Any, *args: Any, **kwargs: Any) -> None:
        """``xy`` flat: ``(x0, y0, x1, y1, ...)``."""
        self._record("polygon", xy, args, kwargs)

    def paste(self, image: Image.Image, xy: tuple[int, int], mask: Any = None) -> None:
        """Paste a picture (replayed onto the slide image itself)."""
        self._record("paste", xy, (image, mask), {})

    def replay(self, draw: ImageDraw.ImageDraw, dy: int, img: Image.Image | None = None) -> None:
        for name, xy, args, kwargs in self.ops:
            moved = tuple(v + dy if i % 2 else v for i, v in enumerate(xy))
            if name == "paste":
                if img is not None:
                    picture, mask = args
                    img.paste(picture, (int(moved[0]), int(moved[1])), mask)
                continue
            getattr(draw, name)(moved, *args, **kwargs)


@dataclass
class DrawContext:
    """What a layout draws with: the slide, the drawer (real or recording), the
    format's layout and the accent colour."""

    img: Image.Image
    draw: Any
    """An ``ImageDraw`` or a :class:`Recorder`."""
    lay: Layout
    accent: RGB
    steps: list[dict[str, Any]] | None = None
    """Motion steps the layout marks (see :func:`mark_step`); ``None``: not collected."""


_KEYWORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]+")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "into",
        "your",
        "you",
        "are",
        "its",
        "has",
        "have",
        "not",
        "all",
        "any",
        "one",
        "two",
        "per",
        "via",
        "out",
        "use",
        "run",
        "get",
        "set",
        "new",
    ]
)


def keywords_of(*texts: str) -> list[str]:
    """The words a narrator would say for ``texts`` (lowercase, no stop words), split at
    ``_ - . /`` and camelCase: what a motion step waits for in the word timings."""
    out: list[str] = []
    for text in texts:
        spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(text))
        for word in _KEYWORD_RE.findall(spaced):
            word = word.lower()
            if len(word) >= 3 and word not in _STOP and word not in out:
                out.append(word)
    return out


def mark_step(
    ctx: DrawContext,
    kind: str,
    box: tuple[float, float, float, float],
    keywords: list[str],
    *,
    fill: RGB | None = None,
) -> None:
    """Mark a motion step: ``reveal`` (``box`` appears when the narration reaches it) or
    ``spot`` (``box`` is highlighted while it is being talked about).

    ``box`` is ``(x0, y0, x1, y1)`` in layout coordinates (before the slide is centred);
    :func:`~.scene.render_slide_motion` shifts it with the drawing. A reveal inside a card
    gives the card's ``fill``: until it happens the box shows that colour, not the
    slide's background.
    """
    if ctx.steps is None:
        return
    x0, y0, x1, y1 = (round(v) for v in box)
    step: dict[str, Any] = {"kind": kind, "box": [x0, y0, x1, y1], "keywords": keywords[:12]}
    if fill is not None:
        step["fill"] = list(fill)
    ctx.steps.append(step)


@lru_cache(maxsize=16)
def _background_array(width: int, height: int, accent: RGB) -> np.ndarray:
    top = np.array(mix(BG_TOP, accent, 0.10), dtype=np.float32)
    bottom = np.array(BG_BOTTOM, dtype=np.float32)
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    column = top * (1.0 - t) + bottom * t
    arr = np.broadcast_to(column[:, None, :], (height, width, 3))
    out = np.ascontiguousarray(np.rint(arr).astype(np.uint8))
    out.setflags(write=False)
    return out


def render_background(size: tuple[int, int], accent: RGB) -> Image.Image:
    """The empty slide: a vertical gradient tinted with the accent at the top.

    Exposed so tests can tell drawn pixels from background pixels.
    """
    return Image.fromarray(_background_array(size[0], size[1], accent)).copy()


def background_crop(
    size: tuple[int, int], accent: RGB, box: tuple[int, int, int, int]
) -> Image.Image:
    """``box`` (x0, y0, x1, y1) of the empty slide: what a hidden reveal shows. Copies
    only the box, not the whole frame (the compositor asks for it per motion stage)."""
    x0, y0, x1, y1 = box
    array = _background_array(size[0], size[1], accent)
    return Image.fromarray(np.ascontiguousarray(array[y0:y1, x0:x1]))


def draw_chrome(ctx: DrawContext, repo_name: str, scene_index: int, scene_count: int) -> None:
    """Repository name and a segmented progress bar, in the layout's chrome strip."""
    box = ctx.lay.chrome
    size = ctx.lay.small_size
    count = max(1, scene_count)
    current = min(max(scene_index, 0), count - 1)
    seg_w, gap, bar_h = (34, 8, 8) if count <= 12 else (14, 4, 8)
    bar_w = count * seg_w + (count - 1) * gap
    label = f"{current + 1}/{count}"
    label_w = fonts.text_width(label, "bold", size)
    right = box.right
    bar_y = box.y + (box.h - bar_h) // 2
    x0 = right - bar_w
    for i in range(count):
        color = ctx.accent if i <= current else mix(CARD, CARD_BORDER, 0.5)
        sx = x0 + i * (seg_w + gap)
        ctx.draw.rounded_rectangle(
            (sx, bar_y, sx + seg_w, bar_y + bar_h), radius=bar_h // 2, fill=color
        )
    text_y = box.y + (box.h - round(size * 1.16)) // 2
    label_x = x0 - 16 - label_w
    fonts.draw_text(ctx.draw, (label_x, text_y), label, "bold", size, MUTED)
    name_w = max(0, label_x - 24 - box.x - size)
    dot = size // 3
    mx, cy = accent_marker(ctx.lay.fmt)
    ctx.draw.ellipse((mx - dot, cy - dot, mx + dot, cy + dot), fill=ctx.accent)
    name = fonts.ellipsize(repo_name, "bold", size, name_w)
    fonts.draw_text(ctx.draw, (box.x + 2 * dot + 14, text_y), name, "bold", size, SUBTLE)


def draw_window(ctx: DrawContext, box: Box, bg: RGB, title: str = "") -> Box:
    """A terminal/editor card with a title bar; returns the inner box for content."""
    lay = ctx.lay
    r = lay.radius
    bar_h = 60 if lay.fmt == "reel" else 56
    ctx.draw.rounded_rectangle(box.as_xyxy(), radius=r, fill=bg, outline=CARD_BORDER, width=2)
    ctx.draw.rounded_rectangle(
        (box.x + 1, box.y + 1, box.right - 1, box.y + bar_h), radius=r, fill=TERMINAL_BAR
    )
    ctx.draw.rectangle(
        (box.x + 1, box.y + bar_h - r, box.right - 1, box.y + bar_h), fill=TERMINAL_BAR
    )
    dot_r = 9
    cy = box.y + bar_h // 2
    for i, color in enumerate(WINDOW_DOTS):
        cx = box.x + 32 + i * 30
        ctx.draw.ellipse((cx - dot_r, cy - dot_r, cx + dot_r, cy + dot_r), fill=color)
    if title:
        size = lay.small_size - 4 if lay.fmt == "reel" else lay.small_size
        tx = box.x + 32 + 3 * 30 + 12
        title = fonts.ellipsize(title, "mono", size, box.right - 24 - tx)
        ty = cy - round(size * 1.17) // 2
        fonts.draw_text(ctx.draw, (tx, ty), title, "mono", size, MUTED)
    pad = 28
    return Box(box.x + pad, box.y + bar_h + pad - 4, box.w - 2 * pad, box.h - bar_h - 2 * pad + 4)
