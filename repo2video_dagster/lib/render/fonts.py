"""Fonts, and text drawing that never shows tofu boxes.

Repositories are written in every script. DejaVu covers Latin, Greek and Cyrillic
but not CJK, so each string is split into runs: characters the primary font has
are drawn with it, the rest with Droid Sans Fallback (CJK and more), all on one
baseline. Coverage comes from each font's cmap (read once with fontTools), and
``ImageFont`` objects are cached because loading a TrueType file costs far more
than drawing a word.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from PIL import ImageDraw, ImageFont

from repo2video_dagster.lib.core.errors import EngineError

log = logging.getLogger(__name__)

FontRole = Literal["sans", "bold", "mono", "mono_bold"]
ROLES: tuple[FontRole, ...] = ("sans", "bold", "mono", "mono_bold")

_FILES: dict[str, tuple[str, ...]] = {
    "sans": ("DejaVuSans.ttf",),
    "bold": ("DejaVuSans-Bold.ttf",),
    "mono": ("DejaVuSansMono.ttf",),
    "mono_bold": ("DejaVuSansMono-Bold.ttf", "DejaVuSansMono.ttf"),
}
_FALLBACK_FILES = ("DroidSansFallbackFull.ttf", "DroidSansFallback.ttf")
_SEARCH_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/droid",
    "/usr/share/fonts",
    "/usr/local/share/fonts",
)
ELLIPSIS = "…"

# One CJK ideograph / kana / hangul syllable is a word for wrapping purposes.
_CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
)
_TOKEN_RE = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")


def _search_dirs() -> list[Path]:
    extra = os.environ.get("REPO2VIDEO_FONT_DIR")
    dirs = [Path(extra)] if extra else []
    return dirs + [Path(d) for d in _SEARCH_DIRS]


def _find_file(names: Iterable[str]) -> Path | None:
    names = tuple(names)
    for directory in _search_dirs():
        for name in names:
            candidate = directory / name
            if candidate.is_file():
                return candidate
    for directory in _search_dirs():
        if not directory.is_dir():
            continue
        for name in names:
            for candidate in directory.rglob(name):
                return candidate
    return None


def find_font(names: tuple[str, ...], package: str) -> Path:
    """The first of ``names`` found in the font directories; else a one-line fix naming
    the Debian/Ubuntu package that provides it."""
    path = _find_file(names)
    if path is None:
        raise EngineError(
            f"Font {names[0]} not found under /usr/share/fonts",
            hint=f"Install it with: apt-get install {package}",
        )
    return path


@cache
def font_path(role: str) -> Path:
    """The file of a role's primary font (DejaVu)."""
    if role not in _FILES:
        raise ValueError(f"unknown font role {role!r}: use one of {', '.join(ROLES)}")
    return find_font(_FILES[role], "fonts-dejavu-core")


@lru_cache(maxsize=1)
def fallback_path() -> Path | None:
    """Droid Sans Fallback (CJK); ``None`` (with one warning) when it is not installed."""
    path = _find_file(_FALLBACK_FILES)
    if path is None:
        log.warning(
            "DroidSansFallbackFull.ttf not found: CJK text will be left out "
            "(apt-get install fonts-droid-fallback)"
        )
    return path


def check_fonts(*, require_fallback: bool = True) -> dict[str, Path]:
    """Resolve every font file now, so a missing package fails before rendering starts."""
    paths: dict[str, Path] = {role: font_path(role) for role in ROLES}
    if require_fallback:
        paths["fallback"] = find_font(_FALLBACK_FILES, "fonts-droid-fallback")
    elif (fallback := fallback_path()) is not None:
        paths["fallback"] = fallback
    return paths


@cache
def coverage(path: Path) -> frozenset[int]:
    """Code points the font has glyphs for (its best cmap)."""
    from fontTools.ttLib import TTFont  # ~0.1 s to import: only when coverage is read

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font["cmap"].getBestCmap().keys())


@lru_cache(maxsize=256)
def _load(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def get_font(role: str, size: int) -> ImageFont.FreeTypeFont:
    """The cached primary ``ImageFont`` of ``role`` at ``size`` px."""
    return _load(font_path(role), int(size))


def _fallback_font(size: int) -> ImageFont.FreeTypeFont | None:
    path = fallback_path()
    return _load(path, int(size)) if path else None


@lru_cache(maxsize=1)
def _fallback_coverage() -> frozenset[int]:
    """Loaded only when a character is missing from the primary font (0.2 s of cmap parsing)."""
    path = fallback_path()
    return coverage(path) if path else frozenset()


@lru_cache(maxsize=4096)
def split_runs(text: str, role: str) -> tuple[tuple[str, bool], ...]:
    """Split ``text`` into ``(run, uses_fallback)`` pieces.

    Characters in neither font (emoji, control characters) are dropped rather
    than drawn as boxes; whitespace always stays with the run it is in.
    """
    primary = coverage(font_path(role))
    runs: list[tuple[str, bool]] = []
    current: list[str] = []
    current_fb = False
    for ch in text:
        cp = ord(ch)
        if ch.isspace():
            use_fb = current_fb
            ch = " "
        elif cp in primary:
            use_fb = False
        elif cp in _fallback_coverage():
            use_fb = True
        else:
            if unicodedata.category(ch) not in ("Mn", "Cf", "Cc"):
                log.debug("no glyph for U+%04X in any font; left out", cp)
            continue
        if current and use_fb != current_fb:
            runs.append(("".join(current), current_fb))
            current = []
        current_fb = use_fb
        current.append(ch)
    if current:
        runs.append(("".join(current), current_fb))
    return tuple(runs)


def uses_fallback(text: str, role: str = "sans") -> bool:
    """Whether any part of ``text`` is drawn with the fallback font."""
    return any(fb for _, fb in split_runs(text, role))


def _run_font(role: str, size: int, use_fb: bool) -> ImageFont.FreeTypeFont:
    if use_fb:
        font = _fallback_font(size)
        if font is not None:
            return font
    return get_font(role, size)


@lru_cache(maxsize=8192)
def text_width(text: str, role: str, size: int) -> float:
    """Advance width of ``text`` in px, fallback runs included (stroke not included)."""
    return sum(_run_font(role, size, fb).getlength(run) for run, fb in split_runs(text, role))


@lru_cache(maxsize=256)
def metrics(role: str, size: int) -> tuple[int, int]:
    """``(ascent, descent)`` of the primary font: the line box every run is aligned to."""
    return get_font(role, size).getmetrics()


def line_height(role: str, size: int, spacing: float = 1.2) -> int:
    """Distance between baselines of consecutive lines."""
    return round(size * spacing)


def char_width(role: str, size: int) -> float:
    """Advance of one character of a monospace role (all ASCII glyphs share it)."""
    return get_font(role, size).getlength("M")


def draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    font_role: str,
    size: int,
    fill: tuple[int, ...] | str,
    *,
    stroke_width: int = 0,
    stroke_fill: tuple[int, ...] | str | None = None,
) -> float:
    """Draw one line with per-character fallback; ``xy`` is the top-left of the line box.

    Runs share the primary font's baseline so mixed scripts sit on one line.
    Returns the advance width drawn.
    """
    x, y = xy
    ascent, _ = metrics(font_role, size)
    baseline = y + ascent
    start = x
    for run, fb in split_runs(text, font_role):
        font = _run_font(font_role, size, fb)
        draw.text(
            (x, baseline),
            run,
            font=font,
            fill=fill,
            anchor="ls",
            stroke_width=stroke_width,
            stroke_fill=stroke_fill,
        )
        x += font.getlength(run)
    return x - start


def ellipsize(text: str, role: str, size: int, max_width: float, *, force: bool = False) -> str:
    """``text`` cut so that it plus "…" fits ``max_width``.

    Unchanged when it already fits, unless ``force`` (the caller knows more text
    followed and wants the "…" shown).
    """
    if not force and text_width(text, role, size) <= max_width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid].rstrip() + ELLIPSIS, role, size) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ELLIPSIS


def _break_long(token: str, role: str, size: int, max_width: float) -> list[str]:
    """Split a token wider than the line at character boundaries."""
    pieces: list[str] = []
    current = ""
    for ch in token:
        if current and text_width(current + ch, role, size) > max_width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def wrap_tokens(
    tokens: Iterable[str], role: str, size: int, max_width: float, *, joiner: str = ""
) -> list[str]:
    """Greedy line filling of pre-split tokens (whitespace tokens are dropped at line ends)."""
    lines: list[str] = []
    current = ""
    for token in tokens:
        if not token:
            continue
        candidate = current + joiner + token if current and joiner else current + token
        if text_width(candidate.rstrip(), role, size) <= max_width:
            current = candidate
            continue
        if token.isspace():
            continue
        if current.strip():
            lines.append(current.rstrip())
        if text_width(token, role, size) <= max_width:
            current = token
        else:
            pieces = _break_long(token, role, size, max_width)
            lines.extend(pieces[:-1])
            current = pieces[-1]
    if current.strip():
        lines.append(current.rstrip())
    return lines


def wrap_text(text: str, role: str, size: int, max_width: float) -> list[str]:
    """Word-wrap ``text`` to lines no wider than ``max_width`` px.

    Breaks at spaces and between CJK characters; words wider than a line are
    broken between characters. Explicit newlines start new lines.
    """
    lines: list[str] = []
    for paragraph in text.splitlines():
        lines.extend(wrap_tokens(_TOKEN_RE.findall(paragraph.strip()), role, size, max_width))
    return lines


def clamp_lines(
    lines: list[str], max_lines: int, role: str, size: int, max_width: float
) -> list[str]:
    """At most ``max_lines`` lines; when some were cut, the last kept line ends in "…"."""
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    kept[-1] = ellipsize(kept[-1], role, size, max_width, force=True)
    return kept
