"""ffmpeg / ffprobe helpers: locate the binaries, probe files, measure loudness.

Encoding uses the ffmpeg that imageio-ffmpeg ships (the one moviepy drives), so
results do not depend on the distribution's build; probing uses the system
ffprobe, which imageio-ffmpeg does not ship.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import wave
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from repo2video_dagster.lib.core.errors import EngineCrashError, EngineError, process_killed

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 60
LOUDNESS_TIMEOUT_S = 300


@lru_cache(maxsize=1)
def ffprobe_path() -> str:
    """The system ffprobe."""
    path = shutil.which("ffprobe")
    if not path:
        raise EngineError(
            "ffprobe is not installed", hint="Install it with: apt-get install ffmpeg"
        )
    return path


@lru_cache(maxsize=1)
def ffmpeg_path() -> str:
    """imageio-ffmpeg's bundled ffmpeg (what moviepy uses), else the system one."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # any failure means: use the system binary
        log.debug("imageio-ffmpeg binary unavailable (%s); trying the system ffmpeg", exc)
    path = shutil.which("ffmpeg")
    if not path:
        raise EngineError("ffmpeg is not installed", hint="Install it with: apt-get install ffmpeg")
    return path


def _run(cmd: list[str], timeout: float, what: str) -> subprocess.CompletedProcess[str]:
    """Run a probe; a hang or a death by signal is an :class:`EngineCrashError` (transient)."""
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, check=False, errors="replace"
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineCrashError(f"{what} took longer than {timeout:.0f} s") from exc
    except OSError as exc:
        raise EngineError(f"{what} could not start: {exc}") from exc
    killed = process_killed(what, proc.returncode)
    if killed is not None:
        raise killed
    return proc


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no error output"


def probe(path: str | Path) -> dict[str, Any]:
    """ffprobe's ``format`` and ``streams`` for ``path``, as parsed JSON."""
    path = Path(path)
    if not path.is_file():
        raise EngineError(f"Cannot probe {path}: no such file")
    cmd = [
        ffprobe_path(),
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        str(path),
    ]
    proc = _run(cmd, PROBE_TIMEOUT_S, f"ffprobe of {path.name}")
    if proc.returncode != 0:
        raise EngineError(f"ffprobe could not read {path}: {_last_line(proc.stderr)}")
    data = json.loads(proc.stdout or "{}")
    data.setdefault("streams", [])
    data.setdefault("format", {})
    return data


def _rate(value: str | None) -> float:
    if not value or value in ("0/0", "0"):
        return 0.0
    try:
        return float(Fraction(value))
    except (ValueError, ZeroDivisionError):
        return 0.0


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    duration_s: float
    """Container duration."""
    vcodec: str | None
    acodec: str | None
    pix_fmt: str | None
    size_bytes: int
    audio_duration_s: float
    video_duration_s: float = 0.0
    frame_count: int = 0
    """Frames in the video stream (``nb_frames``; 0 when the container does not say)."""
    audio_sample_rate: int = 0


def video_info(path: str | Path) -> VideoInfo:
    """The facts the checks need about a rendered file (zeros / ``None`` when absent)."""
    data = probe(path)
    streams = data["streams"]
    video = next((s for s in streams if s.get("codec_type") == "video"), {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), {})
    fmt = data["format"]
    return VideoInfo(
        width=int(video.get("width") or 0),
        height=int(video.get("height") or 0),
        fps=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
        duration_s=_float(fmt.get("duration")),
        vcodec=video.get("codec_name"),
        acodec=audio.get("codec_name"),
        pix_fmt=video.get("pix_fmt"),
        size_bytes=int(_float(fmt.get("size")) or Path(path).stat().st_size),
        audio_duration_s=_float(audio.get("duration")),
        video_duration_s=_float(video.get("duration")),
        frame_count=int(_float(video.get("nb_frames"))),
        audio_sample_rate=int(_float(audio.get("sample_rate"))),
    )


def audio_duration(path: str | Path) -> float:
    """Duration of an audio file: read from the WAV header when possible (no subprocess)."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as wav:
            rate = wav.getframerate()
            return wav.getnframes() / float(rate) if rate else 0.0
    except (wave.Error, EOFError):
        pass
    except OSError as exc:
        raise EngineError(f"Cannot read audio {path}: {exc.strerror or exc}") from exc
    data = probe(path)
    audio = next((s for s in data["streams"] if s.get("codec_type") == "audio"), None)
    if audio is None:
        raise EngineError(f"{path} has no audio stream")
    return _float(audio.get("duration")) or _float(data["format"].get("duration"))


_INTEGRATED_RE = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf)\s*LUFS", re.S)


def integrated_loudness(path: str | Path) -> float:
    """Integrated loudness (LUFS, EBU R128) of the first audio stream, via ffmpeg's ebur128.

    Silence measures as ``-inf`` (``float('-inf')`` is returned).
    """
    path = Path(path)
    cmd = [
        ffmpeg_path(),
        "-hide_banner",
        "-nostats",
        "-i",
        str(path),
        "-map",
        "0:a:0",
        "-filter:a",
        "ebur128",
        "-f",
        "null",
        "-",
    ]
    proc = _run(cmd, LOUDNESS_TIMEOUT_S, f"loudness measurement of {path.name}")
    if proc.returncode != 0:
        raise EngineError(f"ffmpeg could not measure loudness of {path}: {_last_line(proc.stderr)}")
    summary = proc.stderr[proc.stderr.rfind("Summary:") :]
    match = _INTEGRATED_RE.search(summary)
    if not match:
        raise EngineError(f"ffmpeg gave no loudness summary for {path}")
    value = match.group(1)
    return float("-inf") if value == "-inf" else float(value)


def extract_frame(path: str | Path, t_s: float) -> np.ndarray:
    """The decoded RGB frame at ``t_s`` (HxWx3 uint8), for checks on rendered videos."""
    info = video_info(path)
    if not info.width or not info.height:
        raise EngineError(f"{path} has no video stream")
    cmd = [
        ffmpeg_path(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-ss",
        f"{max(0.0, t_s):.3f}",
        "-i",
        str(path),
        "-frames:v",
        "1",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise EngineCrashError(f"frame extraction from {path} timed out") from exc
    killed = process_killed(f"frame extraction from {path}", proc.returncode)
    if killed is not None:
        raise killed
    expected = info.width * info.height * 3
    if proc.returncode != 0 or len(proc.stdout) < expected:
        err = proc.stderr.decode("utf-8", "replace")
        raise EngineError(f"Cannot extract a frame at {t_s:.2f} s from {path}: {_last_line(err)}")
    return np.frombuffer(proc.stdout[:expected], dtype=np.uint8).reshape(info.height, info.width, 3)
