"""Monospace layouts: shell commands in a terminal card, highlighted code, directory trees.

Code and trees pick the largest monospace size that fits."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.slides.canvas import (
    DrawContext,
    draw_window,
    keywords_of,
    mark_step,
)
from repo2video_dagster.lib.render.slides.data import data_list
from repo2video_dagster.lib.render.slides.text import (
    block_height,
    draw_heading,
    line_height,
    size_steps,
)
from repo2video_dagster.lib.render.theme import (
    CARD,
    CARD_BORDER,
    CODE_BG,
    MUTED,
    RGB,
    TERMINAL_BG,
    TEXT,
    Box,
    hex_to_rgb,
    mix,
)

CODE_STYLE = "monokai"
MAX_CODE_LINES = 16
MAX_TREE_LINES = 18
REEL_TERMINAL_MIN = 0.55
"""The reel's terminal, editor and tree cards take at least this share of the height under
the heading: a one-line snippet in a strip leaves the tall frame bare."""


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


def layout_command(ctx: DrawContext, data: dict[str, Any]) -> float:
    """Shell commands in a terminal card, hard-wrapped; trailing commands that do not fit
    are dropped. Returns the bottom edge."""
    lay = ctx.lay
    box = lay.content
    y = draw_heading(ctx, str(data.get("heading") or ""), box)
    commands = [str(c).rstrip() for c in data_list(data.get("commands")) if str(c).strip()]
    if not commands:
        commands = ["# no commands found"]
    card = Box(box.x, round(y), box.w, box.bottom - round(y))
    pad = 28
    bar_h = 60 if lay.fmt == "reel" else 56
    inner_w = card.w - 2 * pad
    inner_h_max = card.h - bar_h - 2 * pad
    wrapped: list[list[str]] = []
    size = lay.mono_size
    for size in size_steps(lay.mono_size, max(lay.mono_min, 28), 2):
        cols = int(inner_w // fonts.char_width("mono", size))
        wrapped = [_wrap_mono(c if c.startswith("#") else "$ " + c, cols, 3) for c in commands]
        n = sum(len(w) for w in wrapped)
        if block_height(n, size, 1.35) + (len(wrapped) - 1) * size * 0.5 <= inner_h_max:
            break

    # drop trailing commands that still do not fit
    def height(ws: list[list[str]]) -> float:
        return block_height(sum(len(w) for w in ws), size, 1.35) + (len(ws) - 1) * size * 0.5

    while len(wrapped) > 1 and height(wrapped) > inner_h_max:
        wrapped.pop()
    card_h = round(height(wrapped)) + bar_h + 2 * pad + 8
    if lay.fmt == "reel":  # a terminal of some height, not a strip, in the tall frame
        card_h = max(card_h, round(card.h * REEL_TERMINAL_MIN))
    card = Box(card.x, card.y, card.w, min(card.h, card_h))
    inner = draw_window(ctx, card, TERMINAL_BG)
    ty = inner.y
    lh = line_height(size, 1.35)
    for lines in wrapped:
        group_h = len(lines) * lh
        mark_step(
            ctx,
            "reveal",
            (inner.x - 4, ty - 6, inner.right + 4, ty + group_h + 4),
            keywords_of(lines[0].removeprefix("$ ")),
        )
        for i, line in enumerate(lines):
            if i == 0 and line.startswith("$ "):
                w = fonts.draw_text(ctx.draw, (inner.x, ty), "$ ", "mono_bold", size, ctx.accent)
                fonts.draw_text(ctx.draw, (inner.x + w, ty), line[2:], "mono", size, TEXT)
            else:
                color = MUTED if lines[0].startswith("#") else TEXT
                fonts.draw_text(ctx.draw, (inner.x, ty), line, "mono", size, color)
            ty += lh
        ty += round(size * 0.5)
    if ty + lh <= inner.bottom:  # a fresh prompt waiting for the viewer
        w = fonts.draw_text(ctx.draw, (inner.x, ty), "$ ", "mono_bold", size, ctx.accent)
        cw = fonts.char_width("mono", size)
        ctx.draw.rectangle(
            (inner.x + w, ty + 4, inner.x + w + cw, ty + round(size * 1.17) - 2), fill=MUTED
        )
    return card.bottom


@lru_cache(maxsize=1)
def _code_style() -> Any:
    from pygments.styles import get_style_by_name

    return get_style_by_name(CODE_STYLE)


@lru_cache(maxsize=512)
def _token_color(ttype: Any) -> RGB:
    style = _code_style()
    while ttype is not None:
        # Lexers make their own token subtypes (YAML's Token.Literal.Scalar.Plain) that a
        # style does not list: those take their nearest listed parent's colour.
        if style.styles_token(ttype):
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
    ctx: DrawContext, tokens: Sequence[tuple[RGB, str]], x: float, y: float, size: int, max_x: float
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


def layout_code(ctx: DrawContext, data: dict[str, Any]) -> float:
    """Highlighted code with line numbers in an editor card, at the largest monospace
    size that fits; long lines end in "…". Returns the bottom edge."""
    lay = ctx.lay
    box = lay.content
    y = draw_heading(ctx, str(data.get("heading") or ""), box)
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
    lh = line_height(size, 1.36)
    fit_lines = max(1, int((inner_h - round(size * 1.17)) // lh) + 1)
    n = min(n, fit_lines)
    code_h = block_height(n, size, 1.36)
    card_h = code_h + bar_h + 2 * pad + 8
    if lay.fmt == "reel":  # an editor of some height even for a one-line snippet
        card_h = max(card_h, round(card.h * REEL_TERMINAL_MIN))
    card = Box(card.x, card.y, card.w, min(card.h, card_h))
    inner = draw_window(ctx, card, CODE_BG, title=source)
    tokens = highlight_lines("\n".join(raw), language, source)
    cw = fonts.char_width("mono", size)
    gutter_w = gutter_cols * cw
    gutter_color = mix(CODE_BG, MUTED, 0.6)
    for i in _spot_lines(raw[:n], language):
        ly = inner.y + i * lh
        mark_step(
            ctx,
            "spot",
            (card.x + 2, ly - round(lh * 0.12), card.right - 2, ly + round(lh * 0.98)),
            keywords_of(raw[i]),
        )
    for i in range(n):
        ly = inner.y + i * lh
        number = str(start_line + i).rjust(digits)
        fonts.draw_text(ctx.draw, (inner.x, ly), number, "mono", size, gutter_color)
        line_tokens = tokens[i] if i < len(tokens) else []
        _draw_clipped_tokens(ctx, line_tokens, inner.x + gutter_w, ly, size, inner.right)
    return card.bottom


_DEFINITION = re.compile(
    r"^\s*(?:export\s+)?(?:pub(?:\(\w+\))?\s+)?(?:async\s+)?"
    r"(?:def|class|func|fn|function|struct|interface|type|impl)\s+"
)
MAX_SPOTS = 4


def _spot_lines(lines: list[str], language: str) -> list[int]:
    """Lines to highlight in turn: definitions (what the narration names), commands in a
    shell snippet, else the first few lines with code on them."""
    shell = language.lower() in {"bash", "sh", "shell", "console", "zsh", "shell-session"}
    picked = [
        i
        for i, line in enumerate(lines)
        if (shell and line.strip() and not line.lstrip().startswith("#"))
        or (not shell and _DEFINITION.match(line))
    ]
    if len(picked) < MAX_SPOTS - 1:  # too few to keep the picture moving: read along
        rest = [i for i, line in enumerate(lines) if len(line.strip()) > 3 and i not in picked]
        picked = sorted(picked + rest[: MAX_SPOTS - 1 - len(picked)])
    return picked[:MAX_SPOTS]


_TREE_CHARS = "│├└─┬┼┤┐┘┌┴|`+- \t"


def _tree_name(line: str) -> str:
    return line.lstrip(_TREE_CHARS).strip()


def _is_highlight(line: str, highlights: set[str]) -> bool:
    name = _tree_name(line).rstrip("/")
    if not name:
        return False
    return any(name == h or h.endswith("/" + name) for h in highlights)


def layout_tree(ctx: DrawContext, data: dict[str, Any]) -> float:
    """A directory tree in a card, highlighted entries on an accent row; lines past what
    fits become "… N more". Returns the bottom edge."""
    lay = ctx.lay
    box = lay.content
    y = draw_heading(ctx, str(data.get("heading") or ""), box)
    lines = [str(line).rstrip() for line in data_list(data.get("lines")) if str(line).strip()]
    highlights = {
        str(h).strip().strip("/") for h in data_list(data.get("highlights")) if str(h).strip()
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
    lh = line_height(size, 1.36)
    fit_lines = max(1, int((inner_h - round(size * 1.17)) // lh) + 1)
    if len(lines) > fit_lines:
        hidden += len(lines) - fit_lines + 1
        lines = lines[: fit_lines - 1] + [f"… {hidden} more"]
    card_h = block_height(len(lines), size, 1.36) + 2 * pad
    if lay.fmt == "reel":  # a listing panel of some height even for two entries
        card_h = min(card.h, max(card_h, round(card.h * REEL_TERMINAL_MIN)))
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
            mark_step(
                ctx,
                "spot",
                (card.x + 4, ly - round(lh * 0.14), card.right - 4, ly + round(lh * 0.99)),
                keywords_of(name),
            )
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
