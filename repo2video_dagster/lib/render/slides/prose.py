"""Layouts of plain text: the overview's bullet cards and the outro."""

from __future__ import annotations

from typing import Any

from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.slides.canvas import SUBTLE, DrawContext, keywords_of, mark_step
from repo2video_dagster.lib.render.slides.data import data_list
from repo2video_dagster.lib.render.slides.text import (
    block_height,
    draw_heading,
    draw_lines,
    fit_wrapped,
    line_height,
    size_steps,
)
from repo2video_dagster.lib.render.theme import CARD, CARD_BORDER, TEXT, mix

MAX_BULLETS = 5


def layout_overview(ctx: DrawContext, data: dict[str, Any]) -> float:
    """Heading and up to ``MAX_BULLETS`` bullet cards; the text shrinks, then trailing
    bullets are dropped, until they fit. Returns the bottom edge."""
    lay = ctx.lay
    box = lay.content
    y = draw_heading(ctx, str(data.get("heading") or ""), box)
    bullets = [str(b).strip() for b in data_list(data.get("bullets")) if str(b).strip()]
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
    for size in size_steps(lay.body_size, lay.body_min, 2):
        chosen = [
            fonts.clamp_lines(fonts.wrap_text(b, "sans", size, text_w), 3, "sans", size, text_w)
            for b in bullets
        ]
        total = sum(block_height(len(c), size) + 2 * pad for c in chosen) + gap * (len(chosen) - 1)
        if total <= avail:
            break
    while len(chosen) > 1:
        total = sum(block_height(len(c), size) + 2 * pad for c in chosen) + gap * (len(chosen) - 1)
        if total <= avail:
            break
        chosen.pop()
    for lines in chosen:
        h = block_height(len(lines), size) + 2 * pad
        mark_step(
            ctx, "reveal", (box.x - 2, y - 2, box.right + 3, y + h + 3), keywords_of(lines[0])
        )
        lh = line_height(size)
        for i, line in enumerate(lines[1:], start=1):  # later lines as they are read
            ly = y + pad + i * lh
            line_box = (box.x + strip + pad - 4, ly - 4, box.right - 6, ly + lh)
            mark_step(ctx, "reveal", line_box, keywords_of(line), fill=CARD)
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
        draw_lines(ctx, lines, box.x + strip + pad, y + pad, "sans", size, TEXT)
        y += h + gap
    return y - gap


def layout_outro(ctx: DrawContext, data: dict[str, Any]) -> float:
    """Closing card, centred: heading, a few lines and the URL in a pill. Returns the
    bottom edge."""
    lay = ctx.lay
    box = lay.content
    heading = str(data.get("heading") or "").strip()
    lines_in = [str(s).strip() for s in data_list(data.get("lines")) if str(s).strip()]
    url = str(data.get("url") or "").strip()
    h_size, h_lines = fit_wrapped(
        heading, "bold", size_steps(lay.heading_size + 16, lay.body_size + 8), box.w, 3
    )
    b_size = lay.body_size
    u_size = lay.small_size + 4
    pill_pad = 28
    url_text = fonts.ellipsize(url, "mono_bold", u_size, box.w - 2 * pill_pad) if url else ""
    pill_h = round(u_size * 2.0)
    gap = round(lay.body_size * 1.1)
    fixed = block_height(len(h_lines), h_size, 1.12) + (pill_h + gap if url_text else 0)
    max_body = max(
        0, int((box.h - fixed - gap - round(b_size * 1.17)) // line_height(b_size, 1.35)) + 1
    )
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
            draw_lines(
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
        b_lh = line_height(b_size, 1.35)
        for i, line in enumerate(body):
            ly = y + i * b_lh
            mark_step(ctx, "reveal", (box.x, ly - 4, box.right, ly + b_lh + 2), keywords_of(line))
        y = (
            draw_lines(
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
        mark_step(
            ctx,
            "reveal",
            (x - 4, y - 4, x + w + 5, y + pill_h + 5),
            keywords_of(url) + ["find", "repository", "github", "code"],
        )
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
