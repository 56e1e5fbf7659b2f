"""Subtitle-only languages: the language's own sentences, timed to the spoken scenes.

A subtitle-only language has no voice. Each scene's sentences in that language are
shown while the scene is spoken in the narrated language: from the scene's first
timed word to its last, shared between the sentences by their length (a long
sentence is split at a clause or in half so a cue stays readable). The result is
plain SRT and WebVTT, ready for a ``<track>`` element or a YouTube caption track.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from repo2video_dagster.lib.core.records import Narration, TimedWord, VideoScript
from repo2video_dagster.lib.script.spoken.sentences import sentences
from repo2video_dagster.lib.speech.subtitles import Cue, write_srt, write_vtt

__all__ = ["subtitle_cues", "write_subtitle_track"]

MAX_CUE_WORDS = 12


def _pieces(text: str) -> list[str]:
    out: list[str] = []
    for sentence in sentences(text) or ([text] if text.strip() else []):
        words = sentence.split()
        while len(words) > MAX_CUE_WORDS:
            cut = next(
                (
                    i + 1
                    for i in range(len(words) // 2, len(words) - 2)
                    if re.search(r"[,;:]$", words[i])
                ),
                len(words) // 2,
            )
            out.append(" ".join(words[:cut]))
            words = words[cut:]
        out.append(" ".join(words))
    return out


def subtitle_cues(
    script: VideoScript, narration: Narration, spoken_words: Sequence[TimedWord]
) -> list[Cue]:
    """Cues of ``script`` (another language, same scene ids) over the spoken scenes."""
    by_scene: dict[str, list[TimedWord]] = {}
    for word in spoken_words:
        by_scene.setdefault(word.scene_id, []).append(word)
    texts = {s.id: s.narration for s in script.scenes}
    cues: list[Cue] = []
    for scene in narration.scenes:
        pieces = _pieces(texts.get(scene.scene_id, ""))
        if not pieces:
            continue
        heard = by_scene.get(scene.scene_id)
        start = heard[0].start if heard else scene.offset_s
        end = heard[-1].end if heard else scene.offset_s + scene.duration_s
        total = sum(len(p) for p in pieces)
        at = start
        for piece in pieces:
            length = (end - start) * len(piece) / total
            cue_words = [TimedWord(piece, at, at + length, scene.scene_id, False)]
            cues.append(Cue(index=len(cues) + 1, start=at, end=at + length, words=cue_words))
            at += length
    return cues


def write_subtitle_track(cues: Sequence[Cue], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return (
        write_srt(cues, out_dir / "subtitles.srt"),
        write_vtt(cues, out_dir / "subtitles.vtt", karaoke=False),
    )
