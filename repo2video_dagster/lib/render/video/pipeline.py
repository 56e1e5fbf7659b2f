"""``render_video``: build the timeline, encode its frames (whole or in scene chunks), record
the statistics."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from repo2video_dagster.lib.core.records import SceneFrames, VideoFile
from repo2video_dagster.lib.core.reuse import file_digest
from repo2video_dagster.lib.render.media import audio_duration
from repo2video_dagster.lib.render.video.chunks import encode_in_chunks
from repo2video_dagster.lib.render.video.clips import moviepy_frames
from repo2video_dagster.lib.render.video.encode import encode_frames
from repo2video_dagster.lib.render.video.stats import EncodeStats, record_stats
from repo2video_dagster.lib.render.video.timeline import CueLike, FrameSource, build_segments


def render_video(
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
    progress: Callable[[float], None] | None = None,
    accent: str | None = None,
    chunks_dir: Path | None = None,
    reuse_chunks: bool = True,
) -> VideoFile:
    """Encode the ``fmt`` video (H.264 yuv420p BT.709 + AAC, faststart) from moviepy clips.

    Frames come from moviepy; the encoder is our own ffmpeg process (see
    :mod:`~repo2video_dagster.lib.render.video.encode` for why). Written to a temporary file next to ``out_path``,
    checked with ffprobe, then moved into place, so ``out_path`` is either the
    previous file or a complete new one, never a partial write. With
    ``chunks_dir`` each scene is encoded to a chunk kept there, and chunks whose
    frames are unchanged since an earlier render are reused (:class:`SceneChunk`).
    """
    return render_from_frames(
        "moviepy",
        moviepy_frames,
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
        progress=progress,
        accent=accent,
        chunks_dir=None if chunks_dir is None else Path(chunks_dir),
        reuse_chunks=reuse_chunks,
    )


def render_from_frames(
    engine: str,
    frames_of: FrameSource,
    fmt: str,
    scene_frames: list[SceneFrames],
    scene_spans: list[tuple[str, float, float]],
    cues: Sequence[CueLike],
    narration_wav: Path,
    out_path: Path,
    *,
    fps: int,
    preset: str,
    crf: int,
    threads: int,
    transition_s: float,
    progress: Callable[[float], None] | None,
    accent: str | None,
    chunks_dir: Path | None = None,
    reuse_chunks: bool = True,
) -> VideoFile:
    """Build the timeline, encode the frames ``frames_of`` yields, record and log the stats.

    One body for the product path and the benchmark's baseline
    (``repo2video_devtools.bench.encode_baseline``), so the two differ only in where
    the frames come from. ``engine`` names the frame source in the statistics.
    """
    started = time.perf_counter()
    audio_s = audio_duration(narration_wav)
    timeline = build_segments(
        fmt,
        scene_frames,
        scene_spans,
        cues,
        duration_s=audio_s,
        fps=fps,
        transition_s=transition_s,
        accent=accent,
    )
    stats = EncodeStats(engine, preset, crf)
    if chunks_dir is None:
        result = encode_frames(
            frames_of(timeline),
            timeline,
            narration_wav,
            out_path,
            audio_s=audio_s,
            stats=stats,
            threads=threads,
            progress=progress,
        )
    else:
        slides = [Path(sf.reel_path if fmt == "reel" else sf.landscape_path) for sf in scene_frames]
        result = encode_in_chunks(
            frames_of,
            timeline,
            [file_digest(path) for path in slides],
            narration_wav,
            out_path,
            chunks_dir,
            audio_s=audio_s,
            stats=stats,
            threads=threads,
            progress=progress,
            reuse=reuse_chunks,
        )
    stats.total_s = time.perf_counter() - started
    record_stats(timeline, stats)
    if progress:
        progress(1.0)
    return result
