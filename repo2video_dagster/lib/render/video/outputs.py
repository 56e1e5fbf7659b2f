"""Output files of an encode: temporary names, checks, the move into place, clear errors.

An encoder writes to a temporary name next to its output; the result is probed
and then moved into place, so an output path is either the previous file or a
complete new one, never a partial write. Temporary files left by encoders that
were killed are removed on the next encode into the same directory.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from repo2video_dagster.lib.core.errors import (
    DISK_FULL_ERRNOS,
    DiskFullError,
    EngineError,
    OutputError,
    UserError,
    output_error,
    process_killed,
)
from repo2video_dagster.lib.core.records import VideoFile
from repo2video_dagster.lib.render.media import video_info
from repo2video_dagster.lib.render.video.timeline import Timeline

log = logging.getLogger(__name__)

DURATION_TOLERANCE_S = 0.2
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EROFS, errno.EDQUOT}


def temp_path(out_path: Path, role: str = "") -> Path:
    """A fresh temporary name next to ``out_path``, naming this process (see
    :func:`prepare_output_dir`, which removes those of dead processes)."""
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}{role}"
    return out_path.with_name(f".{out_path.stem}.{tag}.part.mp4")


def prepare_output_dir(out_path: Path) -> None:
    """Make sure ``out_path`` can be written (an :class:`OutputError` says why not), and
    remove the temporary files that killed encoders left next to it."""
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(
            f"Cannot create the output directory {out_path.parent}",
            exc,
            hint="Choose a writable data directory",
        ) from exc
    if not os.access(out_path.parent, os.W_OK):
        raise OutputError(
            f"Cannot write to {out_path.parent}: permission denied",
            hint="Choose a writable data directory",
        )
    _remove_stale_parts(out_path)


def _remove_stale_parts(out_path: Path) -> None:
    """Delete temp files left by encoders that were killed (kill -9 skips every cleanup).

    A part file names its writer's pid; one whose process is gone can never be
    finished, so it is only wasted disk. Live writers' files are left alone.
    """
    for part in out_path.parent.glob(f".{out_path.stem}.*.part.mp4"):
        pid_text = part.name[len(out_path.stem) + 2 :].split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            part.unlink(missing_ok=True)
        except PermissionError:
            pass  # alive, owned by someone else


def remove_files(*paths: Path) -> None:
    """Remove temporary files if present; a failure is only logged (cleanup never masks
    the error being raised)."""
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove temporary file %s: %s", path, exc)


_FFMPEG_PREFIX_RE = re.compile(r"^(\[[^\]]*\]\s*)+")
_DISK_FULL_MESSAGE = "No space left on device"
_DISK_MESSAGES = (_DISK_FULL_MESSAGE, "Permission denied", "Read-only file system")


def ffmpeg_reason(text: str) -> str:
    """The most telling line of ffmpeg's (or moviepy's) error text: the first error line,
    without ``[libx264 @ 0x...]`` prefixes."""
    lines = [_FFMPEG_PREFIX_RE.sub("", line.strip()) for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith(("MoviePy error", "[Errno"))]
    for line in lines:
        if "error" in line.lower() or "invalid" in line.lower():
            return line[:300]
    return (lines[-1] if lines else "no error output")[:300]


@contextlib.contextmanager
def encode_errors(out_path: Path) -> Iterator[None]:
    """An ``OSError`` while encoding (the disk, a pipe, a missing binary) becomes one clear
    line about ``out_path``; anything else is a bug and passes with its traceback."""
    try:
        yield
    except OSError as exc:
        raise encode_error(exc, out_path) from exc


def ffmpeg_failed(returncode: int, stderr: str, out_path: Path) -> UserError:
    """The error for an ffmpeg that exited with ``returncode``: an :class:`EngineCrashError`
    (transient) when a signal killed it, else what its stderr says (:func:`encode_error`)."""
    killed = process_killed(f"ffmpeg encoding {out_path.name}", returncode)
    if killed is not None:
        return killed
    return encode_error(RuntimeError(stderr or f"ffmpeg exited with {returncode}"), out_path)


def encode_error(exc: BaseException, out_path: Path) -> UserError:
    """``exc`` as one clear line: a :class:`DiskFullError` (transient) when the disk is
    full, an :class:`OutputError` when permissions are to blame, else an
    :class:`EngineError` with ffmpeg's telling line."""
    text = str(exc)
    disk = next((m for m in _DISK_MESSAGES if m in text), None)
    if (isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS) or disk:
        reason = disk or (exc.strerror if isinstance(exc, OSError) else None) or text
        full = (isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS) or (
            disk == _DISK_FULL_MESSAGE
        )
        return (DiskFullError if full else OutputError)(
            f"Cannot write {out_path}: {reason}",
            hint="Free disk space or choose a writable data directory",
        )
    return EngineError(f"Video encoding of {out_path.name} failed: {ffmpeg_reason(text)}")


def _verify(path: Path, timeline: Timeline, audio_s: float) -> Any:
    """Probe the encoded file: codecs, size, frame count and duration as the timeline says."""
    info = video_info(path)
    problems = []
    if info.vcodec != "h264":
        problems.append(f"video codec {info.vcodec}")
    if info.acodec != "aac":
        problems.append(f"audio codec {info.acodec}")
    if (info.width, info.height) != (timeline.width, timeline.height):
        problems.append(f"size {info.width}x{info.height}")
    if info.frame_count and info.frame_count != timeline.total_frames:
        problems.append(f"{info.frame_count} frames instead of {timeline.total_frames}")
    if abs(info.duration_s - audio_s) > DURATION_TOLERANCE_S:
        problems.append(f"duration {info.duration_s:.2f} s for {audio_s:.2f} s of narration")
    if problems:
        raise EngineError(f"Encoded video {path.name} is wrong: {', '.join(problems)}")
    return info


def place_video(tmp: Path, out_path: Path, timeline: Timeline, audio_s: float | None) -> VideoFile:
    """Probe and move into place; ``audio_s=None``: a video-only scene chunk, not probed
    (ffmpeg took exactly its frames and exited cleanly; the joined video is probed)."""
    if audio_s is None:
        width, height, duration_s = timeline.width, timeline.height, timeline.duration_s
    else:
        info = _verify(tmp, timeline, audio_s)
        width, height, duration_s = info.width, info.height, info.duration_s
    try:
        os.replace(tmp, out_path)
    except OSError as exc:
        raise output_error(f"Cannot move the video into place at {out_path}", exc) from exc
    return VideoFile(
        format=timeline.fmt,  # type: ignore[arg-type]
        path=str(out_path),
        width=width,
        height=height,
        duration_s=round(duration_s, 3),
        size_bytes=out_path.stat().st_size,
    )
