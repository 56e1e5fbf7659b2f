"""Both TTS engines, for real: the bundled Piper voice and the espeak-ng binary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.speech.audio import measure_lufs
from repo2video_dagster.lib.speech.tts import EspeakTts, PiperTts, TtsEngine, make_tts

TWO_SENTENCES = "The parser reads every file. Then the writer builds a script."


def _longest_silence_s(samples: np.ndarray, sr: int, threshold: float = 1e-3) -> float:
    quiet = np.abs(samples) < threshold
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best / sr


def test_piper_speaks_with_pause_between_sentences() -> None:
    tts = make_tts("piper", sentence_pause_s=0.6)
    assert isinstance(tts, TtsEngine)
    assert (tts.name, tts.voice, tts.sample_rate) == ("piper", "en_US-joe-medium", 22050)
    audio = tts.synthesize(TWO_SENTENCES)
    assert audio.dtype == np.float32 and audio.ndim == 1
    seconds = len(audio) / tts.sample_rate
    assert 2.5 < seconds < 7.0  # ~11 words at a normal pace, plus the pause
    assert np.isfinite(measure_lufs(audio, tts.sample_rate))
    assert np.max(np.abs(audio)) <= 1.0
    # The inserted pause is there (Piper's own inter-word gaps are far shorter).
    assert _longest_silence_s(audio, tts.sample_rate) >= 0.6


def test_piper_options_change_the_audio() -> None:
    slow = PiperTts(length_scale=1.6, sentence_pause_s=0.0)
    fast = PiperTts(length_scale=0.8, sentence_pause_s=0.0)
    assert slow.options != fast.options
    n_slow = len(slow.synthesize(TWO_SENTENCES))
    n_fast = len(fast.synthesize(TWO_SENTENCES))
    assert n_slow > 1.4 * n_fast
    assert len(fast.synthesize("")) == 0


def test_piper_missing_voice_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="Piper voice not found"):
        PiperTts(model_path=tmp_path / "nope.onnx")


def test_espeak_speaks() -> None:
    tts = make_tts("espeak", words_per_minute=165)
    assert isinstance(tts, EspeakTts) and tts.sample_rate == 22050
    audio = tts.synthesize("-v is not an option here. " + TWO_SENTENCES)
    seconds = len(audio) / tts.sample_rate
    assert 3.0 < seconds < 10.0
    assert np.isfinite(measure_lufs(audio, tts.sample_rate))
    slower = EspeakTts(words_per_minute=100).synthesize(TWO_SENTENCES)
    faster = EspeakTts(words_per_minute=250).synthesize(TWO_SENTENCES)
    assert len(slower) > 1.8 * len(faster)
    native = EspeakTts().synthesize(TWO_SENTENCES)
    resampled = EspeakTts(sample_rate=16000).synthesize(TWO_SENTENCES)
    assert len(resampled) == pytest.approx(len(native) * 16000 / 22050, rel=0.01)


def test_espeak_missing_binary_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: the real lookup fails
    with pytest.raises(EngineError) as err:
        EspeakTts().synthesize("hello")
    assert str(err.value) == (
        "espeak-ng not found; install it with apt-get install espeak-ng or use the piper engine"
    )


def test_espeak_bad_voice_is_a_user_error() -> None:
    with pytest.raises(EngineError, match="espeak-ng"):
        EspeakTts(voice="no-such-voice-xx").synthesize("hello")


def test_make_tts_rejects_unknown_engine_and_options() -> None:
    with pytest.raises(EngineError, match="unknown TTS engine"):
        make_tts("festival")
    with pytest.raises(EngineError, match="bad option"):
        make_tts("espeak", pitch=3)
