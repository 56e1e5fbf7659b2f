"""The 1280x720 cover image."""

from __future__ import annotations

from PIL import Image, ImageDraw

from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.slides.canvas import SUBTLE, DrawContext, render_background
from repo2video_dagster.lib.render.slides.text import block_height, draw_lines, size_steps
from repo2video_dagster.lib.render.slides.title import (
    badge_rows,
    badges_height,
    draw_badges,
    fit_name,
)
from repo2video_dagster.lib.render.theme import TEXT, THUMBNAIL_SIZE, Box, layout, resolve_accent


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
    ctx = DrawContext(img=img, draw=draw, lay=lay, accent=accent_rgb)
    margin = 72
    box = Box(margin + 28, 60, width - 2 * margin - 28, height - 120)
    draw.rounded_rectangle((margin, 60, margin + 12, height - 60), radius=6, fill=accent_rgb)

    k_size = 30
    kicker = fonts.ellipsize(repo_name, "bold", k_size, box.w)
    t_size, t_lines = fit_name(title or repo_name, size_steps(118, 56, 6), box.w, 3)
    s_size = 36
    s_lines = fonts.clamp_lines(
        fonts.wrap_text(subtitle or "", "sans", s_size, box.w), 2, "sans", s_size, box.w
    )
    b_size = 28
    pad_x = 22
    rows = badge_rows([b for b in badges if str(b).strip()][:5], b_size, box.w, pad_x, 12)[:1]
    gap = 30
    parts = [
        block_height(1, k_size),
        block_height(len(t_lines), t_size, 1.06),
        block_height(len(s_lines), s_size, 1.3),
        badges_height(rows, b_size),
    ]
    used = [p for p in parts if p]
    total = sum(used) + gap * (len(used) - 1)
    y = box.y + max(0, (box.h - total) // 2)
    y = draw_lines(ctx, [kicker], box.x, y, "bold", k_size, ctx.accent) + gap
    y = draw_lines(ctx, t_lines, box.x, y, "bold", t_size, TEXT, spacing=1.06) + gap
    if s_lines:
        y = draw_lines(ctx, s_lines, box.x, y, "sans", s_size, SUBTLE, spacing=1.3) + gap
    if rows:
        draw_badges(ctx, rows, box.x, y, b_size, pad_x)
    return img
