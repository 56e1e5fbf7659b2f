"""The daily success-rate chart as a PNG, drawn with Pillow (matplotlib is not installed).

One bar per day (green share = successes, red = failures, height = runs), the success
rate printed above each bar, the last ``days`` days with runs. Sized for a phone
(600 px wide) and readable in the Dagster UI's metadata panel.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont

if TYPE_CHECKING:
    import pandas as pd

WIDTH, HEIGHT = 600, 300
MARGIN = (48, 36, 16, 44)  # left, top, right, bottom
GREEN, RED, GREY, INK, PAPER = "#2e9d5b", "#d64545", "#c9ced8", "#1d2330", "#ffffff"


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    from repo2video_dagster.lib.core.errors import EngineError
    from repo2video_dagster.lib.render.fonts import get_font

    try:
        return get_font("sans", size)
    except EngineError:  # no DejaVu: Pillow's own font still draws the chart
        return ImageFont.load_default(size)


def success_chart_png(daily: pd.DataFrame, days: int = 14) -> bytes:
    """PNG bytes of the chart of ``daily`` (``tables.daily_success``)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    small, title = _font(11), _font(14)
    left, top, right, bottom = MARGIN
    draw.text((left, 8), "Renders per day: success (green) / failure (red)", fill=INK, font=title)
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom
    draw.line([(left, top + plot_h), (left + plot_w, top + plot_h)], fill=GREY, width=1)
    rows = daily.tail(days)
    if rows.empty:
        draw.text((left + 8, top + plot_h // 2), "no finished runs yet", fill=INK, font=small)
        return _png(image)
    peak = max(int(rows["runs"].max()), 1)
    draw.text((4, top - 6), str(peak), fill=INK, font=small)
    draw.text((4, top + plot_h - 12), "0", fill=INK, font=small)
    slot = plot_w / len(rows)
    bar = min(48.0, max(4.0, slot * 0.6))
    for i, row in enumerate(rows.itertuples(index=False)):
        x0 = left + i * slot + (slot - bar) / 2
        total_h = plot_h * row.runs / peak
        ok_h = total_h * (row.successes / row.runs if row.runs else 0)
        base = top + plot_h
        if ok_h > 0:
            draw.rectangle([x0, base - ok_h, x0 + bar, base], fill=GREEN)
        if total_h - ok_h > 0.5:
            draw.rectangle([x0, base - total_h, x0 + bar, base - ok_h], fill=RED)
        draw.text((x0, base - total_h - 14), f"{row.success_rate:.0%}", fill=INK, font=small)
        draw.text((x0, base + 4), str(row.day)[5:], fill=INK, font=small)
    return _png(image)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
