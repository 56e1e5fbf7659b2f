"""The music bed: the project's own synthesised default, a user's file or folder, ducked
at least 15 dB under the voice, faded, mixed to −14 LUFS, and still recognisable speech."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.render.media import ffmpeg_path
from repo2video_dagster.lib.speech.align import word_error_rate
from repo2video_dagster.lib.speech.asr import make_asr
from repo2video_dagster.lib.speech.audio import (
    measure_lufs,
    normalize_loudness,
    read_wav,
    write_wav,
)
from repo2video_dagster.lib.speech.music import default_bed, mix_music, music_source
from repo2video_dagster.lib.speech.tts import PiperTts

TEXT = (
    "Meet the tool that writes a table of contents for any Markdown file. "
    "It reads your headings and builds nested links. "
    "To try it yourself, install it with pip and run it on your README."
)


@pytest.fixture(scope="module")
def narration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tts = PiperTts()
    speech = tts.synthesize(TEXT)
    pause = np.zeros(tts.sample_rate, dtype=np.float32)  # a lead-in and a tail: music alone
    samples, _, _ = normalize_loudness(np.concatenate([pause, speech, pause]), tts.sample_rate)
    return write_wav(tmp_path_factory.mktemp("music") / "narration.wav", samples, tts.sample_rate)


def test_default_bed_is_deterministic_seamless_and_varies_by_seed() -> None:
    a = default_bed(20.0, 22050, "acme/tool")
    assert a.dtype == np.float32 and len(a) == 20 * 22050
    assert np.array_equal(a, default_bed(20.0, 22050, "acme/tool"))
    assert not np.array_equal(a, default_bed(20.0, 22050, "other/repo"))
    assert 0.3 < float(np.max(np.abs(a))) <= 0.5
    # the 16 s loop joins without a click: the step across the seam is like any other
    seam = 16 * 22050
    steps = np.abs(np.diff(a[seam - 2000 : seam + 2000]))
    assert steps.max() < 4 * np.percentile(np.abs(np.diff(a)), 99.9)


@pytest.mark.slow
def test_ducked_mix_is_at_target_and_speech_stays_recognisable(
    narration: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mix.wav"
    stats = mix_music(narration, "default", out, seed="acme/tool", measure=True)
    assert stats.music == "default"
    assert stats.music_under_speech_db >= 15.0, stats
    mixed, sr = read_wav(out)
    assert abs(measure_lufs(mixed, sr) - -14.0) <= 0.5
    assert np.max(np.abs(mixed)) <= 10 ** (-1.0 / 20) + 1e-3  # the limiter's ceiling
    speech, _ = read_wav(narration)
    assert len(mixed) == len(speech)
    assert np.max(np.abs(mixed[: sr // 10])) < 0.01, "the bed fades in from silence"
    assert np.max(np.abs(mixed[-sr // 20 :])) < 0.01, "and fades out at the end"
    assert np.max(np.abs(mixed[sr // 2 : sr])) > 0.01, "the bed is heard in the lead-in"
    asr = make_asr("faster-whisper", "tiny.en", device="cpu")
    words = asr.transcribe_words(out)  # independent: no prompt with the script
    wer = word_error_rate([TEXT], [w.text for w in words])
    assert wer <= 0.15, " ".join(w.text for w in words)


def test_user_file_and_folder(narration: Path, tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    for name, freq in (("a.mp3", 220), ("b.ogg", 330)):
        subprocess.run(
            [ffmpeg_path(), "-v", "error", "-f", "lavfi", "-i", f"sine=f={freq}:d=3"]
            + [str(music / name)],
            check=True,
        )
    (music / "notes.txt").write_text("not music")
    picked = music_source(str(music), "acme/tool")
    assert picked in (music / "a.mp3", music / "b.ogg")
    assert music_source(str(music), "acme/tool") == picked, "stable for a repository"
    assert music_source("off", "x") is None and music_source("", "x") == "default"
    out = tmp_path / "mix.wav"
    stats = mix_music(narration, picked, out, measure=True)  # 3 s looped under ~10 s
    assert stats.music == picked.name and stats.music_under_speech_db >= 15.0
    mixed, sr = read_wav(out)
    assert abs(measure_lufs(mixed, sr) - -14.0) <= 0.5


def test_unusable_music_is_one_clear_line(tmp_path: Path, narration: Path) -> None:
    with pytest.raises(UserError, match="neither a file nor a folder"):
        music_source(str(tmp_path / "missing.mp3"), "x")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="has no audio files"):
        music_source(str(tmp_path / "empty"), "x")
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"not audio at all" * 100)
    with pytest.raises(UserError, match="cannot be decoded"):
        mix_music(narration, bad, tmp_path / "out.wav")
