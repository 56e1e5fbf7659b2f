"""The repository's own picture on a slide, fitted whole, slowly zoomed while it is on screen.

The picture is decoded here (first frame of a GIF; SVG through ``rsvg-convert`` when it
is installed), checked for size, and fitted inside the content box under the heading.
The slide marks one motion step per zoom increment (``kind: "zoom"``): the compositor
redraws only the picture's box for each, so a slow Ken Burns costs a few dozen
region redraws per scene, not a composed frame per video frame.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

from repo2video_dagster.lib.render.slides.canvas import DrawContext
from repo2video_dagster.lib.render.slides.text import draw_heading
from repo2video_dagster.lib.render.theme import CARD_BORDER

log = logging.getLogger(__name__)

__all__ = ["ZOOM_END", "ZOOM_STEPS", "layout_image", "load_picture", "zoomed"]

MIN_SIDE = 200
"""Smaller pictures are icons, not screenshots."""
MAX_PIXELS = 40_000_000
ZOOM_STEPS = 24
"""Zoom increments over the scene (about four a second in a six-second scene)."""
ZOOM_END = 1.08
"""The picture ends the scene 8 % larger than it starts, drifting toward its centre-top."""


def load_picture(path: str | Path) -> Image.Image | None:
    """The picture as RGB, or ``None`` (with a log line) when it cannot be shown:
    undecodable, an SVG without ``rsvg-convert``, too large, or icon-sized."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".svg":
            tool = shutil.which("rsvg-convert")
            if tool is None:
                log.info("picture %s skipped: rsvg-convert is not installed", path.name)
                return None
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "svg.png"
                proc = subprocess.run(
                    [tool, "-w", "1400", "-o", str(out), str(path)],
                    capture_output=True,
                    timeout=30,
                    check=False,
                )
                if proc.returncode != 0 or not out.is_file():
                    log.info("picture %s skipped: rsvg-convert failed", path.name)
                    return None
                return _checked(Image.open(out), path.name)
        return _checked(Image.open(path), path.name)
    except (OSError, ValueError, Image.DecompressionBombError, subprocess.TimeoutExpired) as err:
        log.info("picture %s skipped: %s", path.name, err)
        return None


def _checked(img: Image.Image, name: str) -> Image.Image | None:
    with img:
        w, h = img.size
        if w * h > MAX_PIXELS:
            log.info("picture %s skipped: %dx%d is too large", name, w, h)
            return None
        if min(w, h) < MIN_SIDE:
            log.info("picture %s skipped: %dx%d is an icon, not a picture", name, w, h)
            return None
        img.seek(0)  # a GIF's first frame
        rgba = img.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, (0, 0), rgba.getchannel("A"))
    return flat


def zoomed(picture: Image.Image, size: tuple[int, int], zoom: float) -> Image.Image:
    """``picture`` fitted to ``size`` and zoomed by ``zoom`` about its upper centre."""
    w, h = picture.size
    cw, ch = w / zoom, h / zoom
    x0 = (w - cw) / 2
    y0 = (h - ch) * 0.35
    return picture.resize(size, Image.Resampling.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))


def layout_image(ctx: DrawContext, data: dict[str, Any]) -> float:
    """Heading, then the picture as large as fits, framed. Returns the bottom edge."""
    box = ctx.lay.content
    y = draw_heading(ctx, str(data.get("heading") or ""), box)
    picture = load_picture(str(data.get("image_file") or "")) if data.get("image_file") else None
    if picture is None:
        return y
    avail_w, avail_h = box.w - 6, box.bottom - round(y) - 3  # the frame stays inside the box
    scale = min(avail_w / picture.width, avail_h / picture.height)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    x = box.x + (box.w - size[0]) // 2
    top = round(y)
    ctx.draw.rounded_rectangle(
        (x - 3, top - 3, x + size[0] + 2, top + size[1] + 2), radius=8, outline=CARD_BORDER, width=3
    )
    ctx.draw.paste(zoomed(picture, size, 1.0), (x, top))
    if ctx.steps is not None:
        for k in range(1, ZOOM_STEPS + 1):
            ctx.steps.append(
                {
                    "kind": "zoom",
                    "box": [x, top, x + size[0], top + size[1]],
                    "keywords": [],
                    "image": str(data["image_file"]),
                    "zoom": round(1.0 + (ZOOM_END - 1.0) * k / ZOOM_STEPS, 4),
                }
            )
    return top + size[1]
