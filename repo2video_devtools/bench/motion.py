"""Motion and framing figures of a finished render, from its own stored outputs.

Cheap: the timeline is rebuilt from the visuals, narration and captions (no frame
is composed), and coverage reads each reel slide once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image


def motion_figures(visuals: Any, narration: Any, captions: Any) -> dict[str, Any]:
    """``max_static_s`` (longest run of identical frames), ``max_still_picture_s`` (the
    same with captions ignored) per format, and the reel's safe-area coverage per scene."""
    from repo2video_dagster.assets.render import scene_spans
    from repo2video_dagster.lib.render.slides.coverage import safe_area_coverage
    from repo2video_dagster.lib.render.video import (
        build_segments,
        max_static_s,
        max_still_picture_s,
    )
    from repo2video_dagster.lib.speech.subtitles import group_cues

    spans = scene_spans(narration)
    cues = group_cues(captions.words, track_end=narration.duration_s)
    out: dict[str, Any] = {}
    for fmt in ("reel", "landscape"):
        if not all(Path(getattr(sf, f"{fmt}_path")).is_file() for sf in visuals.scenes):
            continue
        timeline = build_segments(
            fmt, visuals.scenes, spans, cues, duration_s=narration.duration_s, fps=30
        )
        suffix = "" if fmt == "reel" else "_landscape"
        out[f"max_static_s{suffix}"] = max_static_s(timeline)
        out[f"max_still_picture_s{suffix}"] = max_still_picture_s(timeline)
        if fmt == "reel":
            accent = timeline.renderer.accent or "#22d3ee"
            coverage = {}
            for sf in visuals.scenes:
                with Image.open(sf.reel_path) as img:
                    coverage[sf.scene_id] = round(safe_area_coverage(img, "reel", accent), 3)
            out["reel_safe_coverage"] = coverage
            out["reel_safe_coverage_min"] = min(coverage.values())
            out["motion_steps"] = sum(len(sf.reel_steps) for sf in visuals.scenes)
    return out
