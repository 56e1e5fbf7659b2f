"""Layouts of plain text: the overview's bullet cards and the outro."""

from __future__ import annotations

import re
from dataclasses import dataclass
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
    """Closing card: the call to action stacked in a centred column
    (:func:`layout_outro_stacked`). Returns the bottom edge."""
    heading = str(data.get("heading") or "").strip()
    lines_in = [str(s).strip() for s in data_list(data.get("lines")) if str(s).strip()]
    url = str(data.get("url") or "").strip()
    return layout_outro_stacked(ctx, heading, lines_in, url)


OUTRO_COLUMN_MAX = 1180
"""Width of the outro's column on the landscape slide (the reel's content box is narrower)."""
OUTRO_CHIP_CHARS = 32
"""Outro lines up to this long are chips (language, licence, stars); longer ones text."""
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


@dataclass
class _OutroPlan:
    """What the stacked outro draws, measured: each block's lines and size."""

    h_size: int
    h_lines: list[str]
    name_lines: list[str]
    prose: list[str]
    commands: list[str]
    wrapped: list[list[str]]
    m_size: int
    chip_rows: list[list[tuple[str, float]]]
    url_text: str
    u_size: int

    def heights(self, lay_body: int, heading: int) -> list[int]:
        """Heights of the blocks in drawing order (0: the block is left out)."""
        m_lh = line_height(self.m_size, 1.35)
        term = 60 + 2 * 28 + (sum(len(w) for w in self.wrapped) + 1) * m_lh
        chip_h = round(lay_body * 1.9)
        rows = len(self.chip_rows)
        return [
            block_height(len(self.h_lines), self.h_size, 1.1),
            block_height(len(self.name_lines), heading, 1.1),
            block_height(len(self.prose), lay_body, 1.3),
            term if self.wrapped else 0,
            rows * chip_h + max(0, rows - 1) * round(lay_body * 0.45),
            round(self.u_size * 2.6) if self.url_text else 0,
        ]


def _plan_outro(
    ctx: DrawContext, box: Box, heading: str, lines: list[str], url: str, level: int
) -> _OutroPlan:
    """The outro's blocks at a fitting ``level``: 0 shows everything; each level leaves
    out a little more (longer text, the name, a second chip row, a second command, the
    heading's second line, the chips) until the column holds it."""
    lay = ctx.lay
    commands = [line[2:].strip() for line in lines if line.startswith("$ ")][:2]
    if not commands and url.startswith(("https://", "http://")):
        commands = [f"git clone {url}"]  # no install command: getting the code is the action
    plain = [line for line in lines if not line.startswith("$ ")]
    name = plain[0] if plain and not re.search(r"\s", plain[0]) else ""
    if name:
        plain = plain[1:]
        if url and (name == url or url.rstrip("/").endswith("/" + name)):
            name = ""  # the link says it
    chips = [c for c in plain if len(c) <= OUTRO_CHIP_CHARS][:OUTRO_CHIPS]
    prose_in = [c for c in plain if len(c) > OUTRO_CHIP_CHARS]
    body = lay.body_size
    prose: list[str] = []
    if level < 2:
        for text in prose_in:
            prose += fonts.clamp_lines(
                fonts.wrap_text(text, "sans", body, box.w), 2, "sans", body, box.w
            )
        prose = prose[: 3 if level == 0 else 2]
    h_lines_max = 2 if level < 5 else 1
    h_sizes = (
        size_steps(lay.heading_size + 32, lay.body_size + 8) if level < 5 else [lay.heading_size]
    )
    h_size, h_lines = fit_wrapped(heading, "bold", h_sizes, box.w, h_lines_max)
    n_size = lay.heading_size
    name_lines = (
        fonts.clamp_lines(fonts.wrap_text(name, "bold", n_size, box.w), 2, "bold", n_size, box.w)
        if name and level < 4
        else []
    )
    if level >= 5:
        commands = commands[:1]
    # the largest monospace size at which every command takes one line, else two lines
    inner_w = box.w - 2 * 28
    wrapped: list[list[str]] = []
    m_size = lay.mono_size + 4
    tries = [(1, z) for z in size_steps(lay.mono_size + 4, lay.mono_size - 6, 2)]
    tries += [(2, z) for z in size_steps(lay.mono_size + 4, lay.mono_min, 2)]
    for lines_max, m_size in tries:
        cols = max(8, int(inner_w // fonts.char_width("mono", m_size)))
        wrapped = [_wrap_command("$ " + c, cols) for c in commands]
        if all(len(c) + 2 <= lines_max * cols - 2 * (lines_max - 1) for c in commands):
            break
    c_pad, c_gap = round(body * 0.8), round(body * 0.45)
    rows_max = 2 if level < 3 else (1 if level < 6 else 0)
    chip_rows = _chip_rows(chips, body, box.w, c_pad, c_gap)[:rows_max]
    u_size = lay.mono_size + 4
    url_text = ""
    if url:
        for u_size in size_steps(lay.mono_size + 4, lay.mono_min, 2):
            url_text = fonts.ellipsize(url, "mono_bold", u_size, box.w - 72)
            if url_text == url:
                break
    return _OutroPlan(
        h_size, h_lines, name_lines, prose, commands, wrapped, m_size, chip_rows, url_text, u_size
    )


def layout_outro_stacked(ctx: DrawContext, heading: str, lines: list[str], url: str) -> float:
    """The call to action, stacked in a centred column: the heading large, the repository's
    name, the install command in a terminal card (a fresh prompt with a cursor under it, as
    if waiting for the viewer), the project's facts as chips, and the link in a wide pill.

    ``lines`` are the outro's lines: ``$ …`` ones are commands (``git clone`` of the link
    when there is none); a first line without spaces is the repository's name (left out
    when the link already says it); short lines are chips, longer ones text. What does not
    fit is left out step by step (:func:`_plan_outro`). Free height goes into the gaps (up
    to twice their size), the rest centres the block. Returns the bottom edge."""
    lay = ctx.lay
    # a centred column: on the wide slide a terminal and a pill across 1,700 px look empty
    col_w = min(lay.content.w, OUTRO_COLUMN_MAX)
    box = Box(lay.content.x + (lay.content.w - col_w) // 2, lay.content.y, col_w, lay.content.h)
    base_gap = 44
    for level in range(7):
        plan = _plan_outro(ctx, box, heading, lines, url, level)
        parts = plan.heights(lay.body_size, lay.heading_size)
        used = [h for h in parts if h]
        if sum(used) + base_gap * (len(used) - 1) <= box.h:
            break
    free = box.h - sum(used) - base_gap * (len(used) - 1)
    gap = base_gap + (min(base_gap, free // max(1, len(used) - 1)) if free > 0 else 0)
    body = lay.body_size
    y: float = box.y
    if plan.h_lines:
        y = (
            draw_lines(
                ctx,
                plan.h_lines,
                box.x,
                y,
                "bold",
                plan.h_size,
                TEXT,
                width=box.w,
                align="center",
                spacing=1.1,
            )
            + gap
        )
    if plan.name_lines:
        name = " ".join(plan.name_lines)
        mark_step(ctx, "reveal", (box.x, y - 4, box.right, y + parts[1] + 4), keywords_of(name))
        y = (
            draw_lines(
                ctx,
                plan.name_lines,
                box.x,
                y,
                "bold",
                lay.heading_size,
                ctx.accent,
                width=box.w,
                align="center",
                spacing=1.1,
            )
            + gap
        )
    if plan.prose:
        p_lh = line_height(body, 1.3)
        for i, line in enumerate(plan.prose):
            ly = y + i * p_lh
            mark_step(ctx, "reveal", (box.x, ly - 4, box.right, ly + p_lh + 2), keywords_of(line))
        y = (
            draw_lines(
                ctx,
                plan.prose,
                box.x,
                y,
                "sans",
                body,
                SUBTLE,
                width=box.w,
                align="center",
                spacing=1.3,
            )
            + gap
        )
    if plan.wrapped:
        m_size, m_lh = plan.m_size, line_height(plan.m_size, 1.35)
        inner = draw_window(ctx, Box(box.x, round(y), box.w, parts[3]), TERMINAL_BG)
        ty = inner.y + 4
        for command, group in zip(plan.commands, plan.wrapped, strict=True):
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
        y += parts[3] + gap
    if plan.chip_rows:
        chip_h, c_gap, c_pad = round(body * 1.9), round(body * 0.45), round(body * 0.8)
        chips = [text for row in plan.chip_rows for text, _ in row]
        mark_step(
            ctx, "reveal", (box.x - 4, y - 4, box.right + 4, y + parts[4] + 6), keywords_of(*chips)
        )
        for row in plan.chip_rows:
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
                ty = y + (chip_h - round(body * 1.17)) / 2
                fonts.draw_text(ctx.draw, (x + c_pad, ty), text, "bold", body, SUBTLE)
                x += w + c_gap
            y += chip_h + c_gap
        y += gap - c_gap
    if plan.url_text:
        pill_h, u_size = parts[5], plan.u_size
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
        tw = fonts.text_width(plan.url_text, "mono_bold", u_size)
        ty = y + (pill_h - round(u_size * 1.17)) / 2
        fonts.draw_text(
            ctx.draw, (box.x + (box.w - tw) / 2, ty), plan.url_text, "mono_bold", u_size, TEXT
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
