"""Speech recognition for real: bundled faster-whisper models and openai-whisper.

openai-whisper weights cannot be downloaded here, so its test builds a tiny
random-weight checkpoint: the words are garbage, but loading, audio handling,
decoding and word timing (CPU DTW, no triton) all run for real.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.speech.align import word_error_rate
from repo2video_dagster.lib.speech.asr import (
    FasterWhisperAsr,
    OpenAIWhisperAsr,
    RecognizedWord,
    bundled_base,
    clean_words,
    make_asr,
)
from repo2video_dagster.lib.speech.audio import normalize_loudness, write_wav
from repo2video_dagster.lib.speech.tts import PiperTts

TEXT = (
    "The tool reads 12,000 lines of Python code in a few seconds. "
    "Then it writes a short script about the project. "
    "Finally, Docker runs the whole pipeline."
)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    tts = PiperTts()
    samples, _, _ = normalize_loudness(tts.synthesize(TEXT), tts.sample_rate)
    path = write_wav(tmp_path_factory.mktemp("asr") / "speech.wav", samples, tts.sample_rate)
    return path, len(samples) / tts.sample_rate


def _assert_well_formed(words: list[RecognizedWord], duration: float) -> None:
    assert all(isinstance(w, RecognizedWord) and w.text == w.text.strip() and w.text for w in words)
    for w in words:
        assert 0.0 <= w.start <= w.end <= duration + 1e-6
        assert 0.0 <= w.probability <= 1.0
    starts = [w.start for w in words]
    assert starts == sorted(starts)


def test_faster_whisper_tiny_en_recognises_piper_speech(speech: tuple[Path, float]) -> None:
    wav, duration = speech
    asr = make_asr("faster-whisper", "tiny.en", device="cpu")
    assert (asr.name, asr.model, asr.device) == ("faster-whisper", "tiny.en", "cpu")
    words = asr.transcribe_words(wav)  # no prompt: the WER below is honest
    _assert_well_formed(words, duration)
    wer = word_error_rate([TEXT], [w.text for w in words])
    assert wer <= 0.15, " ".join(w.text for w in words)
    # Speech fills the clip: the first word starts early, the last ends late.
    assert words[0].start < 1.0 and words[-1].end > duration - 2.0
    # The loaded model is shared by engines with the same settings.
    again = FasterWhisperAsr("tiny.en", device="cpu")
    assert again.load_model() is asr.load_model()


def test_split_numbers_are_joined_again() -> None:
    raw = [
        RecognizedWord(" It", 0.0, 0.2, 0.9),
        RecognizedWord(" has", 0.2, 0.4, 0.9),
        RecognizedWord(" 12", 0.4, 0.7, 0.8),
        RecognizedWord(",000", 0.7, 1.1, 0.6),
        RecognizedWord(" ", 1.1, 1.2, 0.1),
        RecognizedWord(" lines.", 1.0, 9.0, 0.9),
    ]
    words = clean_words(raw, duration=5.0)
    assert [w.text for w in words] == ["It", "has", "12,000", "lines."]
    assert (words[2].start, words[2].end, words[2].probability) == (0.4, 1.1, 0.6)
    assert words[3].start == 1.0 and words[3].end == 5.0


def test_unknown_models_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="not available offline"):
        FasterWhisperAsr("large-v3")
    with pytest.raises(EngineError, match=r"tiny\.en\.pt is not in .* faster-whisper engine"):
        OpenAIWhisperAsr("tiny.en", download_root=tmp_path)
    with pytest.raises(EngineError, match="unknown speech recognition engine"):
        make_asr("kaldi")


def _random_checkpoint(path: Path) -> Path:
    import torch
    import whisper.model

    torch.manual_seed(0)
    dims = whisper.model.ModelDimensions(
        n_mels=80,
        n_audio_ctx=1500,
        n_audio_state=64,
        n_audio_head=2,
        n_audio_layer=1,
        n_vocab=51864,  # English-only vocabulary, like tiny.en
        n_text_ctx=448,
        n_text_state=64,
        n_text_head=2,
        n_text_layer=1,
    )
    model = whisper.model.Whisper(dims)
    # Whisper allocates the decoder's positional embedding with torch.empty (real
    # checkpoints overwrite it): give it seeded values, or the "model" is whatever
    # memory held before, and differs from run to run.
    with torch.no_grad():
        model.decoder.positional_embedding.normal_(0.0, 0.02)
    assert all(bool(torch.isfinite(p).all()) for p in model.state_dict().values())
    torch.save(
        {
            "dims": dims.__dict__,
            "model_state_dict": model.state_dict(),
            "alignment_heads": [[True, False]],  # layer 0, head 0 drives word timing
        },
        path,
    )
    return path


def test_openai_whisper_runs_end_to_end_with_a_local_checkpoint(
    tmp_path: Path, speech: tuple[Path, float]
) -> None:
    wav, duration = speech
    checkpoint = _random_checkpoint(tmp_path / "tiny-random.pt")
    asr = make_asr(
        "openai-whisper",
        str(checkpoint),
        device="cpu",
        temperature=0.0,
        # Random weights look like "no speech", end at once or emit only special
        # tokens. Keep them decoding plain text (suppress end-of-text and every
        # special/timestamp token, ids >= 50256 in the English vocabulary) for a few
        # tokens in one 30 s window, so word timing always has words to time.
        transcribe_options={
            "no_speech_threshold": None,
            "logprob_threshold": None,
            "compression_ratio_threshold": None,
            "suppress_tokens": [-1, *range(50256, 51864)],
            "sample_len": 8,
            "without_timestamps": True,
        },
    )
    assert (asr.name, asr.device) == ("openai-whisper", "cpu")
    words = asr.transcribe_words(wav)
    assert isinstance(words, list) and words  # garbage words, but real ones
    _assert_well_formed(words, duration)
    model = asr.load_model()
    assert model.alignment_heads.to_dense().tolist() == [[True, False]]
    assert not any(p.is_cuda for p in model.parameters())


@pytest.mark.slow
def test_bundled_base_model_is_joined_once_and_recognises(
    tmp_path: Path, speech: tuple[Path, float]
) -> None:
    wav, duration = speech
    model_dir = bundled_base(tmp_path)
    model_bin = model_dir / "model.bin"
    assert {p.name for p in model_dir.iterdir()} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    }
    assert model_bin.stat().st_size == 2 * 72608766
    mtime = model_bin.stat().st_mtime_ns
    assert bundled_base(tmp_path) == model_dir and model_bin.stat().st_mtime_ns == mtime
    asr = FasterWhisperAsr("base", device="cpu", cache_dir=tmp_path)
    words = asr.transcribe_words(wav, language="en")
    _assert_well_formed(words, duration)
    assert word_error_rate([TEXT], [w.text for w in words]) <= 0.15
    with model_bin.open("r+b") as fh:  # a damaged (short) file is rebuilt
        fh.truncate(1000)
    assert bundled_base(tmp_path).joinpath("model.bin").stat().st_size == 2 * 72608766
