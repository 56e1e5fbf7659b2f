"""Voice and captions for one more language: narrate, recognise in that language, align.

The same steps as the default language (:mod:`.narrate`, :mod:`.scene_words`,
:mod:`.align`), with the language's voice and Whisper told the language. English
keeps ``tiny.en``; other languages are recognised with the bundled multilingual
``base`` model, so the words are timed from what was actually heard.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from repo2video_dagster.lib.core.records import Captions, Narration, VideoScript
from repo2video_dagster.lib.speech.align import align_words, word_error_rate
from repo2video_dagster.lib.speech.asr import AsrEngine
from repo2video_dagster.lib.speech.narrate import narrate
from repo2video_dagster.lib.speech.number_words import number_speller
from repo2video_dagster.lib.speech.scene_words import recognize_scenes
from repo2video_dagster.lib.speech.subtitles import write_caption_set
from repo2video_dagster.lib.speech.tts import TtsEngine
from repo2video_dagster.lib.speech.word_match import words_of

__all__ = ["SpokenLanguage", "language_wer", "speak_language"]

RECOGNISE_AGAIN_BELOW = 0.95
"""Caption coverage under which the scenes are recognised again one by one."""


def language_wer(reference: list[str], hypothesis: list[str], code: str) -> float:
    """Word error rate with numbers spelled in the language on both sides."""
    spell = number_speller(code)
    if spell is None:
        return word_error_rate(reference, hypothesis)
    return word_error_rate([spell(w) for w in reference], [spell(w) for w in hypothesis])


@dataclass
class SpokenLanguage:
    code: str
    narration: Narration
    captions: Captions


def speak_language(
    script: VideoScript,
    code: str,
    tts: TtsEngine,
    asr: AsrEngine,
    out_dir: Path,
    *,
    cache_dir: Path | None,
    frame_rate: int = 30,
) -> SpokenLanguage:
    """``out_dir/audio/narration.wav`` and ``out_dir/captions/captions.{srt,vtt}, words.json``."""
    narration = narrate(
        script.scenes,
        out_dir / "audio",
        tts,
        cache_dir=cache_dir / "tts" if cache_dir else None,
        frame_rate=frame_rate,
    )
    script_words = [(w, s.id) for s in script.scenes for w in words_of(s.narration)]
    spans = [(s.scene_id, s.offset_s, s.offset_s + s.duration_s) for s in narration.scenes]
    spell = number_speller(code)
    store = cache_dir / "asr" if cache_dir else None
    recognition = recognize_scenes(asr, narration, store, language=code)
    timed, coverage = align_words(script_words, recognition.words, spans, spell=spell)
    if coverage < RECOGNISE_AGAIN_BELOW:
        # Whisper base was seen skipping the start of a whole espeak-ng track (pt) and
        # hearing some scenes better alone (fr): try each scene's own WAV, keep the better.
        again = recognize_scenes(asr, narration, None, language=code, per_scene=True)
        timed2, coverage2 = align_words(script_words, again.words, spans, spell=spell)
        if coverage2 > coverage:
            recognition, timed, coverage = again, timed2, coverage2
    wer = language_wer([w for w, _ in script_words], [r.text for r in recognition.words], code)
    captions = write_caption_set(
        timed,
        out_dir / "captions",
        track_end=narration.duration_s,
        wer=wer,
        coverage=coverage,
        asr=asr,
    )
    return SpokenLanguage(code, narration, captions)
