"""Fitting and drawing text: line heights, wrapped blocks that shrink to fit, headings."""

from __future__ import annotations

from collections.abc import Sequence

from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.slides.canvas import DrawContext
from repo2video_dagster.lib.render.theme import RGB, TEXT, Box


def line_height(size: int, spacing: float = 1.22) -> int:
    """Distance between the tops of two lines of ``size`` px text."""
    return round(size * spacing)


def block_height(n_lines: int, size: int, spacing: float = 1.22) -> int:
    """Height of ``n_lines`` lines, from the first line's top to the last line's descent."""
    if n_lines <= 0:
        return 0
    return (n_lines - 1) * line_height(size, spacing) + round(size * 1.17)


def draw_lines(
    ctx: DrawContext,
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
        fonts.draw_text(ctx.draw, (lx, y + i * line_height(size, spacing)), line, role, size, fill)
    return y + block_height(len(lines), size, spacing)


def fit_wrapped(
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


def size_steps(start: int, stop: int, step: int = 4) -> list[int]:
    """Font sizes to try, largest first, from ``start`` down to ``stop`` (always included)."""
    sizes = list(range(start, stop - 1, -step))
    if not sizes or sizes[-1] != stop:
        sizes.append(stop)
    return sizes


def draw_heading(ctx: DrawContext, text: str, box: Box) -> float:
    """Bold heading (up to 2 lines, shrinking) and an accent rule; returns y below it."""
    lay = ctx.lay
    if not text.strip():
        return box.y
    size, lines = fit_wrapped(
        text.strip(), "bold", size_steps(lay.heading_size, lay.body_size + 8), box.w, 2
    )
    y = draw_lines(ctx, lines, box.x, box.y, "bold", size, TEXT)
    rule_y = round(y + size * 0.35)
    ctx.draw.rounded_rectangle((box.x, rule_y, box.x + 96, rule_y + 8), radius=4, fill=ctx.accent)
    return rule_y + 8 + round(lay.body_size * 0.9)
