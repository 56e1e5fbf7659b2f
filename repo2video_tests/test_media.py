"""ffmpeg/ffprobe helpers on files made by real ffmpeg."""

from __future__ import annotations

import os
import subprocess
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.render import media

SR = 48000


def _write_wav(path: Path, samples: np.ndarray, sr: int = SR) -> Path:
    pcm = np.clip(samples * 32767, -32768, 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return path


def _tone(seconds: float, amplitude: float, freq: float = 1000.0) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return amplitude * np.sin(2 * np.pi * freq * t)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s 320x240 30 fps H.264 + AAC test clip."""
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    cmd = [
        media.ffmpeg_path(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=30:duration=2",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        str(path),
    ]
    subprocess.run(cmd, check=True, timeout=60)
    return path


def test_binaries_are_found() -> None:
    for path in (media.ffmpeg_path(), media.ffprobe_path()):
        assert os.access(path, os.X_OK)


def test_probe_and_video_info(clip: Path) -> None:
    data = media.probe(clip)
    assert {s["codec_type"] for s in data["streams"]} == {"video", "audio"}
    info = media.video_info(clip)
    assert (info.width, info.height) == (320, 240)
    assert info.fps == pytest.approx(30.0)
    assert info.vcodec == "h264" and info.acodec == "aac" and info.pix_fmt == "yuv420p"
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert info.audio_duration_s == pytest.approx(2.0, abs=0.1)
    assert info.frame_count == 60
    assert info.size_bytes == clip.stat().st_size


def test_probe_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="no such file"):
        media.probe(tmp_path / "missing.mp4")
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"not a video at all")
    with pytest.raises(EngineError, match="ffprobe could not read") as err:
        media.probe(bogus)
    assert "\n" not in str(err.value)


def test_extract_frame(clip: Path) -> None:
    frame = media.extract_frame(clip, 1.0)
    assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8
    assert frame.std() > 10  # testsrc2 is colourful, not a blank frame
    assert not np.array_equal(frame, media.extract_frame(clip, 0.2))  # it moves


def test_integrated_loudness_matches_pyloudnorm(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    signal = _tone(4.0, 0.25) + 0.02 * rng.standard_normal(round(4.0 * SR))
    loud = _write_wav(tmp_path / "loud.wav", signal)
    quiet = _write_wav(tmp_path / "quiet.wav", signal * 0.1)
    expected = pyloudnorm.Meter(SR).integrated_loudness(signal)
    measured = media.integrated_loudness(loud)
    assert measured == pytest.approx(expected, abs=0.5)
    assert media.integrated_loudness(quiet) == pytest.approx(measured - 20.0, abs=0.5)


def test_loudness_of_a_file_without_audio_is_a_clear_error(tmp_path: Path) -> None:
    silent_video = tmp_path / "v.mp4"
    cmd = [
        media.ffmpeg_path(),
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "color=c=black:size=64x64:duration=0.5",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        str(silent_video),
    ]
    subprocess.run(cmd, check=True, timeout=60)
    with pytest.raises(EngineError, match="could not measure loudness"):
        media.integrated_loudness(silent_video)


def test_audio_duration_reads_wav_header(tmp_path: Path, clip: Path) -> None:
    wav = _write_wav(tmp_path / "a.wav", _tone(1.5, 0.1))
    assert media.audio_duration(wav) == pytest.approx(1.5, abs=1e-6)
    assert media.audio_duration(clip) == pytest.approx(2.0, abs=0.1)  # via ffprobe
