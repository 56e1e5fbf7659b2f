"""One scene's slide: the layout for its kind, measured, then drawn centred in the content box."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image, ImageDraw

from repo2video_dagster.lib.core.records import VisualSpec
from repo2video_dagster.lib.render.slides.canvas import (
    DrawContext,
    Recorder,
    draw_chrome,
    render_background,
)
from repo2video_dagster.lib.render.slides.charts import layout_languages, layout_stats
from repo2video_dagster.lib.render.slides.monospace import layout_code, layout_command, layout_tree
from repo2video_dagster.lib.render.slides.prose import layout_outro, layout_overview
from repo2video_dagster.lib.render.slides.title import layout_title
from repo2video_dagster.lib.render.theme import layout, resolve_accent

VERTICAL_BIAS = 0.45
"""Where a short slide body sits in the free space: 0 top, 0.5 centred."""


LAYOUTS: dict[str, Callable[[DrawContext, dict[str, Any]], float]] = {
    "title": layout_title,
    "overview": layout_overview,
    "command": layout_command,
    "code": layout_code,
    "tree": layout_tree,
    "languages": layout_languages,
    "stats": layout_stats,
    "outro": layout_outro,
}


def render_slide(
    spec: VisualSpec,
    fmt: str,
    *,
    repo_name: str,
    scene_index: int,
    scene_count: int,
    accent: str | None = None,
) -> Image.Image:
    """Draw one scene's slide at the exact size of ``fmt`` (RGB).

    ``scene_index`` is 0-based; the progress indicator shows ``scene_index + 1``
    of ``scene_count``. The accent defaults to a colour derived from ``repo_name``.
    """
    lay = layout(fmt)
    draw_layout = LAYOUTS.get(spec.kind)
    if draw_layout is None:
        raise ValueError(f"unknown slide kind {spec.kind!r}: use one of {', '.join(LAYOUTS)}")
    accent_rgb = resolve_accent(accent, repo_name)
    img = render_background(lay.size, accent_rgb)
    draw = ImageDraw.Draw(img)
    draw_chrome(
        DrawContext(img=img, draw=draw, lay=lay, accent=accent_rgb),
        repo_name,
        scene_index,
        scene_count,
    )
    recorder = Recorder()
    bottom = draw_layout(
        DrawContext(img=img, draw=recorder, lay=lay, accent=accent_rgb), dict(spec.data or {})
    )
    free = lay.content.bottom - bottom
    recorder.replay(draw, dy=round(max(0.0, free) * VERTICAL_BIAS))
    return img


def save_png(img: Image.Image, path: str) -> None:
    """PNG with light compression: these files are read once by the compositor."""
    img.save(path, format="PNG", compress_level=1)
