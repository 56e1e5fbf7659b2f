"""Speech fitted into a time span: played up to 15 % faster or slower (ffmpeg atempo,
pitch kept); what still does not fit runs on, and the video is extended at its end."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.render.media import ffmpeg_path
from repo2video_dagster.lib.speech.audio import read_wav, write_wav

__all__ = ["MAX_TEMPO_CHANGE", "fit_tempo", "tempo_for"]

MAX_TEMPO_CHANGE = 0.15


def tempo_for(speech_s: float, span_s: float) -> float:
    """The playback speed that makes ``speech_s`` last ``span_s``, within ±15 %."""
    if speech_s <= 0 or span_s <= 0:
        return 1.0
    return float(np.clip(speech_s / span_s, 1 - MAX_TEMPO_CHANGE, 1 + MAX_TEMPO_CHANGE))


def fit_tempo(samples: np.ndarray, rate: int, tempo: float) -> np.ndarray:
    if abs(tempo - 1.0) < 0.01 or len(samples) == 0:
        return samples
    with tempfile.TemporaryDirectory(prefix="repo2video-dub-") as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        write_wav(src, samples, rate)
        cmd = [
            ffmpeg_path(),
            "-v",
            "error",
            "-y",
            "-i",
            str(src),
            "-filter:a",
            f"atempo={tempo:.4f}",
        ]
        proc = subprocess.run([*cmd, str(dst)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise EngineError(f"ffmpeg atempo failed: {proc.stderr.strip()[-200:]}")
        out, _ = read_wav(dst)
        return out
