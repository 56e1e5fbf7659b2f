"""The timeline as moviepy clips (one still clip per segment, chained), and their frames.

The product's frames come from moviepy's ``iter_frames``; moviepy is imported
only when frames are asked for (it is slow to import).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from repo2video_dagster.lib.render.video.timeline import Segment, Timeline


def clip_durations(timeline: Timeline) -> list[float]:
    """Segment durations for moviepy's chain concatenation.

    moviepy picks the clip whose cumulative start is <= the frame time; putting
    every boundary half a frame before the frame it belongs to makes that choice
    immune to float rounding. The last clip gets a quarter frame extra so that
    ``int(duration * fps)`` counts the final frame.
    """
    fps = timeline.fps
    counts = [s.frames for s in timeline.segments]
    durations = [n / fps for n in counts]
    if len(durations) > 1:
        durations[0] -= 0.5 / fps
        durations[-1] += 0.5 / fps
    durations[-1] += 0.25 / fps
    return durations


def _segment_clips(timeline: Timeline) -> list[Any]:
    """One still clip per segment; all frames of a segment are the same array object."""
    from moviepy import VideoClip

    cache: dict[str, Any] = {"segment": None, "frame": None}

    def frame_of(segment: Segment) -> np.ndarray:
        if cache["segment"] is not segment:
            cache["frame"] = timeline.frame(segment)
            cache["segment"] = segment
        return cache["frame"]

    clips = []
    size = (timeline.width, timeline.height)
    for segment, duration in zip(timeline.segments, clip_durations(timeline), strict=True):
        clip = VideoClip(duration=duration)
        clip.frame_function = lambda t, s=segment: frame_of(s)
        clip.size = size
        clips.append(clip)
    return clips


def moviepy_frames(timeline: Timeline) -> Iterator[np.ndarray]:
    """The timeline's frames as moviepy produces them (chained still clips, ``iter_frames``)."""
    from moviepy import concatenate_videoclips

    video = concatenate_videoclips(_segment_clips(timeline), method="chain")
    try:
        yield from video.iter_frames(fps=timeline.fps, dtype="uint8")
    finally:
        video.close()
