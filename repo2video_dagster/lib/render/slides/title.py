"""The title layout: the repository name, wrapped at ``/ _ - .`` and camelCase humps,
a subtitle and badges (the thumbnail uses the same name fitting and badges)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.slides.canvas import SUBTLE, DrawContext, keywords_of, mark_step
from repo2video_dagster.lib.render.slides.data import data_list
from repo2video_dagster.lib.render.slides.text import (
    block_height,
    draw_lines,
    line_height,
    size_steps,
)
from repo2video_dagster.lib.render.theme import CARD, TEXT, Box, mix

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


def badge_rows(
    badges: Sequence[str], size: int, max_width: float, pad_x: int, gap: int
) -> list[list[tuple[str, float]]]:
    """Badges (ellipsized to the width) packed into rows of at most ``max_width``."""
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


def draw_badges(
    ctx: DrawContext, rows: list[list[tuple[str, float]]], x: float, y: float, size: int, pad_x: int
) -> float:
    """Draw badge rows as accent-outlined pills; returns the bottom edge."""
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


def badges_height(rows: list[list[tuple[str, float]]], size: int) -> int:
    """Height of the badge rows as :func:`draw_badges` draws them."""
    if not rows:
        return 0
    pill_h = round(size * 1.9)
    return len(rows) * pill_h + (len(rows) - 1) * round(size * 0.45)


def layout_title(ctx: DrawContext, data: dict[str, Any]) -> float:
    """Title card: the name (largest size that fits), an accent rule, subtitle and badges;
    shrinks step by step until the block fits. Returns the bottom edge.

    The reel gets its own poster layout (:func:`layout_title_reel`): a left-aligned
    block of three short lines would leave most of the tall frame empty."""
    lay = ctx.lay
    box = lay.content
    title = str(data.get("title") or "").strip() or "untitled"
    subtitle = str(data.get("subtitle") or "").strip()
    badges = [str(b) for b in data_list(data.get("badges")) if str(b).strip()][:6]
    if lay.fmt == "reel":
        return layout_title_reel(ctx, title, subtitle, badges)

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
            title, size_steps(t_max, lay.title_min, 6), box.w, 4 if lay.fmt == "reel" else 3
        )
        s_lines = fonts.clamp_lines(
            fonts.wrap_text(subtitle, "sans", s_size, box.w), s_max, "sans", s_size, box.w
        )
        rows = badge_rows(badges, b_size, box.w, pad_x, round(b_size * 0.45))[:b_max]
        parts = [
            block_height(len(t_lines), t_size, 1.08),
            rule_h,
            block_height(len(s_lines), s_size, 1.3),
            badges_height(rows, b_size),
        ]
        used = [p for p in parts if p]
        if sum(used) + gap * (len(used) - 1) <= box.h:
            break

    y: float = box.y
    y = draw_lines(ctx, t_lines, box.x, y, "bold", t_size, TEXT, spacing=1.08) + gap
    ctx.draw.rounded_rectangle((box.x, y, box.x + 140, y + rule_h), radius=5, fill=ctx.accent)
    y += rule_h + gap
    if s_lines:
        s_lh = line_height(s_size, 1.3)
        for i, line in enumerate(s_lines):  # line by line, as the narration reads it
            ly = y + i * s_lh
            box_xyxy = (box.x - 4, ly - 4, box.right + 4, ly + s_lh + 2)
            mark_step(ctx, "reveal", box_xyxy, keywords_of(line))
        y = draw_lines(ctx, s_lines, box.x, y, "sans", s_size, SUBTLE, spacing=1.3) + gap
    if rows:
        _mark_badges_reveal(ctx, box, y, badges_height(rows, b_size), badges)
        return draw_badges(ctx, rows, box.x, y, b_size, pad_x)
    return y - gap


REEL_NAME_MAX = 168
"""The reel's largest name size: a short name fills the panel's width (``repo2video`` at
168 px is about 760 px wide)."""
REEL_PANEL_MAX = 600
"""The name panel grows into free space up to this height, no further: beyond it a one-line
name floats in an empty box."""


def _fit_name_whole(name: str, sizes: list[int], max_width: float) -> tuple[int, list[str]]:
    """The largest size at which ``name`` takes at most three lines with no part of it cut
    inside a word (``repo2vide`` / ``o`` at a huge size reads worse than one smaller line);
    :func:`fit_name` when no size manages that."""
    tokens = name_tokens(name.strip())
    for size in sizes:
        if max(fonts.text_width(t, "bold", size) for t in tokens) > max_width:
            continue
        lines = fonts.wrap_tokens(tokens, "bold", size, max_width)
        if len(lines) <= 3:
            return size, lines
    return fit_name(name, sizes, max_width, 4)


def layout_title_reel(ctx: DrawContext, title: str, subtitle: str, badges: list[str]) -> float:
    """The reel's title as a poster filling the content box top to bottom: the name large
    and centred in an accent-tinted panel (which grows into the free height), the
    description centred under it, then the badges as large pills. Returns the bottom edge."""
    lay = ctx.lay
    box = lay.content
    pad = 52
    inner_w = box.w - 2 * pad
    rule_h, rule_w = 12, 180
    s_size = lay.body_size + 4
    b_size = lay.small_size + 8
    b_pad = round(b_size * 0.8)
    b_gap = round(b_size * 0.45)
    gap = 48
    attempts = [(REEL_NAME_MAX, 5, 2), (REEL_NAME_MAX, 4, 1), (lay.title_size, 3, 1)]
    attempts += [(lay.title_min + 8, 2, 1), (lay.title_min, 2, 1)]
    for t_max, s_max, b_max in attempts:
        t_size, t_lines = _fit_name_whole(title, size_steps(t_max, lay.title_min, 6), inner_w)
        s_lines = fonts.clamp_lines(
            fonts.wrap_text(subtitle, "sans", s_size, box.w), s_max, "sans", s_size, box.w
        )
        rows = badge_rows(badges, b_size, box.w, b_pad, b_gap)[:b_max]
        name_h = block_height(len(t_lines), t_size, 1.05) + gap // 2 + rule_h
        parts = [name_h + 2 * pad, block_height(len(s_lines), s_size, 1.3)]
        parts.append(badges_height(rows, b_size))
        used = [p for p in parts if p]
        total = sum(used) + gap * (len(used) - 1)
        if total <= box.h:
            break
    panel_h = min(max(parts[0], REEL_PANEL_MAX), parts[0] + max(0, box.h - total))
    y: float = box.y
    ctx.draw.rounded_rectangle(
        (box.x, y, box.right, y + panel_h),
        radius=lay.radius,
        fill=mix(CARD, ctx.accent, 0.14),
        outline=mix(CARD, ctx.accent, 0.55),
        width=3,
    )
    ny = y + (panel_h - name_h) / 2
    ny = (
        draw_lines(
            ctx,
            t_lines,
            box.x + pad,
            ny,
            "bold",
            t_size,
            TEXT,
            width=inner_w,
            align="center",
            spacing=1.05,
        )
        + gap // 2
    )
    rx = box.x + (box.w - rule_w) / 2
    ctx.draw.rounded_rectangle((rx, ny, rx + rule_w, ny + rule_h), radius=6, fill=ctx.accent)
    y += panel_h + gap
    if s_lines:
        s_lh = line_height(s_size, 1.3)
        for i, line in enumerate(s_lines):
            ly = y + i * s_lh
            mark_step(
                ctx, "reveal", (box.x - 4, ly - 4, box.right + 4, ly + s_lh + 2), keywords_of(line)
            )
        y = (
            draw_lines(
                ctx,
                s_lines,
                box.x,
                y,
                "sans",
                s_size,
                SUBTLE,
                width=box.w,
                align="center",
                spacing=1.3,
            )
            + gap
        )
    if rows:
        _mark_badges_reveal(ctx, box, y, badges_height(rows, b_size), badges)
        pill_h = round(b_size * 1.9)
        for row in rows:  # each row centred
            row_w = sum(w for _, w in row) + b_gap * (len(row) - 1)
            draw_badges(ctx, [row], box.x + (box.w - row_w) / 2, y, b_size, b_pad)
            y += pill_h + b_gap
        return y - b_gap
    return y - gap


def _mark_badges_reveal(
    ctx: DrawContext, box: Box, y: float, height: float, badges: Sequence[str]
) -> None:
    """The badge row appears when the narration names a badge or says the hook's
    closing words ("a quick tour", "in a minute"), on both title layouts."""
    mark_step(
        ctx,
        "reveal",
        (box.x - 4, y - 4, box.right + 4, y + height + 6),
        keywords_of(*badges) + ["tour", "minute", "look", "know"],
    )
