"""The narration of a video heard as timed sentences: what will be translated and where
each translation has to fit."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.render.media import ffmpeg_path
from repo2video_dagster.lib.speech.asr import AsrEngine, RecognizedWord

__all__ = ["Segment", "extract_audio", "heard_segments"]

_END = re.compile(r"[.!?…]$")


@dataclass
class Segment:
    start: float
    end: float
    text: str


def extract_audio(video: Path, wav: Path) -> Path:
    """The video's first audio stream as 16 kHz mono PCM."""
    wav.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg_path(), "-v", "error", "-y", "-i", str(video), "-vn", "-ac", "1", "-ar", "16000"]
    proc = subprocess.run([*cmd, str(wav)], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not wav.is_file():
        detail = (proc.stderr.strip().splitlines() or ["no audio"])[-1]
        raise EngineError(f"cannot read the audio of {video}: {detail}")
    return wav


def group_sentences(words: list[RecognizedWord]) -> list[Segment]:
    segments: list[Segment] = []
    current: list[RecognizedWord] = []
    for word in words:
        current.append(word)
        if _END.search(word.text.strip()):
            segments.append(
                Segment(current[0].start, current[-1].end, " ".join(w.text for w in current))
            )
            current = []
    if current:
        segments.append(
            Segment(current[0].start, current[-1].end, " ".join(w.text for w in current))
        )
    return segments


def heard_segments(asr: AsrEngine, wav: Path, language: str | None) -> list[Segment]:
    return group_sentences(asr.transcribe_words(wav, language=language))
