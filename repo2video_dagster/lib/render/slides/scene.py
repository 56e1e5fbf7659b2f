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
from repo2video_dagster.lib.render.slides.graph import layout_graph
from repo2video_dagster.lib.render.slides.monospace import layout_code, layout_command, layout_tree
from repo2video_dagster.lib.render.slides.picture import layout_image
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
    "image": layout_image,
    "graph": layout_graph,
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
    return render_slide_motion(
        spec,
        fmt,
        repo_name=repo_name,
        scene_index=scene_index,
        scene_count=scene_count,
        accent=accent,
    )[0]


def render_slide_motion(
    spec: VisualSpec,
    fmt: str,
    *,
    repo_name: str,
    scene_index: int,
    scene_count: int,
    accent: str | None = None,
) -> tuple[Image.Image, list[dict[str, Any]]]:
    """The complete slide and its motion steps (items revealed or highlighted as the
    narration names them; ``{"kind", "box", "keywords"}`` in frame pixels).

    One drawing gives both: the compositor derives each step's picture from the
    complete slide (hiding boxes not yet revealed, tinting the spotlit one), so motion
    costs no extra slide files.
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
    steps: list[dict[str, Any]] = []
    bottom = draw_layout(
        DrawContext(img=img, draw=recorder, lay=lay, accent=accent_rgb, steps=steps),
        dict(spec.data or {}),
    )
    free = lay.content.bottom - bottom
    dy = round(max(0.0, free) * VERTICAL_BIAS)
    recorder.replay(draw, dy=dy, img=img)
    for step in steps:
        x0, y0, x1, y1 = step["box"]
        step["box"] = [max(0, x0), max(0, y0 + dy), min(lay.width, x1), min(lay.height, y1 + dy)]
    return img, steps


def save_png(img: Image.Image, path: str) -> None:
    """PNG with light compression: these files are read once by the compositor."""
    img.save(path, format="PNG", compress_level=1)
