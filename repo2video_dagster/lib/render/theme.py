"""Colours, type sizes and layout boxes shared by slides, captions and the compositor.

Both output formats are described by one :class:`Layout` so that the slide renderer
and the caption renderer agree on where things go: slides keep the caption band
empty, and the reel keeps all text out of the areas that TikTok / Reels / Shorts
cover with their own UI (top bar, bottom description, right-hand buttons).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

Format = Literal["reel", "landscape"]
FORMATS: tuple[Format, ...] = ("reel", "landscape")
RGB = tuple[int, int, int]

FPS = 30
THUMBNAIL_SIZE = (1280, 720)

# Reel keep-out margins: platform UI covers these (px of a 1080x1920 frame).
REEL_TOP_KEEPOUT = 220
REEL_BOTTOM_KEEPOUT = 380
REEL_RIGHT_KEEPOUT = 140

BG_TOP: RGB = (17, 20, 36)
BG_BOTTOM: RGB = (7, 9, 17)
TEXT: RGB = (244, 246, 251)
MUTED: RGB = (150, 158, 180)
CARD: RGB = (26, 30, 48)
CARD_BORDER: RGB = (52, 58, 86)
TERMINAL_BG: RGB = (12, 14, 22)
TERMINAL_BAR: RGB = (32, 36, 54)
CODE_BG: RGB = (39, 40, 34)
"""Monokai's background, so highlighted tokens keep their intended contrast."""
DARK_TEXT: RGB = (12, 14, 24)
CAPTION_TEXT: RGB = (255, 255, 255)
CAPTION_OUTLINE: RGB = (0, 0, 0)

ACCENTS: tuple[str, ...] = (
    "#22d3ee",  # cyan
    "#a78bfa",  # violet
    "#f472b6",  # pink
    "#34d399",  # emerald
    "#fbbf24",  # amber
    "#60a5fa",  # blue
    "#fb923c",  # orange
    "#f87171",  # coral
)


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in pixels (x, y of the top-left corner)."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def inset(self, dx: int, dy: int | None = None) -> Box:
        dy = dx if dy is None else dy
        return Box(self.x + dx, self.y + dy, max(0, self.w - 2 * dx), max(0, self.h - 2 * dy))

    def contains(self, other: Box) -> bool:
        return (
            other.x >= self.x
            and other.y >= self.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def as_xyxy(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.right, self.bottom)


@dataclass(frozen=True)
class Layout:
    """Geometry and type scale of one output format."""

    fmt: Format
    width: int
    height: int
    safe: Box
    """Where any text may go (platform UI stays clear of it)."""
    chrome: Box
    """The strip with the repository name and the progress indicator."""
    content: Box
    """Where the slide body goes; never overlaps the caption band."""
    caption: Box
    """The caption band composited over the video."""
    title_size: int
    title_min: int
    heading_size: int
    body_size: int
    body_min: int
    small_size: int
    mono_size: int
    mono_min: int
    caption_size: int
    caption_min: int
    radius: int

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


_REEL_SAFE = Box(
    60,
    REEL_TOP_KEEPOUT,
    1080 - 60 - REEL_RIGHT_KEEPOUT,
    1920 - REEL_TOP_KEEPOUT - REEL_BOTTOM_KEEPOUT,
)

LAYOUTS: dict[str, Layout] = {
    "reel": Layout(
        fmt="reel",
        width=1080,
        height=1920,
        safe=_REEL_SAFE,
        # boxes stop 2 px short of the safe edge: Pillow's rectangles include their end pixel
        chrome=Box(_REEL_SAFE.x, _REEL_SAFE.y + 10, _REEL_SAFE.w - 2, 56),
        content=Box(_REEL_SAFE.x, 306, _REEL_SAFE.w - 2, 1250 - 306),
        caption=Box(_REEL_SAFE.x, 1280, _REEL_SAFE.w - 2, 1540 - 1280),
        title_size=124,
        title_min=64,
        heading_size=72,
        body_size=48,
        body_min=40,
        small_size=34,
        mono_size=40,
        mono_min=24,
        caption_size=68,
        caption_min=44,
        radius=28,
    ),
    "landscape": Layout(
        fmt="landscape",
        width=1920,
        height=1080,
        safe=Box(96, 28, 1920 - 192, 1080 - 44),
        chrome=Box(96, 1026, 1920 - 192 - 2, 36),
        content=Box(96, 56, 1920 - 192 - 2, 840 - 56),
        caption=Box(160, 860, 1920 - 320, 1020 - 860),
        title_size=132,
        title_min=64,
        heading_size=72,
        body_size=44,
        body_min=36,
        small_size=28,
        mono_size=44,
        mono_min=26,
        caption_size=58,
        caption_min=40,
        radius=24,
    ),
}


def layout(fmt: str) -> Layout:
    """The layout of ``fmt``; a clear error for anything but the two formats."""
    try:
        return LAYOUTS[fmt]
    except KeyError:
        raise ValueError(f"unknown video format {fmt!r}: use 'reel' or 'landscape'") from None


def accent_marker(fmt: str) -> tuple[int, int]:
    """Centre of the accent-coloured dot that starts every slide's chrome strip.

    The compositor reads the accent back from this pixel when it is not told
    the accent, so captions match the slides.
    """
    lay = layout(fmt)
    return (lay.chrome.x + lay.small_size // 3, lay.chrome.y + lay.chrome.h // 2)


def rgb_to_hex(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def hex_to_rgb(value: str) -> RGB:
    """``#rrggbb`` (or ``rrggbb`` / ``#rgb``) to an RGB tuple."""
    text = value.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6:
        raise ValueError(f"not a hex colour: {value!r}")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


def accent_for(repo_name: str) -> str:
    """A palette colour picked from a hash of the name, so every render of a repo matches."""
    digest = hashlib.sha1(repo_name.strip().lower().encode("utf-8")).digest()
    return ACCENTS[digest[0] % len(ACCENTS)]


def resolve_accent(accent: str | None, repo_name: str) -> RGB:
    """The explicit accent when given, else the one derived from the repository name."""
    return hex_to_rgb(accent) if accent else hex_to_rgb(accent_for(repo_name))


def luminance(color: RGB) -> float:
    """Relative luminance (WCAG), to pick readable text on a coloured pill."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_on(color: RGB) -> RGB:
    """White or near-black, whichever contrasts more with ``color``."""
    return DARK_TEXT if luminance(color) > 0.35 else TEXT


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend: ``t=0`` gives ``a``, ``t=1`` gives ``b``."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )
