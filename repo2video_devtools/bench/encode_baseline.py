"""The benchmark's yardstick: the product's video, encoded by bare ffmpeg from a plain loop.

``render_frames_ffmpeg_baseline`` feeds the very same frames (same bytes) to the same
ffmpeg command as :func:`~repo2video_dagster.lib.render.video.render_video`, through the
product's own encode body (:func:`~repo2video_dagster.lib.render.video.render_from_frames`);
only the frame source differs: a loop over the timeline's segments instead of moviepy's
chained clips. So the benchmark's ratio between the two (``encode_vs_ffmpeg``) measures
what moviepy itself costs. The baseline encodes the whole timeline in one process (no
scene chunks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from repo2video_dagster.lib.core.records import SceneFrames, VideoFile
from repo2video_dagster.lib.render.video import CueLike, Timeline, render_from_frames


def timeline_frames(timeline: Timeline) -> Iterator[np.ndarray]:
    """The same frames as :func:`~repo2video_dagster.lib.render.video.moviepy_frames`, from a
    plain loop over the segments (a still segment yields one array object repeatedly)."""
    for segment in timeline.segments:
        frame = timeline.frame(segment)
        for _ in range(segment.frames):
            yield frame


def render_frames_ffmpeg_baseline(
    fmt: str,
    scene_frames: list[SceneFrames],
    scene_spans: list[tuple[str, float, float]],
    cues: Sequence[CueLike],
    narration_wav: Path,
    out_path: Path,
    *,
    fps: int = 30,
    preset: str = "ultrafast",
    crf: int = 23,
    threads: int = 2,
    transition_s: float = 0.25,
    accent: str | None = None,
) -> VideoFile:
    """The same video as ``render_video``, encoded by bare ffmpeg (for the benchmark)."""
    return render_from_frames(
        "ffmpeg",
        timeline_frames,
        fmt,
        scene_frames,
        scene_spans,
        cues,
        Path(narration_wav),
        Path(out_path),
        fps=fps,
        preset=preset,
        crf=crf,
        threads=threads,
        transition_s=transition_s,
        progress=None,
        accent=accent,
    )
