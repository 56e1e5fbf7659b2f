"""How much of a slide's safe area carries content rather than the empty background.

A 9:16 reel whose lower half is bare gradient reads as a slideshow; this is the figure
that says so per scene (the benchmark reports it, tests can bound it).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from repo2video_dagster.lib.render.slides.canvas import render_background
from repo2video_dagster.lib.render.theme import hex_to_rgb, layout

__all__ = ["safe_area_coverage"]


def safe_area_coverage(slide: Image.Image, fmt: str, accent: str) -> float:
    """Share (0..1) of the format's safe area whose pixels differ from the background.

    Cards count as content over their whole area (their fill differs from the
    gradient), so the figure is about the space the slide uses, not ink.
    """
    lay = layout(fmt)
    box = lay.safe
    crop = (box.x, box.y, box.right, box.bottom)
    pixels = np.asarray(slide.convert("RGB").crop(crop), dtype=np.int16)
    empty = np.asarray(render_background(lay.size, hex_to_rgb(accent)).crop(crop), dtype=np.int16)
    differs = np.abs(pixels - empty).max(axis=2) > 6
    return float(differs.mean())
