"""Caption cues and subtitle files (SRT, WebVTT with karaoke timing, words JSON).

Cues are short (one line on a phone screen) and never straddle a sentence end or
a scene change, so a caption never shows the end of one thought with the start
of the next. Cue times come from the words, so they are ordered and never overlap.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from repo2video_dagster.lib.core.records import Captions, TimedWord

if TYPE_CHECKING:
    from repo2video_dagster.lib.speech.asr import AsrEngine

_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*$")
_CLAUSE_END = re.compile(r"[,;:\u2014][\"'\u201d\u2019)\]]*$")
LINGER_S = 0.3
"""How long a cue may stay after its last word, if the next cue starts later."""


@dataclass
class Cue:
    index: int
    """1-based, as in SRT."""
    start: float
    end: float
    words: list[TimedWord] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def group_cues(
    words: Sequence[TimedWord],
    max_chars: int = 32,
    max_words: int = 6,
    max_gap_s: float = 0.6,
    max_duration_s: float = 3.2,
    track_end: float | None = None,
) -> list[Cue]:
    """Group timed words into cues.

    A new cue starts at a scene change, after a sentence end, after a pause longer
    than ``max_gap_s``, when the cue would pass ``max_chars``/``max_words``/
    ``max_duration_s``, and after a comma once the cue is over half full. Each cue
    may linger up to ``LINGER_S`` after its last word, never into the next cue or
    past ``track_end``.
    """
    groups: list[list[TimedWord]] = []
    current: list[TimedWord] = []
    for word in words:
        if current and _breaks_before(
            current, word, max_chars, max_words, max_gap_s, max_duration_s
        ):
            groups.append(current)
            current = []
        current.append(word)
    if current:
        groups.append(current)

    cues: list[Cue] = []
    for i, group in enumerate(groups):
        start = group[0].start
        if cues:
            start = max(start, cues[-1].end)
        end = max(group[-1].end, start)
        limit = groups[i + 1][0].start if i + 1 < len(groups) else track_end
        if limit is not None:
            end = max(end, min(end + LINGER_S, limit))
        cues.append(Cue(index=i + 1, start=start, end=end, words=list(group)))
    return cues


def _breaks_before(
    current: list[TimedWord],
    word: TimedWord,
    max_chars: int,
    max_words: int,
    max_gap_s: float,
    max_duration_s: float,
) -> bool:
    last = current[-1]
    chars = sum(len(w.text) for w in current) + len(current) - 1
    return (
        word.scene_id != last.scene_id
        or bool(_SENTENCE_END.search(last.text))
        or word.start - last.end > max_gap_s
        or len(current) >= max_words
        or chars + 1 + len(word.text) > max_chars
        or word.end - current[0].start > max_duration_s
        or (bool(_CLAUSE_END.search(last.text)) and chars >= max_chars // 2)
    )


def _timestamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{millis:03d}"


def srt_timestamp(seconds: float) -> str:
    """``HH:MM:SS,mmm``"""
    return _timestamp(seconds, ",")


def vtt_timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm``"""
    return _timestamp(seconds, ".")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _atomic_write(path: Path | str, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def format_srt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{n}\n{srt_timestamp(c.start)} --> {srt_timestamp(c.end)}\n{c.text.replace('-->', '->')}\n"
        for n, c in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def write_srt(cues: Sequence[Cue], path: Path | str) -> Path:
    return _atomic_write(path, format_srt(cues))


def _karaoke(cue: Cue) -> str:
    """Cue text with a WebVTT timestamp tag before every word after the first.

    Timestamps must fall strictly inside the cue, so a word that starts at the
    cue's start (the first) or at its end gets no tag.
    """
    parts: list[str] = []
    start_ms, end_ms = round(cue.start * 1000), round(cue.end * 1000)
    for word in cue.words:
        text = f"<c>{_vtt_escape(word.text)}</c>"
        word_ms = round(word.start * 1000)
        if start_ms < word_ms < end_ms:
            text = f"<{vtt_timestamp(word.start)}>{text}"
        parts.append(text)
    return " ".join(parts)


def format_vtt(cues: Sequence[Cue], karaoke: bool = True) -> str:
    lines = ["WEBVTT", ""]
    for n, cue in enumerate(cues, start=1):
        body = _karaoke(cue) if karaoke else _vtt_escape(cue.text)
        lines += [str(n), f"{vtt_timestamp(cue.start)} --> {vtt_timestamp(cue.end)}", body, ""]
    return "\n".join(lines)


def write_vtt(cues: Sequence[Cue], path: Path | str, karaoke: bool = True) -> Path:
    return _atomic_write(path, format_vtt(cues, karaoke))


def write_words_json(words: Sequence[TimedWord], path: Path | str) -> Path:
    """One object per word: text, start, end (seconds, ms precision), scene_id, aligned."""
    payload = [
        {
            "text": w.text,
            "start": round(w.start, 3),
            "end": round(w.end, 3),
            "scene_id": w.scene_id,
            "aligned": w.aligned,
        }
        for w in words
    ]
    return _atomic_write(path, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")


def write_caption_set(
    timed: list[TimedWord],
    out_dir: Path,
    *,
    track_end: float,
    wer: float,
    coverage: float,
    asr: AsrEngine,
) -> Captions:
    """``out_dir/captions.srt``, ``captions.vtt`` and ``words.json`` for ``timed``, and
    the :class:`Captions` record naming them: the same set for every narrated language."""
    cues = group_cues(timed, track_end=track_end)
    out_dir.mkdir(parents=True, exist_ok=True)
    srt = write_srt(cues, out_dir / "captions.srt")
    vtt = write_vtt(cues, out_dir / "captions.vtt")
    words_json = write_words_json(timed, out_dir / "words.json")
    return Captions(
        words=timed,
        srt_path=str(srt),
        vtt_path=str(vtt),
        words_json_path=str(words_json),
        wer=wer,
        coverage=coverage,
        engine=asr.name,
        model=asr.model,
        device=asr.device,
    )
