"""Layouts of numbers: the language bars and the stats grid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from repo2video_dagster.lib.core.records import format_share
from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.slides.canvas import SUBTLE, DrawContext, keywords_of, mark_step
from repo2video_dagster.lib.render.slides.data import data_field, data_list
from repo2video_dagster.lib.render.slides.text import (
    block_height,
    draw_heading,
    draw_lines,
    fit_wrapped,
    size_steps,
)
from repo2video_dagster.lib.render.theme import (
    CARD,
    CARD_BORDER,
    RGB,
    TEXT,
    hex_to_rgb,
    luminance,
    mix,
)

MAX_LANGUAGES = 6

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


def _language_items(raw: Sequence[Any]) -> list[tuple[str, float]]:
    items = []
    for item in raw:
        name = str(data_field(item, "name", "") or "").strip()
        share = data_field(item, "share", None)
        if share is None:
            share = data_field(item, "percent", 0.0)
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


def layout_languages(ctx: DrawContext, data: dict[str, Any]) -> float:
    """One labelled bar per language (largest first, the tail summed as "Other").
    Returns the bottom edge."""
    lay = ctx.lay
    box = lay.content
    y = draw_heading(ctx, str(data.get("heading") or ""), box)
    items = _language_items(data_list(data.get("languages")))
    if not items:
        return y
    if lay.fmt == "reel":
        return _language_cards(ctx, items, y)
    avail = box.bottom - y
    size = lay.body_size
    bar_h = 26 if lay.fmt == "reel" else 16
    for size in size_steps(lay.body_size, lay.body_min, 2):
        row_h = block_height(1, size) + 10 + bar_h + round(size * 0.55)
        if row_h * len(items) <= avail:
            break
    row_h = block_height(1, size) + 10 + bar_h + round(size * 0.55)
    while len(items) > 1 and row_h * len(items) > avail:
        items.pop()
    for i, (name, share) in enumerate(items):
        pct = format_share(share)
        pct_w = fonts.text_width(pct, "bold", size)
        label = fonts.ellipsize(name, "bold", size, box.w - pct_w - 24)
        mark_step(
            ctx, "reveal", (box.x - 2, y - 4, box.right + 3, y + row_h - 6), keywords_of(name)
        )
        fonts.draw_text(ctx.draw, (box.x, y), label, "bold", size, TEXT)
        fonts.draw_text(ctx.draw, (box.right - pct_w, y), pct, "bold", size, SUBTLE)
        by = y + block_height(1, size) + 10
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


REEL_ROW_MAX = {0: 190, 1: 360, 2: 280}
"""How tall a language card on the reel may grow into free height, by the number of
cards (0: any other count): one or two languages get large cards, not thin strips."""


def _language_cards(ctx: DrawContext, items: list[tuple[str, float]], top: float) -> float:
    """The reel's languages: one card per language (name, share, a thick bar), the cards
    sharing the height under the heading so a short list still fills the frame.
    Returns the bottom edge."""
    lay = ctx.lay
    box = lay.content
    avail = box.bottom - top
    gap, pad, bar_h = 22, 26, 34
    size = lay.body_size + 4
    natural = 0
    for size in size_steps(lay.body_size + 4, lay.body_min, 2):
        natural = 2 * pad + block_height(1, size) + 14 + bar_h
        if natural * len(items) + gap * (len(items) - 1) <= avail:
            break
    while len(items) > 1 and natural * len(items) + gap * (len(items) - 1) > avail:
        items = items[:-1]
    share_h = (avail - gap * (len(items) - 1)) / len(items)
    row_max = REEL_ROW_MAX.get(len(items), REEL_ROW_MAX[0])
    row_h = round(max(natural, min(row_max, share_h)))
    # a short list gets taller cards: the type and the bar grow with them
    grow = max(0, row_h - natural)
    size = min(lay.heading_size + 8, size + grow // 3)
    bar_h = min(72, bar_h + grow // 4)
    extra = max(0, row_h - (2 * pad + block_height(1, size) + 14 + bar_h)) // 2
    y = top
    for i, (name, share) in enumerate(items):
        color = _language_color(name, i)
        mark_step(
            ctx, "reveal", (box.x - 2, y - 2, box.right + 3, y + row_h + 3), keywords_of(name)
        )
        ctx.draw.rounded_rectangle(
            (box.x, y, box.right, y + row_h),
            radius=lay.radius // 2,
            fill=CARD,
            outline=CARD_BORDER,
            width=2,
        )
        ctx.draw.rounded_rectangle((box.x, y, box.x + 12, y + row_h), radius=6, fill=color)
        x0, x1 = box.x + 12 + pad, box.right - pad
        ty = y + pad + extra
        pct = format_share(share)
        pct_w = fonts.text_width(pct, "bold", size)
        label = fonts.ellipsize(name, "bold", size, x1 - x0 - pct_w - 24)
        fonts.draw_text(ctx.draw, (x0, ty), label, "bold", size, TEXT)
        fonts.draw_text(ctx.draw, (x1 - pct_w, ty), pct, "bold", size, SUBTLE)
        by = ty + block_height(1, size) + 14
        ctx.draw.rounded_rectangle(
            (x0, by, x1, by + bar_h), radius=bar_h // 2, fill=mix(CARD, (0, 0, 0), 0.35)
        )
        fill_w = max(bar_h, round((x1 - x0) * min(1.0, share))) if share > 0 else 0
        if fill_w:
            ctx.draw.rounded_rectangle(
                (x0, by, x0 + fill_w, by + bar_h), radius=bar_h // 2, fill=color
            )
        y += row_h + gap
    return y - gap


_STAT_WORDS = {
    "commits": ["history", "commit"],
    "contributors": ["contributor", "author", "people"],
    "first commit": ["started", "began"],
    "last commit": ["latest", "recent"],
    "stars": ["star"],
    "forks": ["fork"],
    "files": ["file"],
    "lines": ["line"],
}
"""Words the narration uses for a stat besides its label (see the template's activity scene)."""


def format_value(value: Any) -> str:
    """A stat value as shown: thousands separators, yes/no for booleans."""
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


def layout_stats(ctx: DrawContext, data: dict[str, Any]) -> float:
    """Up to four stat cards (value over label) in a grid that suits the format.
    Returns the bottom edge."""
    lay = ctx.lay
    box = lay.content
    y = round(draw_heading(ctx, str(data.get("heading") or ""), box))
    stats = [s for s in data_list(data.get("stats")) if data_field(s, "label") is not None][:4]
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
        label_text = str(data_field(stat, "label", ""))
        mark_step(
            ctx,
            "reveal",
            (x - 2, cy - 2, x + cell_w + 3, cy + cell_h + 3),
            keywords_of(label_text) + _STAT_WORDS.get(label_text.strip().lower(), []),
        )
        ctx.draw.rounded_rectangle(
            (x, cy, x + cell_w, cy + cell_h),
            radius=lay.radius,
            fill=CARD,
            outline=CARD_BORDER,
            width=2,
        )
        value = format_value(data_field(stat, "value", ""))
        label = str(data_field(stat, "label", ""))
        l_size = lay.body_size if lay.fmt == "reel" else lay.body_size - 4
        l_lines = fonts.clamp_lines(
            fonts.wrap_text(label, "sans", l_size, cell_w - 2 * pad),
            2,
            "sans",
            l_size,
            cell_w - 2 * pad,
        )
        l_h = block_height(len(l_lines), l_size)
        v_max = min(150, round((cell_h - 2 * pad - l_h) / 1.25))
        v_size, v_lines = fit_wrapped(
            value, "bold", size_steps(max(v_max, 44), 44, 4), cell_w - 2 * pad, 1
        )
        v_h = block_height(1, v_size)
        total = v_h + 12 + l_h
        ty = cy + (cell_h - total) // 2
        draw_lines(
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
        draw_lines(
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
