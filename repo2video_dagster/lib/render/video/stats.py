"""Where an encode's time went: per-encode statistics, logged and kept per thread.

The asset reports them as metadata and the benchmark reads them, both through
:func:`encode_stats` right after the encode in the same thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from repo2video_dagster.lib.render.video.timeline import Timeline

log = logging.getLogger(__name__)


@dataclass
class EncodeStats:
    """Where an encode's time went (read by the benchmark through :func:`encode_stats`)."""

    pipeline: str
    """``"moviepy"`` or ``"ffmpeg"`` (the benchmark's bare baseline, in repo2video_devtools)."""
    preset: str
    crf: int
    frames_written: int = 0
    distinct_frames: int = 0
    """Frames composed (one per segment): the rest are repeats of the same buffer."""
    prepare_s: float = 0.0
    """Composing and converting the distinct frames (slides to YUV, caption regions, fades)."""
    ffmpeg_wall_s: float = 0.0
    """From starting ffmpeg to its exit: includes waiting for frames."""
    total_s: float = 0.0
    """The whole call: timeline, encode, ffprobe check, move into place."""
    chunks: int = 0
    """Scene chunks of the timeline (0: encoded in one piece)."""
    chunks_reused: int = 0
    """Chunks whose earlier encode was reused because their frames are unchanged."""

    def add(self, chunk: EncodeStats) -> None:
        """Count one chunk's encode into these totals."""
        self.frames_written += chunk.frames_written
        self.distinct_frames += chunk.distinct_frames
        self.prepare_s += chunk.prepare_s
        self.ffmpeg_wall_s += chunk.ffmpeg_wall_s

    @property
    def ms_per_distinct_frame(self) -> float:
        return 1000 * self.prepare_s / self.distinct_frames if self.distinct_frames else 0.0


_stats = threading.local()


def encode_stats() -> EncodeStats | None:
    """The statistics of the latest encode in this thread (``None`` before the first)."""
    return getattr(_stats, "latest", None)


def record_stats(timeline: Timeline, stats: EncodeStats) -> None:
    """Keep ``stats`` as this thread's latest (:func:`encode_stats`) and log them."""
    _stats.latest = stats
    chunks = (
        f", {stats.chunks - stats.chunks_reused} of {stats.chunks} scene chunks encoded"
        if stats.chunks
        else ""
    )
    log.info(
        "%s video (%s, %s): %d frames, %d distinct (%.1f ms each), %.1f s of video "
        "encoded in %.1f s (ffmpeg %.1f s)%s",
        timeline.fmt,
        stats.pipeline,
        stats.preset,
        stats.frames_written,
        stats.distinct_frames,
        stats.ms_per_distinct_frame,
        timeline.duration_s,
        stats.total_s,
        stats.ffmpeg_wall_s,
        chunks,
    )
