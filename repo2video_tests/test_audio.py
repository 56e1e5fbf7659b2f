"""WAV I/O, resampling and loudness on synthetic signals and real Piper speech."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from repo2video_dagster.lib.speech.audio import (
    concat_with_gaps,
    limit_peaks,
    measure_lufs,
    normalize_loudness,
    peak_dbfs,
    read_wav,
    resample,
    silence,
    trim_silence,
    wav_bytes_to_array,
    write_wav,
)
from repo2video_dagster.lib.speech.tts import PiperTts

SR = 22050


def _sine(freq: float, seconds: float, amplitude: float, sr: int = SR) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _speechlike(seconds: float = 4.0, sr: int = SR) -> np.ndarray:
    """Bursts of harmonics with sharp transients: peaky like speech, crest factor ~20 dB."""
    rng = np.random.default_rng(7)
    t = np.arange(round(seconds * sr)) / sr
    tone = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 910), 1))
    envelope = (np.sin(2 * np.pi * 2.5 * t) > 0.2).astype(float) * 0.05
    signal = tone * envelope + rng.normal(0, 0.002, len(t))
    clicks = rng.choice(len(t), 12, replace=False)
    signal[clicks] = 0.6
    return signal.astype(np.float32)


def test_wav_roundtrip_is_16bit_mono(tmp_path: Path) -> None:
    samples = _sine(440, 0.5, 0.5)
    path = write_wav(tmp_path / "a" / "tone.wav", samples, SR)
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SR)
    back, rate = read_wav(path)
    assert rate == SR and len(back) == len(samples)
    assert np.max(np.abs(back - samples)) < 1 / 32767 + 1e-6
    assert [p.name for p in path.parent.iterdir()] == ["tone.wav"]  # no temp files left


def test_write_saturates_instead_of_wrapping(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "loud.wav", np.array([2.0, -2.0, 0.0], dtype=np.float32), SR)
    back, _ = read_wav(path)
    assert back[0] > 0.999 and back[1] <= -0.999 and back[2] == 0


def test_streamed_wav_header_and_stereo() -> None:
    """espeak-ng writes to a pipe: sizes are 0xFFFFFFFF; stereo is averaged to mono."""
    frames = np.array([[1000, 3000], [-2000, -4000]], dtype="<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 2, 16000, 16000 * 4, 4, 16)
    data = (
        b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE"
        + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"data" + struct.pack("<I", 0xFFFFFFFF) + frames
    )  # fmt: skip
    samples, rate = wav_bytes_to_array(data)
    assert rate == 16000
    assert np.allclose(samples, [2000 / 32768, -3000 / 32768])
    with pytest.raises(ValueError):
        wav_bytes_to_array(b"not a wav file at all")


def test_resample_keeps_duration_and_pitch() -> None:
    tone = _sine(1000, 1.0, 0.5, sr=SR)
    out = resample(tone, SR, 16000)
    assert abs(len(out) - 16000) <= 1
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) * 16000 / len(out) - 1000) < 3
    assert resample(tone, SR, SR) is not None and len(resample(tone, SR, SR)) == len(tone)


@pytest.mark.parametrize("rates", [(22050, 16000), (16000, 22050), (44100, 22050), (24000, 16000)])
def test_resample_matches_scipy_polyphase(rates: tuple[int, int]) -> None:
    """Against scipy's resample_poly as the reference, away from the edges: > 40 dB SNR."""
    from math import gcd

    from scipy.signal import resample_poly

    a, b = rates
    t = np.arange(a * 3) / a
    x = (np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 3000 * t)).astype(np.float32)
    ref = resample_poly(x.astype(np.float64), b // gcd(a, b), a // gcd(a, b))
    out = resample(x, a, b)
    assert len(out) == len(ref)
    mid = slice(len(out) // 10, -len(out) // 10)
    snr = 10 * np.log10(np.sum(ref[mid] ** 2) / np.sum((out[mid] - ref[mid]) ** 2))
    assert snr > 40


def test_resample_down_removes_what_cannot_be_represented() -> None:
    """A 10 kHz tone has no place at 16 kHz: it must vanish, not alias to 6 kHz."""
    high = _sine(10_000, 1.0, 0.5, sr=SR)
    out = resample(high, SR, 16000)
    assert np.sqrt(np.mean(out[1000:-1000] ** 2)) < 1e-3


def test_concat_with_gaps_and_trim() -> None:
    a, b = np.ones(100, np.float32) * 0.5, np.ones(50, np.float32) * 0.5
    joined = concat_with_gaps([a, b], 1000, 0.2)
    assert len(joined) == 100 + 200 + 50
    assert not np.any(joined[100:300])
    assert len(concat_with_gaps([], 1000, 0.2)) == 0
    padded = np.concatenate([silence(0.5, 1000), a, silence(0.5, 1000)])
    trimmed = trim_silence(padded, 1000, pad_s=0.01)
    assert len(trimmed) == 100 + 2 * 10
    assert len(trim_silence(silence(1.0, 1000), 1000)) == 0


def test_lufs_of_reference_sine() -> None:
    """BS.1770: a full-scale 997 Hz sine reads -3.01 LUFS, so amplitude 0.1 reads -23.01."""
    assert measure_lufs(_sine(997, 3.0, 0.1, sr=48000), 48000) == pytest.approx(-23.01, abs=0.1)
    assert measure_lufs(silence(1.0, SR), SR) == float("-inf")
    assert np.isfinite(measure_lufs(_sine(997, 0.1, 0.1), SR))  # shorter than one gating block


@pytest.mark.parametrize("rate", [16000, 22050, 44100, 48000])
def test_lufs_agrees_with_pyloudnorm(rate: int) -> None:
    """Our scipy-free meter against pyloudnorm (the reference BS.1770 implementation):
    noise shaped like speech, a low hum the K-weighting high-pass must cut, quiet gaps
    the gates must drop."""
    import pyloudnorm

    rng = np.random.default_rng(rate)
    n = rate * 7
    t = np.arange(n) / rate
    envelope = np.where((t % 2.0) < 1.4, 1.0, 0.002)  # speech, then near-silence
    x = 0.1 * rng.standard_normal(n) * envelope + 0.3 * np.sin(2 * np.pi * 20 * t)
    reference = pyloudnorm.Meter(rate).integrated_loudness(x)
    assert measure_lufs(x, rate) == pytest.approx(reference, abs=1e-6)
    assert measure_lufs(x * 0.5, rate) == pytest.approx(reference - 6.0206, abs=1e-3)


@pytest.mark.parametrize("size", [1, 3, 221, 1001])
def test_running_filters_match_scipy(size: int) -> None:
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    from repo2video_dagster.lib.speech.audio import running_mean, running_min

    x = np.random.default_rng(size).random(50_001)
    assert np.array_equal(running_min(x, size), minimum_filter1d(x, size, mode="nearest"))
    mean = uniform_filter1d(x, size, mode="nearest")
    assert np.allclose(running_mean(x, size), mean, rtol=0, atol=1e-9)


def test_loudness_and_resampling_do_not_import_scipy() -> None:
    """scipy.signal costs ~1.5 s of import on every cold render; the product path avoids it."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from repo2video_dagster.lib.speech.audio import normalize_loudness, resample\n"
        "x = (np.random.default_rng(0).standard_normal(22050 * 3) * 0.3).astype(np.float32)\n"
        "normalize_loudness(x, 22050)\n"
        "resample(x, 22050, 16000)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'pyloudnorm')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_normalize_synthetic_speechlike_signal() -> None:
    signal = _speechlike()
    before = measure_lufs(signal, SR)
    out, lufs, peak = normalize_loudness(signal, SR, target_lufs=-14.0, ceiling_dbfs=-1.0)
    assert before < -25  # it really needed a lot of gain ...
    assert -14.5 <= lufs <= -13.5  # ... and got there
    assert lufs == pytest.approx(measure_lufs(out, SR), abs=1e-6)
    assert peak <= -1.0 and peak == pytest.approx(peak_dbfs(out))


def test_limiter_is_smooth_not_clipping() -> None:
    loud = _speechlike() * np.float32(10 ** (20 / 20))  # peaks far above full scale
    out = limit_peaks(loud, SR, ceiling_dbfs=-1.0)
    ceiling = 10 ** (-1 / 20)
    assert np.max(np.abs(out)) <= ceiling + 1e-6
    # Hard clipping would flatten many samples at the ceiling; a limiter touches few.
    assert np.mean(np.abs(out) >= ceiling * 0.999) < 0.001
    # The applied gain changes gradually (look-ahead ramp, slow release).
    idx = np.nonzero(np.abs(loud) > 1e-2)[0]
    gain = out[idx] / loud[idx]
    assert np.all(gain <= 1.0 + 1e-6) and np.min(gain) < 0.5  # it did limit, hard
    neighbours = np.diff(idx) == 1
    assert np.max(np.abs(np.diff(gain)[neighbours])) < 0.02
    quiet = _sine(440, 0.5, 0.2)
    assert np.array_equal(limit_peaks(quiet, SR, ceiling_dbfs=-1.0), quiet)


def test_normalize_real_piper_speech(tmp_path: Path) -> None:
    tts = PiperTts()
    speech = tts.synthesize("Loudness matters. Every scene should sound equally loud.")
    out, lufs, peak = normalize_loudness(speech, tts.sample_rate)
    assert -14.5 <= lufs <= -13.5 and peak <= -1.0
    path = write_wav(tmp_path / "speech.wav", out, tts.sample_rate)
    back, rate = read_wav(path)  # still true after 16-bit quantisation
    assert -14.5 <= measure_lufs(back, rate) <= -13.5
    assert peak_dbfs(back) <= -1.0
