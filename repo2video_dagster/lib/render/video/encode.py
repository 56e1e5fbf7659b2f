"""One ffmpeg process: raw yuv420p frames on stdin (plus the narration WAV) to an H.264 mp4.

Why moviepy's own writer is not used: moviepy 2.2.1's ``FFMPEG_VideoWriter``
hard-codes ``-pix_fmt rgb24`` for its input (its ``pixel_format`` argument is
ignored), so ffmpeg converts RGB to YUV for EVERY output frame, 30 times a
second, although the picture changes a few times a second; and the pipe carries
twice the bytes. Measured with x264 on 900 identical 1080x1920 frames: rgb24
input 10.4 s (veryfast) / 6.7 s (ultrafast), yuv420p input 7.85 s / 4.8 s, i.e.
about 2.8 ms per frame, ~4.7 s per minute of reel, spent converting pictures
that did not change. moviepy also encodes the audio to a temporary file first.
So frames go to our own ffmpeg process, which reads raw yuv420p and the
narration WAV directly.

Still segments hand the encoder the same array object for each of their frames,
written to the pipe as a buffer view (no per-frame copy).
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import numpy as np

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.core.records import VideoFile
from repo2video_dagster.lib.render.media import ffmpeg_path
from repo2video_dagster.lib.render.video.outputs import (
    encode_errors,
    ffmpeg_failed,
    place_video,
    prepare_output_dir,
    remove_files,
    temp_path,
)
from repo2video_dagster.lib.render.video.stats import EncodeStats
from repo2video_dagster.lib.render.video.timeline import Timeline
from repo2video_dagster.lib.render.video.yuv import COLOR_TAGS

AUDIO_BITRATE = "160k"
AUDIO_RATE = 48000
"""Narration is synthesised at 22.05 kHz; 48 kHz is what video players and platforms expect."""
AAC_OPTIONS = ("-c:a", "aac", "-aac_coder", "fast", "-b:a", AUDIO_BITRATE, "-ar", str(AUDIO_RATE))
"""ffmpeg's "fast" AAC coder: 2.2x quicker than the default two-loop search on our speech
(0.62 s against 1.41 s for 33 s of narration), which is CPU the video encoder gets."""


def ffmpeg_command(
    timeline: Timeline,
    narration_wav: Path | None,
    out_path: Path,
    *,
    preset: str,
    crf: int,
    threads: int,
) -> list[str]:
    """One ffmpeg process: raw yuv420p frames on stdin plus the WAV in, H.264 + AAC mp4 out.

    Without a WAV: a video-only mp4 (one scene's chunk, joined later)."""
    audio_in = ["-i", str(narration_wav), "-map", "0:v:0", "-map", "1:a:0"]
    audio_out = list(AAC_OPTIONS)
    if narration_wav is None:
        audio_in, audio_out = ["-map", "0:v:0"], ["-an"]
    return [
        ffmpeg_path(),
        "-y",
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "-s",
        f"{timeline.width}x{timeline.height}",
        "-r",
        str(timeline.fps),
        *COLOR_TAGS,
        "-i",
        "-",
        *audio_in,
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-crf",
        str(crf),
        "-threads",
        str(threads),
        "-pix_fmt",
        "yuv420p",
        *COLOR_TAGS,
        *audio_out,
        "-movflags",
        "+faststart",
        str(out_path),
    ]


def _frame_view(frame: np.ndarray, timeline: Timeline) -> memoryview:
    """A flat byte view of ``frame`` (no copy), after checking it is a raw yuv420p frame."""
    if frame.dtype != np.uint8 or frame.nbytes != timeline.frame_bytes:
        raise EngineError(
            f"Frame of shape {frame.shape} ({frame.dtype}) is not a "
            f"{timeline.width}x{timeline.height} yuv420p frame"
        )
    return memoryview(np.ascontiguousarray(frame)).cast("B")


def _pump(
    frames: Iterable[np.ndarray],
    sink: IO[bytes],
    timeline: Timeline,
    progress: Callable[[float], None] | None,
) -> int:
    """Write ``frames`` to ffmpeg's stdin; a frame object repeated is written from the same view."""
    total = timeline.total_frames
    every = max(1, total // 100)
    last: np.ndarray | None = None
    view = memoryview(b"")
    written = 0
    for frame in frames:
        if frame is not last:
            view = _frame_view(frame, timeline)
            last = frame
        if written >= total:
            raise EngineError(f"More frames than the {total} the timeline has")
        sink.write(view)
        written += 1
        if progress is not None and written % every == 0:
            progress(min(0.99, written / total))
    return written


def _set_pipe_size(pipe: IO[bytes], size: int) -> None:
    """A 1 MiB pipe instead of 64 KiB: fewer wake-ups per 3 MB frame (Linux only, optional)."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except (ImportError, OSError, ValueError):
        pass


def encode_frames(
    frames: Iterable[np.ndarray],
    timeline: Timeline,
    narration_wav: Path | None,
    out_path: Path,
    *,
    audio_s: float | None,
    stats: EncodeStats,
    threads: int,
    progress: Callable[[float], None] | None,
) -> VideoFile:
    """Run ffmpeg on ``frames``; the file appears at ``out_path`` only once complete and checked.

    ffmpeg writes to a temporary name next to ``out_path``; the result is probed
    (codecs, size, frame count, duration) and then moved into place, so
    ``out_path`` is either the previous file or a complete new one.
    """
    prepare_output_dir(out_path)
    tmp = temp_path(out_path)
    cmd = ffmpeg_command(
        timeline, narration_wav, tmp, preset=stats.preset, crf=stats.crf, threads=threads
    )
    renders, prepare_s = timeline.renderer.renders, timeline.renderer.prepare_s
    proc: subprocess.Popen[bytes] | None = None
    try:
        with encode_errors(out_path):
            # stderr goes to a file: a pipe nobody reads could fill up and stall ffmpeg
            with tempfile.TemporaryFile() as err:
                started = time.perf_counter()
                proc = subprocess.Popen(
                    cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err
                )
                assert proc.stdin is not None
                _set_pipe_size(proc.stdin, 1 << 20)
                written, broken = 0, False
                try:
                    written = _pump(frames, proc.stdin, timeline, progress)
                    proc.stdin.close()
                except BrokenPipeError:  # ffmpeg quit early: its stderr says why
                    broken = True
                code = proc.wait()
                stats.ffmpeg_wall_s = time.perf_counter() - started
                err.seek(0)
                stderr = err.read().decode("utf-8", "replace").strip()
            if code != 0 or broken:
                raise ffmpeg_failed(code, stderr, out_path)
            if written != timeline.total_frames:
                raise EngineError(
                    f"Video encoding of {out_path.name} got {written} of {timeline.total_frames} frames"
                )
            stats.frames_written = written
            stats.distinct_frames = timeline.renderer.renders - renders
            stats.prepare_s = timeline.renderer.prepare_s - prepare_s
            return place_video(tmp, out_path, timeline, audio_s)
    finally:
        close = getattr(frames, "close", None)
        if close is not None:  # a generator: release moviepy's clips now, not at collection
            close()
        if proc is not None and proc.poll() is None:  # a frame source failed mid-way
            proc.kill()
            proc.wait()
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):  # unflushed bytes after ffmpeg quit
                proc.stdin.close()
        remove_files(tmp)
