"""Layouts of plain text: the overview's bullet cards and the outro."""

from __future__ import annotations

from typing import Any

from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.slides.canvas import (
    SUBTLE,
    DrawContext,
    draw_window,
    keywords_of,
    mark_step,
)
from repo2video_dagster.lib.render.slides.data import data_list
from repo2video_dagster.lib.render.slides.text import (
    block_height,
    draw_heading,
    draw_lines,
    fit_wrapped,
    line_height,
    size_steps,
)
from repo2video_dagster.lib.render.theme import CARD, CARD_BORDER, TERMINAL_BG, TEXT, Box, mix

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
    bottom edge. The reel has its own stacked layout (:func:`layout_outro_reel`)."""
    lay = ctx.lay
    box = lay.content
    heading = str(data.get("heading") or "").strip()
    lines_in = [str(s).strip() for s in data_list(data.get("lines")) if str(s).strip()]
    url = str(data.get("url") or "").strip()
    if lay.fmt == "reel":
        return layout_outro_reel(ctx, heading, lines_in, url)
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


OUTRO_CHIPS = 4
"""Facts shown as chips on the reel's outro (language, licence, stars ...)."""


def _chip_rows(
    chips: list[str], size: int, max_w: float, pad: int, gap: int
) -> list[list[tuple[str, float]]]:
    rows: list[list[tuple[str, float]]] = [[]]
    used = 0.0
    for chip in chips:
        text = fonts.ellipsize(chip, "bold", size, max_w - 2 * pad)
        w = fonts.text_width(text, "bold", size) + 2 * pad
        if rows[-1] and used + gap + w > max_w:
            rows.append([])
            used = 0.0
        used += (gap if rows[-1] else 0) + w
        rows[-1].append((text, w))
    return [r for r in rows if r]


def layout_outro_reel(ctx: DrawContext, heading: str, lines: list[str], url: str) -> float:
    """The reel's call to action, stacked to fill the tall frame: the heading large, the
    install command in a terminal card (a fresh prompt with a cursor under it, as if
    waiting for the viewer), the project's facts as chips, and the link in a wide pill.

    ``lines`` are the outro's lines: ``$ …`` ones are commands (``git clone`` of the link
    when there is none), the first plain line is
    the repository's name (left out when the link already says it), the rest are chips.
    Free height goes into the gaps (up to twice their size), the rest centres the block.
    Returns the bottom edge."""
    lay = ctx.lay
    box = lay.content
    commands = [line[2:].strip() for line in lines if line.startswith("$ ")][:2]
    if not commands and url.startswith(("https://", "http://")):
        commands = [f"git clone {url}"]  # no install command: getting the code is the action
    plain = [line for line in lines if not line.startswith("$ ")]
    name = plain[0] if plain else ""
    if name and url and (name == url or url.rstrip("/").endswith("/" + name)):
        name = ""
    chips = plain[1:][:OUTRO_CHIPS]
    h_size, h_lines = fit_wrapped(
        heading, "bold", size_steps(lay.heading_size + 32, lay.body_size + 8), box.w, 2
    )
    n_size = lay.heading_size
    n_lines = (
        fonts.clamp_lines(fonts.wrap_text(name, "bold", n_size, box.w), 2, "bold", n_size, box.w)
        if name
        else []
    )
    # the terminal card: largest monospace size at which each command fits two lines
    bar_h, pad = 60, 28
    inner_w = box.w - 2 * pad
    # the largest size at which every command takes one line, else two lines
    wrapped: list[list[str]] = []
    m_size = lay.mono_size + 4
    tries = [(1, z) for z in size_steps(lay.mono_size + 4, lay.mono_size - 6, 2)]
    tries += [(2, z) for z in size_steps(lay.mono_size + 4, lay.mono_min, 2)]
    for lines_max, m_size in tries:
        cols = max(8, int(inner_w // fonts.char_width("mono", m_size)))
        wrapped = [_wrap_command("$ " + c, cols) for c in commands]
        if all(len(c) + 2 <= lines_max * cols - 2 * (lines_max - 1) for c in commands):
            break
    m_lh = line_height(m_size, 1.35)
    term_lines = sum(len(w) for w in wrapped) + (1 if wrapped else 0)  # + the waiting prompt
    term_h = bar_h + 2 * pad + term_lines * m_lh if wrapped else 0
    c_size = lay.body_size
    c_pad, c_gap = round(c_size * 0.8), round(c_size * 0.45)
    c_rows = _chip_rows(chips, c_size, box.w, c_pad, c_gap)[:2]
    chip_h = round(c_size * 1.9)
    chips_h = len(c_rows) * chip_h + max(0, len(c_rows) - 1) * c_gap
    u_size = lay.mono_size + 4
    u_pad = 36
    url_text = ""
    if url:
        for u_size in size_steps(lay.mono_size + 4, lay.mono_min, 2):
            url_text = fonts.ellipsize(url, "mono_bold", u_size, box.w - 2 * u_pad)
            if url_text == url:
                break
    pill_h = round(u_size * 2.6)
    parts = [
        block_height(len(h_lines), h_size, 1.1),
        block_height(len(n_lines), n_size, 1.1),
        term_h,
        chips_h,
        pill_h if url_text else 0,
    ]
    used = [p for p in parts if p]
    base_gap = 44
    free = box.h - sum(used) - base_gap * (len(used) - 1)
    gap = base_gap + (min(base_gap, free // max(1, len(used) - 1)) if free > 0 else 0)
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
                spacing=1.1,
            )
            + gap
        )
    if n_lines:
        mark_step(ctx, "reveal", (box.x, y - 4, box.right, y + parts[1] + 4), keywords_of(name))
        y = (
            draw_lines(
                ctx,
                n_lines,
                box.x,
                y,
                "bold",
                n_size,
                ctx.accent,
                width=box.w,
                align="center",
                spacing=1.1,
            )
            + gap
        )
    if wrapped:
        inner = draw_window(ctx, Box(box.x, round(y), box.w, term_h), TERMINAL_BG)
        ty = inner.y + 4
        for command, group in zip(commands, wrapped, strict=True):
            mark_step(
                ctx,
                "reveal",
                (inner.x - 4, ty - 6, inner.right + 4, ty + len(group) * m_lh + 2),
                keywords_of(command),
                fill=TERMINAL_BG,
            )
            for i, line in enumerate(group):
                if i == 0:
                    w = fonts.draw_text(
                        ctx.draw, (inner.x, ty), "$ ", "mono_bold", m_size, ctx.accent
                    )
                    fonts.draw_text(ctx.draw, (inner.x + w, ty), line[2:], "mono", m_size, TEXT)
                else:
                    fonts.draw_text(ctx.draw, (inner.x, ty), line, "mono", m_size, TEXT)
                ty += m_lh
        w = fonts.draw_text(ctx.draw, (inner.x, ty), "$ ", "mono_bold", m_size, ctx.accent)
        cw = fonts.char_width("mono", m_size)
        ctx.draw.rectangle(
            (inner.x + w, ty + 4, inner.x + w + cw, ty + round(m_size * 1.17) - 2), fill=SUBTLE
        )
        y += term_h + gap
    if c_rows:
        mark_step(
            ctx, "reveal", (box.x - 4, y - 4, box.right + 4, y + chips_h + 6), keywords_of(*chips)
        )
        for row in c_rows:
            row_w = sum(w for _, w in row) + c_gap * (len(row) - 1)
            x = box.x + (box.w - row_w) / 2
            for text, w in row:
                ctx.draw.rounded_rectangle(
                    (x, y, x + w, y + chip_h),
                    radius=chip_h // 2,
                    fill=CARD,
                    outline=CARD_BORDER,
                    width=3,
                )
                ty = y + (chip_h - round(c_size * 1.17)) / 2
                fonts.draw_text(ctx.draw, (x + c_pad, ty), text, "bold", c_size, SUBTLE)
                x += w + c_gap
            y += chip_h + c_gap
        y += gap - c_gap
    if url_text:
        mark_step(
            ctx,
            "reveal",
            (box.x - 4, y - 4, box.right + 5, y + pill_h + 5),
            keywords_of(url) + ["find", "repository", "github", "code"],
        )
        ctx.draw.rounded_rectangle(
            (box.x, y, box.right, y + pill_h),
            radius=pill_h // 2,
            fill=mix(CARD, ctx.accent, 0.22),
            outline=ctx.accent,
            width=4,
        )
        tw = fonts.text_width(url_text, "mono_bold", u_size)
        ty = y + (pill_h - round(u_size * 1.17)) / 2
        fonts.draw_text(
            ctx.draw, (box.x + (box.w - tw) / 2, ty), url_text, "mono_bold", u_size, TEXT
        )
        return y + pill_h
    return y - gap


def _wrap_command(text: str, cols: int) -> list[str]:
    """A shell line hard-wrapped at ``cols`` characters, at most two lines ("…" at the cut)."""
    lines = [text[:cols]]
    rest = text[cols:]
    while rest and len(lines) < 3:
        lines.append("  " + rest[: cols - 2])
        rest = rest[cols - 2 :]
    if len(lines) > 2:
        lines = lines[:2]
        lines[-1] = lines[-1][: cols - 1] + fonts.ELLIPSIS
    return lines
