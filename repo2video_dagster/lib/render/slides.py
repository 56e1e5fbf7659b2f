"""Slide images (one per scene and format) and the thumbnail, drawn with Pillow.

Every layout is filled from the repository's own content (names, README text,
real commands and code), so the renderer's job is to make arbitrary text fit:
names wrap at ``/ _ - .`` and camelCase, paragraphs shrink then end in "…",
code and trees pick the largest monospace size that fits. All text stays inside
:attr:`Layout.safe` and out of the caption band, which the compositor fills.
"""

from __future__ import annotations

import logging
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from repo2video_dagster.lib.core.records import VisualSpec, format_share
from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.theme import (
    BG_BOTTOM,
    BG_TOP,
    CARD,
    CARD_BORDER,
    CODE_BG,
    MUTED,
    RGB,
    TERMINAL_BAR,
    TERMINAL_BG,
    TEXT,
    THUMBNAIL_SIZE,
    Box,
    Layout,
    accent_marker,
    hex_to_rgb,
    layout,
    luminance,
    mix,
    resolve_accent,
)

log = logging.getLogger(__name__)

SUBTLE: RGB = (205, 211, 228)
WINDOW_DOTS: tuple[RGB, ...] = ((255, 95, 86), (255, 189, 46), (39, 201, 63))
CODE_STYLE = "monokai"
MAX_CODE_LINES = 16
MAX_TREE_LINES = 18
MAX_BULLETS = 5
MAX_LANGUAGES = 6
VERTICAL_BIAS = 0.45
"""Where a short slide body sits in the free space: 0 top, 0.5 centred."""

# A few well-known language colours (GitHub linguist), so bars look familiar.
LANGUAGE_COLORS: dict[str, str] = {
    "python": "#3572A5",
    "javascript": "#f1e05a",
    "typescript": "#3178c6",
    "go": "#00ADD8",
    "rust": "#dea584",
    "java": "#b07219",
    "kotlin": "#A97BFF",
    "c": "#555555",
    "c++": "#f34b7d",
    "c#": "#178600",
    "ruby": "#701516",
    "php": "#4F5D95",
    "shell": "#89e051",
    "html": "#e34c26",
    "css": "#563d7c",
    "swift": "#F05138",
    "markdown": "#083fa1",
    "jupyter notebook": "#DA5B0B",
    "scala": "#c22d40",
    "dart": "#00B4AB",
    "lua": "#000080",
    "haskell": "#5e5086",
    "elixir": "#6e4a7e",
    "yaml": "#cb171e",
    "json": "#292929",
    "toml": "#9c4221",
    "other": "#8b93a7",
}
_FALLBACK_BAR_COLORS = ("#22d3ee", "#a78bfa", "#f472b6", "#34d399", "#fbbf24", "#60a5fa")


class _Recorder:
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

    def replay(self, draw: ImageDraw.ImageDraw, dy: int) -> None:
        for name, xy, args, kwargs in self.ops:
            moved = tuple(v + dy if i % 2 else v for i, v in enumerate(xy))
            getattr(draw, name)(moved, *args, **kwargs)


@dataclass
class _Ctx:
    img: Image.Image
    draw: Any
    """An ``ImageDraw`` or a :class:`_Recorder`."""
    lay: Layout
    accent: RGB


# --------------------------------------------------------------------------- chrome


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


def _draw_chrome(ctx: _Ctx, repo_name: str, scene_index: int, scene_count: int) -> None:
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


# --------------------------------------------------------------------------- helpers


def _lh(size: int, spacing: float = 1.22) -> int:
    return round(size * spacing)


def _block_height(n_lines: int, size: int, spacing: float = 1.22) -> int:
    if n_lines <= 0:
        return 0
    return (n_lines - 1) * _lh(size, spacing) + round(size * 1.17)


def _draw_lines(
    ctx: _Ctx,
    lines: Sequence[str],
    x: float,
    y: float,
    role: str,
    size: int,
    fill: RGB,
    *,
    width: float | None = None,
    align: str = "left",
    spacing: float = 1.22,
) -> float:
    """Draw lines top-down; returns the y just below the block."""
    for i, line in enumerate(lines):
        lx = x
        if align == "center" and width is not None:
            lx = x + (width - fonts.text_width(line, role, size)) / 2
        fonts.draw_text(ctx.draw, (lx, y + i * _lh(size, spacing)), line, role, size, fill)
    return y + _block_height(len(lines), size, spacing)


def _fit_wrapped(
    text: str,
    role: str,
    sizes: Sequence[int],
    max_width: float,
    max_lines: int,
) -> tuple[int, list[str]]:
    """The largest size at which ``text`` wraps into ``max_lines``; else the smallest, clamped."""
    lines: list[str] = []
    for size in sizes:
        lines = fonts.wrap_text(text, role, size, max_width)
        if len(lines) <= max_lines:
            return size, lines
    size = sizes[-1]
    return size, fonts.clamp_lines(lines, max_lines, role, size, max_width)


def _sizes(start: int, stop: int, step: int = 4) -> list[int]:
    sizes = list(range(start, stop - 1, -step))
    if not sizes or sizes[-1] != stop:
        sizes.append(stop)
    return sizes


def _heading(ctx: _Ctx, text: str, box: Box) -> float:
    """Bold heading (up to 2 lines, shrinking) and an accent rule; returns y below it."""
    lay = ctx.lay
    if not text.strip():
        return box.y
    size, lines = _fit_wrapped(
        text.strip(), "bold", _sizes(lay.heading_size, lay.body_size + 8), box.w, 2
    )
    y = _draw_lines(ctx, lines, box.x, box.y, "bold", size, TEXT)
    rule_y = round(y + size * 0.35)
    ctx.draw.rounded_rectangle((box.x, rule_y, box.x + 96, rule_y + 8), radius=4, fill=ctx.accent)
    return rule_y + 8 + round(lay.body_size * 0.9)


def _window(ctx: _Ctx, box: Box, bg: RGB, title: str = "") -> Box:
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


def _data_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _get(item: Any, key: str, default: Any = None) -> Any:
    """Read a field from a dict or a record (``LanguageShare`` and friends)."""
    if isinstance(item, dict):
        return item.get(key, default)
    return getattr(item, key, default)


# --------------------------------------------------------------------------- title


_NAME_BREAK_RE = re.compile(r"[^/_\-.\s]*[/_\-.]+|\s+|[^/_\-.\s]+")
_CAMEL_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])|[^A-Za-z0-9]+")


def name_tokens(name: str) -> list[str]:
    """Break opportunities in a repository name: after ``/ _ - .`` and at camelCase humps."""
    tokens: list[str] = []
    for piece in _NAME_BREAK_RE.findall(name):
        if piece.isspace():
            tokens.append(" ")
            continue
        head = piece.rstrip("/_-.")
        tail = piece[len(head) :]
        parts = _CAMEL_RE.findall(head) if head else []
        if "".join(parts) != head:
            parts = [head]
        tokens.extend(parts[:-1])
        tokens.append((parts[-1] if parts else "") + tail)
    return [t for t in tokens if t]


def fit_name(
    name: str, sizes: Sequence[int], max_width: float, max_lines: int = 3
) -> tuple[int, list[str]]:
    """The largest bold size at which ``name`` fits ``max_lines`` lines of ``max_width``."""
    tokens = name_tokens(name.strip())
    lines: list[str] = []
    for size in sizes:
        lines = fonts.wrap_tokens(tokens, "bold", size, max_width)
        if len(lines) <= max_lines:
            return size, lines
    size = sizes[-1]
    return size, fonts.clamp_lines(lines, max_lines, "bold", size, max_width)


def _badge_rows(
    badges: Sequence[str], size: int, max_width: float, pad_x: int, gap: int
) -> list[list[tuple[str, float]]]:
    rows: list[list[tuple[str, float]]] = [[]]
    used = 0.0
    for badge in badges:
        text = fonts.ellipsize(str(badge).strip(), "bold", size, max_width - 2 * pad_x)
        w = fonts.text_width(text, "bold", size) + 2 * pad_x
        if rows[-1] and used + gap + w > max_width:
            rows.append([])
            used = 0.0
        used += (gap if rows[-1] else 0) + w
        rows[-1].append((text, w))
    return [r for r in rows if r]


def _draw_badges(
    ctx: _Ctx, rows: list[list[tuple[str, float]]], x: float, y: float, size: int, pad_x: int
) -> float:
    pill_h = round(size * 1.9)
    gap = round(size * 0.45)
    for row in rows:
        bx = x
        for text, w in row:
            ctx.draw.rounded_rectangle(
                (bx, y, bx + w, y + pill_h),
                radius=pill_h // 2,
                fill=mix(CARD, ctx.accent, 0.16),
                outline=ctx.accent,
                width=3,
            )
            ty = y + (pill_h - round(size * 1.17)) / 2
            fonts.draw_text(ctx.draw, (bx + pad_x, ty), text, "bold", size, TEXT)
            bx += w + gap
        y += pill_h + gap
    return y - gap


def _badges_height(rows: list[list[tuple[str, float]]], size: int) -> int:
    if not rows:
        return 0
    pill_h = round(size * 1.9)
    return len(rows) * pill_h + (len(rows) - 1) * round(size * 0.45)


def _layout_title(ctx: _Ctx, data: dict[str, Any]) -> float:
    lay = ctx.lay
    box = lay.content
    title = str(data.get("title") or "").strip() or "untitled"
    subtitle = str(data.get("subtitle") or "").strip()
    badges = [str(b) for b in _data_list(data.get("badges")) if str(b).strip()][:6]

    b_size = lay.small_size + 2
    pad_x = round(b_size * 0.8)
    gap = round(lay.body_size * 1.0)
    rule_h = 10
    s_size = lay.body_size
    # Shrink step by step until the block fits: title size, subtitle lines, badge rows.
    attempts = [
        (lay.title_size, 4, 2),
        (lay.title_size, 3, 1),
        (round(lay.title_size * 0.8), 3, 1),
        (lay.title_min + 8, 2, 1),
        (lay.title_min, 2, 1),
    ]
    for t_max, s_max, b_max in attempts:
        t_size, t_lines = fit_name(
            title, _sizes(t_max, lay.title_min, 6), box.w, 4 if lay.fmt == "reel" else 3
        )
        s_lines = fonts.clamp_lines(
            fonts.wrap_text(subtitle, "sans", s_size, box.w), s_max, "sans", s_size, box.w
        )
        rows = _badge_rows(badges, b_size, box.w, pad_x, round(b_size * 0.45))[:b_max]
        parts = [
            _block_height(len(t_lines), t_size, 1.08),
            rule_h,
            _block_height(len(s_lines), s_size, 1.3),
            _badges_height(rows, b_size),
        ]
        used = [p for p in parts if p]
        if sum(used) + gap * (len(used) - 1) <= box.h:
            break

    y: float = box.y
    y = _draw_lines(ctx, t_lines, box.x, y, "bold", t_size, TEXT, spacing=1.08) + gap
    ctx.draw.rounded_rectangle((box.x, y, box.x + 140, y + rule_h), radius=5, fill=ctx.accent)
    y += rule_h + gap
    if s_lines:
        y = _draw_lines(ctx, s_lines, box.x, y, "sans", s_size, SUBTLE, spacing=1.3) + gap
    if rows:
        return _draw_badges(ctx, rows, box.x, y, b_size, pad_x)
    return y - gap


# --------------------------------------------------------------------------- overview


def _layout_overview(ctx: _Ctx, data: dict[str, Any]) -> float:
    lay = ctx.lay
    box = lay.content
    y = _heading(ctx, str(data.get("heading") or ""), box)
    bullets = [str(b).strip() for b in _data_list(data.get("bullets")) if str(b).strip()]
    bullets = bullets[:MAX_BULLETS]
    if not bullets:
        return y
    pad = 26
    strip = 10
    gap = 22
    text_w = box.w - 2 * pad - strip
    avail = box.bottom - y
    chosen: list[list[str]] = []
    size = lay.body_size
    for size in _sizes(lay.body_size, lay.body_min, 2):
        chosen = [
            fonts.clamp_lines(fonts.wrap_text(b, "sans", size, text_w), 3, "sans", size, text_w)
            for b in bullets
        ]
        total = sum(_block_height(len(c), size) + 2 * pad for c in chosen) + gap * (len(chosen) - 1)
        if total <= avail:
            break
    while len(chosen) > 1:
        total = sum(_block_height(len(c), size) + 2 * pad for c in chosen) + gap * (len(chosen) - 1)
        if total <= avail:
            break
        chosen.pop()
    for lines in chosen:
        h = _block_height(len(lines), size) + 2 * pad
        ctx.draw.rounded_rectangle(
            (box.x, y, box.right, y + h),
            radius=lay.radius // 2,
            fill=CARD,
            outline=CARD_BORDER,
            width=2,
        )
        ctx.draw.rounded_rectangle(
            (box.x, y, box.x + strip, y + h), radius=strip // 2, fill=ctx.accent
        )
        _draw_lines(ctx, lines, box.x + strip + pad, y + pad, "sans", size, TEXT)
        y += h + gap
    return y - gap


# --------------------------------------------------------------------------- command


def _wrap_mono(text: str, cols: int, max_lines: int) -> list[str]:
    """Hard-wrap a shell line at ``cols`` characters, continuation lines indented."""
    if cols <= 4:
        return [text[: max(1, cols)]]
    lines = [text[:cols]]
    rest = text[cols:]
    while rest:
        lines.append("  " + rest[: cols - 2])
        rest = rest[cols - 2 :]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: cols - 1] + fonts.ELLIPSIS
    return lines


def _layout_command(ctx: _Ctx, data: dict[str, Any]) -> float:
    lay = ctx.lay
    box = lay.content
    y = _heading(ctx, str(data.get("heading") or ""), box)
    commands = [str(c).rstrip() for c in _data_list(data.get("commands")) if str(c).strip()]
    if not commands:
        commands = ["# no commands found"]
    card = Box(box.x, round(y), box.w, box.bottom - round(y))
    pad = 28
    bar_h = 60 if lay.fmt == "reel" else 56
    inner_w = card.w - 2 * pad
    inner_h_max = card.h - bar_h - 2 * pad
    wrapped: list[list[str]] = []
    size = lay.mono_size
    for size in _sizes(lay.mono_size, max(lay.mono_min, 28), 2):
        cols = int(inner_w // fonts.char_width("mono", size))
        wrapped = [_wrap_mono(c if c.startswith("#") else "$ " + c, cols, 3) for c in commands]
        n = sum(len(w) for w in wrapped)
        if _block_height(n, size, 1.35) + (len(wrapped) - 1) * size * 0.5 <= inner_h_max:
            break

    # drop trailing commands that still do not fit
    def height(ws: list[list[str]]) -> float:
        return _block_height(sum(len(w) for w in ws), size, 1.35) + (len(ws) - 1) * size * 0.5

    while len(wrapped) > 1 and height(wrapped) > inner_h_max:
        wrapped.pop()
    card_h = round(height(wrapped)) + bar_h + 2 * pad + 8
    card = Box(card.x, card.y, card.w, min(card.h, card_h))
    inner = _window(ctx, card, TERMINAL_BG)
    ty = inner.y
    lh = _lh(size, 1.35)
    for lines in wrapped:
        for i, line in enumerate(lines):
            if i == 0 and line.startswith("$ "):
                w = fonts.draw_text(ctx.draw, (inner.x, ty), "$ ", "mono_bold", size, ctx.accent)
                fonts.draw_text(ctx.draw, (inner.x + w, ty), line[2:], "mono", size, TEXT)
            else:
                color = MUTED if lines[0].startswith("#") else TEXT
                fonts.draw_text(ctx.draw, (inner.x, ty), line, "mono", size, color)
            ty += lh
        ty += round(size * 0.5)
    return card.bottom


# --------------------------------------------------------------------------- code


@lru_cache(maxsize=1)
def _code_style() -> Any:
    from pygments.styles import get_style_by_name

    return get_style_by_name(CODE_STYLE)


@lru_cache(maxsize=512)
def _token_color(ttype: Any) -> RGB:
    style = _code_style()
    while ttype is not None:
        color = style.style_for_token(ttype).get("color")
        if color:
            return hex_to_rgb(color)
        ttype = ttype.parent
    return (248, 248, 242)


def _lexer(language: str, source: str) -> Any:
    # pygments.lexers takes ~0.1 s to import: only code slides pay for it
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
    from pygments.util import ClassNotFound

    for attempt in (
        lambda: get_lexer_by_name(language or "text", stripnl=False, ensurenl=False),
        lambda: get_lexer_for_filename(source or "", stripnl=False, ensurenl=False),
    ):
        try:
            return attempt()
        except ClassNotFound:
            continue
    return get_lexer_by_name("text", stripnl=False, ensurenl=False)


def highlight_lines(code: str, language: str, source: str = "") -> list[list[tuple[RGB, str]]]:
    """Pygments tokens of ``code`` as per-line ``(colour, text)`` lists (monokai colours)."""
    lexer = _lexer(language, source)
    lines: list[list[tuple[RGB, str]]] = [[]]
    for ttype, value in lexer.get_tokens(code):
        parts = value.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append([])
            if part:
                lines[-1].append((_token_color(ttype), part))
    if lines and not lines[-1] and code.endswith("\n"):
        lines.pop()
    return lines


def _clean_code(code: str) -> list[str]:
    text = textwrap.dedent(code.expandtabs(4)).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines or [""]


def _mono_fit(n_lines: int, cols: int, inner_w: float, inner_h: float, lo: int, hi: int) -> int:
    """Largest monospace size (lo..hi) that fits ``cols`` columns and ``n_lines`` lines."""
    ratio = fonts.char_width("mono", 100) / 100
    by_w = inner_w / max(1, cols) / ratio
    by_h = inner_h / max(1, n_lines) / 1.36
    return max(lo, min(hi, math.floor(min(by_w, by_h))))


def _draw_clipped_tokens(
    ctx: _Ctx, tokens: Sequence[tuple[RGB, str]], x: float, y: float, size: int, max_x: float
) -> None:
    """Draw a line of coloured tokens, ending in a muted "…" if it would pass ``max_x``."""
    ell_w = fonts.text_width(fonts.ELLIPSIS, "mono", size)
    total = sum(fonts.text_width(t, "mono", size) for _, t in tokens)
    limit = max_x if x + total <= max_x else max_x - ell_w
    for color, text in tokens:
        w = fonts.text_width(text, "mono", size)
        if x + w <= limit:
            fonts.draw_text(ctx.draw, (x, y), text, "mono", size, color)
            x += w
            continue
        cut = text
        while cut and x + fonts.text_width(cut, "mono", size) > limit:
            cut = cut[:-1]
        if cut:
            x += fonts.draw_text(ctx.draw, (x, y), cut, "mono", size, color)
        fonts.draw_text(ctx.draw, (x, y), fonts.ELLIPSIS, "mono", size, MUTED)
        return


def _layout_code(ctx: _Ctx, data: dict[str, Any]) -> float:
    lay = ctx.lay
    box = lay.content
    y = _heading(ctx, str(data.get("heading") or ""), box)
    source = str(data.get("source") or "")
    language = str(data.get("language") or "text")
    start_line = int(data.get("start_line") or 1)
    raw = _clean_code(str(data.get("code") or ""))
    card = Box(box.x, round(y), box.w, box.bottom - round(y))
    bar_h = 60 if lay.fmt == "reel" else 56
    pad = 28
    inner_w = card.w - 2 * pad
    inner_h = card.h - bar_h - 2 * pad
    max_cols = 60 if lay.fmt == "reel" else 72
    n = min(len(raw), MAX_CODE_LINES)
    digits = len(str(start_line + n - 1))
    gutter_cols = digits + 2
    cols = min(max(len(line) for line in raw[:n]), max_cols) + gutter_cols
    size = _mono_fit(n, max(cols, 24), inner_w, inner_h, lay.mono_min, lay.mono_size - 6)
    lh = _lh(size, 1.36)
    fit_lines = max(1, int((inner_h - round(size * 1.17)) // lh) + 1)
    n = min(n, fit_lines)
    code_h = _block_height(n, size, 1.36)
    card = Box(card.x, card.y, card.w, min(card.h, code_h + bar_h + 2 * pad + 8))
    inner = _window(ctx, card, CODE_BG, title=source)
    tokens = highlight_lines("\n".join(raw), language, source)
    cw = fonts.char_width("mono", size)
    gutter_w = gutter_cols * cw
    gutter_color = mix(CODE_BG, MUTED, 0.6)
    for i in range(n):
        ly = inner.y + i * lh
        number = str(start_line + i).rjust(digits)
        fonts.draw_text(ctx.draw, (inner.x, ly), number, "mono", size, gutter_color)
        line_tokens = tokens[i] if i < len(tokens) else []
        _draw_clipped_tokens(ctx, line_tokens, inner.x + gutter_w, ly, size, inner.right)
    return card.bottom


# --------------------------------------------------------------------------- tree


_TREE_CHARS = "│├└─┬┼┤┐┘┌┴|`+- \t"


def _tree_name(line: str) -> str:
    return line.lstrip(_TREE_CHARS).strip()


def _is_highlight(line: str, highlights: set[str]) -> bool:
    name = _tree_name(line).rstrip("/")
    if not name:
        return False
    return any(name == h or h.endswith("/" + name) for h in highlights)


def _layout_tree(ctx: _Ctx, data: dict[str, Any]) -> float:
    lay = ctx.lay
    box = lay.content
    y = _heading(ctx, str(data.get("heading") or ""), box)
    lines = [str(line).rstrip() for line in _data_list(data.get("lines")) if str(line).strip()]
    highlights = {
        str(h).strip().strip("/") for h in _data_list(data.get("highlights")) if str(h).strip()
    }
    if not lines:
        lines = ["."]
    hidden = 0
    if len(lines) > MAX_TREE_LINES:
        hidden = len(lines) - (MAX_TREE_LINES - 1)
        lines = lines[: MAX_TREE_LINES - 1] + [f"… {hidden} more"]
    card = Box(box.x, round(y), box.w, box.bottom - round(y))
    pad = 32
    inner_w = card.w - 2 * pad
    inner_h = card.h - 2 * pad
    cols = min(max(len(line) for line in lines), 64)
    size = _mono_fit(len(lines), max(cols, 22), inner_w, inner_h, lay.mono_min, lay.mono_size)
    lh = _lh(size, 1.36)
    fit_lines = max(1, int((inner_h - round(size * 1.17)) // lh) + 1)
    if len(lines) > fit_lines:
        hidden += len(lines) - fit_lines + 1
        lines = lines[: fit_lines - 1] + [f"… {hidden} more"]
    card_h = _block_height(len(lines), size, 1.36) + 2 * pad
    ctx.draw.rounded_rectangle(
        (card.x, card.y, card.right, card.y + card_h),
        radius=lay.radius,
        fill=CARD,
        outline=CARD_BORDER,
        width=2,
    )
    row_fill = mix(CARD, ctx.accent, 0.22)
    for i, line in enumerate(lines):
        ly = card.y + pad + i * lh
        name = _tree_name(line)
        prefix = line[: len(line) - len(line.lstrip(_TREE_CHARS))]
        is_hl = _is_highlight(line, highlights)
        if is_hl:
            ctx.draw.rounded_rectangle(
                (card.x + 10, ly - round(lh * 0.1), card.right - 10, ly + round(lh * 0.95)),
                radius=10,
                fill=row_fill,
            )
        x = card.x + pad
        max_x = card.right - pad
        if prefix:
            x += fonts.draw_text(ctx.draw, (x, ly), prefix, "mono", size, mix(CARD, MUTED, 0.7))
        color = ctx.accent if is_hl else (TEXT if not name.startswith("…") else MUTED)
        role = "mono_bold" if is_hl or name.endswith("/") else "mono"
        name = fonts.ellipsize(name, role, size, max_x - x)
        fonts.draw_text(ctx.draw, (x, ly), name, role, size, color)
    return card.y + card_h


# --------------------------------------------------------------------------- languages


def _language_items(raw: Sequence[Any]) -> list[tuple[str, float]]:
    items = []
    for item in raw:
        name = str(_get(item, "name", "") or "").strip()
        share = _get(item, "share", None)
        if share is None:
            share = _get(item, "percent", 0.0)
        try:
            value = float(share)
        except (TypeError, ValueError):
            value = 0.0
        if name:
            items.append((name, max(0.0, value)))
    if items and sum(v for _, v in items) > 1.5:  # percentages, not fractions
        items = [(n, v / 100.0) for n, v in items]
    items.sort(key=lambda nv: -nv[1])
    if len(items) > MAX_LANGUAGES + 1:
        rest = sum(v for _, v in items[MAX_LANGUAGES:])
        items = items[:MAX_LANGUAGES] + [("Other", rest)]
    return items


def _language_color(name: str, index: int) -> RGB:
    known = LANGUAGE_COLORS.get(name.lower())
    if known:
        color = hex_to_rgb(known)
        # very dark linguist colours vanish on the dark background
        return mix(color, TEXT, 0.4) if luminance(color) < 0.12 else color
    return hex_to_rgb(_FALLBACK_BAR_COLORS[index % len(_FALLBACK_BAR_COLORS)])


def _layout_languages(ctx: _Ctx, data: dict[str, Any]) -> float:
    lay = ctx.lay
    box = lay.content
    y = _heading(ctx, str(data.get("heading") or ""), box)
    items = _language_items(_data_list(data.get("languages")))
    if not items:
        return y
    avail = box.bottom - y
    size = lay.body_size
    bar_h = 26 if lay.fmt == "reel" else 16
    for size in _sizes(lay.body_size, lay.body_min, 2):
        row_h = _block_height(1, size) + 10 + bar_h + round(size * 0.55)
        if row_h * len(items) <= avail:
            break
    row_h = _block_height(1, size) + 10 + bar_h + round(size * 0.55)
    while len(items) > 1 and row_h * len(items) > avail:
        items.pop()
    for i, (name, share) in enumerate(items):
        pct = format_share(share)
        pct_w = fonts.text_width(pct, "bold", size)
        label = fonts.ellipsize(name, "bold", size, box.w - pct_w - 24)
        fonts.draw_text(ctx.draw, (box.x, y), label, "bold", size, TEXT)
        fonts.draw_text(ctx.draw, (box.right - pct_w, y), pct, "bold", size, SUBTLE)
        by = y + _block_height(1, size) + 10
        ctx.draw.rounded_rectangle((box.x, by, box.right, by + bar_h), radius=bar_h // 2, fill=CARD)
        fill_w = max(bar_h, round(box.w * min(1.0, share))) if share > 0 else 0
        if fill_w:
            ctx.draw.rounded_rectangle(
                (box.x, by, box.x + fill_w, by + bar_h),
                radius=bar_h // 2,
                fill=_language_color(name, i),
            )
        y += row_h
    return y - round(size * 0.55)


# --------------------------------------------------------------------------- stats


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    return str(value)


def _stat_grid(n: int, fmt: str) -> tuple[int, int]:
    if fmt == "landscape":
        return (n, 1)
    return (2, 2) if n == 4 else (1, n)


def _layout_stats(ctx: _Ctx, data: dict[str, Any]) -> float:
    lay = ctx.lay
    box = lay.content
    y = round(_heading(ctx, str(data.get("heading") or ""), box))
    stats = [s for s in _data_list(data.get("stats")) if _get(s, "label") is not None][:4]
    if not stats:
        return y
    cols, rows = _stat_grid(len(stats), lay.fmt)
    gap = 28
    avail_h = box.bottom - y
    cell_w = (box.w - gap * (cols - 1)) // cols
    cell_h = min((avail_h - gap * (rows - 1)) // rows, 380 if lay.fmt == "reel" else 420)
    grid_h = rows * cell_h + gap * (rows - 1)
    y0 = y
    pad = 30
    for i, stat in enumerate(stats):
        c, r = i % cols, i // cols
        x = box.x + c * (cell_w + gap)
        cy = y0 + r * (cell_h + gap)
        ctx.draw.rounded_rectangle(
            (x, cy, x + cell_w, cy + cell_h),
            radius=lay.radius,
            fill=CARD,
            outline=CARD_BORDER,
            width=2,
        )
        value = format_value(_get(stat, "value", ""))
        label = str(_get(stat, "label", ""))
        l_size = lay.body_size if lay.fmt == "reel" else lay.body_size - 4
        l_lines = fonts.clamp_lines(
            fonts.wrap_text(label, "sans", l_size, cell_w - 2 * pad),
            2,
            "sans",
            l_size,
            cell_w - 2 * pad,
        )
        l_h = _block_height(len(l_lines), l_size)
        v_max = min(150, round((cell_h - 2 * pad - l_h) / 1.25))
        v_size, v_lines = _fit_wrapped(
            value, "bold", _sizes(max(v_max, 44), 44, 4), cell_w - 2 * pad, 1
        )
        v_h = _block_height(1, v_size)
        total = v_h + 12 + l_h
        ty = cy + (cell_h - total) // 2
        _draw_lines(
            ctx,
            v_lines,
            x + pad,
            ty,
            "bold",
            v_size,
            ctx.accent,
            width=cell_w - 2 * pad,
            align="center",
        )
        _draw_lines(
            ctx,
            l_lines,
            x + pad,
            ty + v_h + 12,
            "sans",
            l_size,
            SUBTLE,
            width=cell_w - 2 * pad,
            align="center",
        )
    return y0 + grid_h


# --------------------------------------------------------------------------- outro


def _layout_outro(ctx: _Ctx, data: dict[str, Any]) -> float:
    lay = ctx.lay
    box = lay.content
    heading = str(data.get("heading") or "").strip()
    lines_in = [str(s).strip() for s in _data_list(data.get("lines")) if str(s).strip()]
    url = str(data.get("url") or "").strip()
    h_size, h_lines = _fit_wrapped(
        heading, "bold", _sizes(lay.heading_size + 16, lay.body_size + 8), box.w, 3
    )
    b_size = lay.body_size
    u_size = lay.small_size + 4
    pill_pad = 28
    url_text = fonts.ellipsize(url, "mono_bold", u_size, box.w - 2 * pill_pad) if url else ""
    pill_h = round(u_size * 2.0)
    gap = round(lay.body_size * 1.1)
    fixed = _block_height(len(h_lines), h_size, 1.12) + (pill_h + gap if url_text else 0)
    max_body = max(0, int((box.h - fixed - gap - round(b_size * 1.17)) // _lh(b_size, 1.35)) + 1)
    body: list[str] = []
    for text in lines_in[:5]:
        body.extend(
            fonts.clamp_lines(
                fonts.wrap_text(text, "sans", b_size, box.w), 2, "sans", b_size, box.w
            )
        )
    body = body[: min(6, max_body)]
    y: float = box.y
    if h_lines:
        y = (
            _draw_lines(
                ctx,
                h_lines,
                box.x,
                y,
                "bold",
                h_size,
                TEXT,
                width=box.w,
                align="center",
                spacing=1.12,
            )
            + gap
        )
    if body:
        y = (
            _draw_lines(
                ctx,
                body,
                box.x,
                y,
                "sans",
                b_size,
                SUBTLE,
                width=box.w,
                align="center",
                spacing=1.35,
            )
            + gap
        )
    if url_text:
        w = fonts.text_width(url_text, "mono_bold", u_size) + 2 * pill_pad
        x = box.x + (box.w - w) / 2
        ctx.draw.rounded_rectangle(
            (x, y, x + w, y + pill_h),
            radius=pill_h // 2,
            fill=mix(CARD, ctx.accent, 0.18),
            outline=ctx.accent,
            width=3,
        )
        ty = y + (pill_h - round(u_size * 1.17)) / 2
        fonts.draw_text(ctx.draw, (x + pill_pad, ty), url_text, "mono_bold", u_size, TEXT)
        return y + pill_h
    return y - gap


# --------------------------------------------------------------------------- public


_LAYOUTS: dict[str, Callable[[_Ctx, dict[str, Any]], float]] = {
    "title": _layout_title,
    "overview": _layout_overview,
    "command": _layout_command,
    "code": _layout_code,
    "tree": _layout_tree,
    "languages": _layout_languages,
    "stats": _layout_stats,
    "outro": _layout_outro,
}


def render_slide(
    spec: VisualSpec,
    fmt: str,
    *,
    repo_name: str,
    scene_index: int,
    scene_count: int,
    accent: str | None = None,
) -> Image.Image:
    """Draw one scene's slide at the exact size of ``fmt`` (RGB).

    ``scene_index`` is 0-based; the progress indicator shows ``scene_index + 1``
    of ``scene_count``. The accent defaults to a colour derived from ``repo_name``.
    """
    lay = layout(fmt)
    draw_layout = _LAYOUTS.get(spec.kind)
    if draw_layout is None:
        raise ValueError(f"unknown slide kind {spec.kind!r}: use one of {', '.join(_LAYOUTS)}")
    accent_rgb = resolve_accent(accent, repo_name)
    img = render_background(lay.size, accent_rgb)
    draw = ImageDraw.Draw(img)
    _draw_chrome(
        _Ctx(img=img, draw=draw, lay=lay, accent=accent_rgb), repo_name, scene_index, scene_count
    )
    recorder = _Recorder()
    bottom = draw_layout(
        _Ctx(img=img, draw=recorder, lay=lay, accent=accent_rgb), dict(spec.data or {})
    )
    free = lay.content.bottom - bottom
    recorder.replay(draw, dy=round(max(0.0, free) * VERTICAL_BIAS))
    return img


def render_thumbnail(
    title: str,
    subtitle: str,
    badges: list[str],
    *,
    repo_name: str,
    accent: str | None = None,
) -> Image.Image:
    """The 1280x720 cover image: big title, one or two lines of subtitle, badges."""
    width, height = THUMBNAIL_SIZE
    accent_rgb = resolve_accent(accent, repo_name)
    img = render_background((width, height), accent_rgb)
    draw = ImageDraw.Draw(img)
    lay = layout("landscape")
    ctx = _Ctx(img=img, draw=draw, lay=lay, accent=accent_rgb)
    margin = 72
    box = Box(margin + 28, 60, width - 2 * margin - 28, height - 120)
    draw.rounded_rectangle((margin, 60, margin + 12, height - 60), radius=6, fill=accent_rgb)

    k_size = 30
    kicker = fonts.ellipsize(repo_name, "bold", k_size, box.w)
    t_size, t_lines = fit_name(title or repo_name, _sizes(118, 56, 6), box.w, 3)
    s_size = 36
    s_lines = fonts.clamp_lines(
        fonts.wrap_text(subtitle or "", "sans", s_size, box.w), 2, "sans", s_size, box.w
    )
    b_size = 28
    pad_x = 22
    rows = _badge_rows([b for b in badges if str(b).strip()][:5], b_size, box.w, pad_x, 12)[:1]
    gap = 30
    parts = [
        _block_height(1, k_size),
        _block_height(len(t_lines), t_size, 1.06),
        _block_height(len(s_lines), s_size, 1.3),
        _badges_height(rows, b_size),
    ]
    used = [p for p in parts if p]
    total = sum(used) + gap * (len(used) - 1)
    y = box.y + max(0, (box.h - total) // 2)
    y = _draw_lines(ctx, [kicker], box.x, y, "bold", k_size, ctx.accent) + gap
    y = _draw_lines(ctx, t_lines, box.x, y, "bold", t_size, TEXT, spacing=1.06) + gap
    if s_lines:
        y = _draw_lines(ctx, s_lines, box.x, y, "sans", s_size, SUBTLE, spacing=1.3) + gap
    if rows:
        _draw_badges(ctx, rows, box.x, y, b_size, pad_x)
    return img


def save_png(img: Image.Image, path: str) -> None:
    """PNG with light compression: these files are read once by the compositor."""
    img.save(path, format="PNG", compress_level=1)


__all__ = [
    "fit_name",
    "highlight_lines",
    "name_tokens",
    "render_background",
    "render_slide",
    "render_thumbnail",
    "save_png",
]
