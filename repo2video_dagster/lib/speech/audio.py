"""WAV I/O, concatenation and loudness normalisation.

Audio is handled as mono float32 numpy arrays in [-1, 1]; files are mono 16-bit
PCM WAV, the format every later stage (whisper, moviepy, ffmpeg) reads without
surprises. Files are written to a temporary name and renamed, so a crash never
leaves a truncated WAV that a cache would later trust.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import tempfile
import wave
from math import gcd
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_MIN_LOUDNESS_S = 0.4
"""BS.1770 gating blocks are 400 ms: shorter signals are padded with silence to be measured."""


def read_wav(path: Path | str) -> tuple[np.ndarray, int]:
    """Read a PCM WAV as mono float32; multi-channel audio is averaged."""
    with wave.open(str(path), "rb") as wav:
        channels = wav.getnchannels()
        width = wav.getsampwidth()
        rate = wav.getframerate()
        raw = wav.readframes(wav.getnframes())
    return _pcm_to_float(raw, width, channels), rate


def _pcm_to_float(raw: bytes, width: int, channels: int) -> np.ndarray:
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        bytes3 = np.frombuffer(raw[: len(raw) - len(raw) % 3], dtype=np.uint8).reshape(-1, 3)
        ints = (
            bytes3[:, 0].astype(np.int32)
            | (bytes3[:, 1].astype(np.int32) << 8)
            | (bytes3[:, 2].astype(np.int32) << 16)
        )
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        data = ints.astype(np.float32) / float(1 << 23)
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float32) / float(1 << 31)
    else:
        raise ValueError(f"unsupported WAV sample width: {width} bytes")
    if channels > 1:
        data = data[: len(data) - len(data) % channels].reshape(-1, channels).mean(axis=1)
    return np.ascontiguousarray(data, dtype=np.float32)


def wav_bytes_to_array(data: bytes) -> tuple[np.ndarray, int]:
    """Parse a WAV held in memory, tolerating streamed headers.

    Programs writing WAV to a pipe (``espeak-ng --stdout``) cannot seek back to
    fill in the sizes, so the RIFF and data lengths may be 0 or 0xFFFFFFFF: the
    chunks are walked by hand and the data chunk runs to the end of the bytes.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    pos = 12
    fmt: tuple[int, int, int] | None = None
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if chunk_id == b"fmt ":
            tag = int.from_bytes(data[body : body + 2], "little")
            channels = int.from_bytes(data[body + 2 : body + 4], "little")
            rate = int.from_bytes(data[body + 4 : body + 8], "little")
            bits = int.from_bytes(data[body + 14 : body + 16], "little")
            if tag not in (1, 0xFFFE):
                raise ValueError(f"unsupported WAV encoding (format tag {tag})")
            fmt = (channels, rate, bits // 8)
        elif chunk_id == b"data":
            if fmt is None:
                raise ValueError("WAV data chunk before its format chunk")
            end = len(data) if size in (0, 0xFFFFFFFF) else min(len(data), body + size)
            channels, rate, width = fmt
            raw = data[body:end]
            raw = raw[: len(raw) - len(raw) % (width * channels)]
            return _pcm_to_float(raw, width, channels), rate
        pos = body + size + (size & 1)
    raise ValueError("WAV file has no data chunk")


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples to 16-bit PCM, rounding and saturating (never wrapping).

    The scale (32768) is the one :func:`read_wav` divides by, so a read/write
    round trip of 16-bit audio is exact.
    """
    scaled = np.round(np.asarray(samples, dtype=np.float64) * 32768.0)
    return np.clip(scaled, -32768, 32767).astype("<i2")


def quantize16(samples: np.ndarray) -> np.ndarray:
    """The samples exactly as they will read back from a 16-bit WAV."""
    return to_int16(samples).astype(np.float32) / np.float32(32768.0)


def write_wav(path: Path | str, samples: np.ndarray, sample_rate: int) -> Path:
    """Write mono 16-bit PCM atomically (temp file in the same directory + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".wav")
    try:
        with os.fdopen(fd, "wb") as fh, wave.open(fh, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(int(sample_rate))
            wav.writeframes(to_int16(samples).tobytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def resample(samples: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Band-limited resampling in the frequency domain (numpy only, no ffmpeg round trip).

    The spectrum is cut (or zero-extended) at the new Nyquist frequency, which is the
    ideal low-pass; a tenth of a second of zeros after the signal keeps the FFT's
    wrap-around off the real samples. numpy instead of scipy.signal saves ~1.5 s
    of import on every cold render.
    """
    x = np.asarray(samples, dtype=np.float64)
    if sr_from == sr_to or len(x) == 0:
        return x.astype(np.float32)
    g = gcd(int(sr_from), int(sr_to))
    up, down = sr_to // g, sr_from // g
    # Padded length: a whole number of ``down`` input samples, so the output length is exact.
    n_in = -(-(len(x) + sr_from // 10) // down) * down
    n_out = n_in // down * up
    spectrum = np.fft.rfft(x, n_in)
    keep = min(len(spectrum), n_out // 2 + 1)
    resized = np.zeros(n_out // 2 + 1, dtype=complex)
    resized[:keep] = spectrum[:keep]
    if n_out < n_in and n_out % 2 == 0:
        resized[-1] = resized[-1].real  # the new Nyquist bin of a real signal is real
    out = np.fft.irfft(resized, n_out) * (n_out / n_in)
    return out[: round(len(x) * up / down)].astype(np.float32)


def silence(duration_s: float, sample_rate: int) -> np.ndarray:
    return np.zeros(max(0, round(duration_s * sample_rate)), dtype=np.float32)


def concat_with_gaps(chunks: list[np.ndarray], sample_rate: int, gap_s: float) -> np.ndarray:
    """Join chunks with ``gap_s`` of silence between them (none before or after)."""
    parts: list[np.ndarray] = []
    gap = silence(gap_s, sample_rate)
    for i, chunk in enumerate(chunks):
        if i:
            parts.append(gap)
        parts.append(np.asarray(chunk, dtype=np.float32))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def trim_silence(
    samples: np.ndarray, sample_rate: int, threshold_dbfs: float = -45.0, pad_s: float = 0.04
) -> np.ndarray:
    """Cut leading and trailing near-silence, keeping a short pad so onsets stay soft.

    TTS engines add their own variable silence around each utterance; trimming it
    makes the gaps between scenes exactly what the narrator asked for.
    """
    if len(samples) == 0:
        return samples
    loud = np.nonzero(np.abs(samples) > 10 ** (threshold_dbfs / 20))[0]
    if len(loud) == 0:
        return samples[:0]
    pad = round(pad_s * sample_rate)
    return samples[max(0, loud[0] - pad) : min(len(samples), loud[-1] + 1 + pad)]


def peak_dbfs(samples: np.ndarray) -> float:
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    return 20 * math.log10(peak) if peak > 0 else float("-inf")


def _k_weighting(sample_rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """BS.1770 K-weighting as two biquads (b, a), designed for ``sample_rate``.

    A +4 dB high shelf at 1.5 kHz (the head's effect) and a 38 Hz high-pass (RLB),
    from the RBJ audio-EQ cookbook formulas, the same design as pyloudnorm's
    default meter, so figures agree with it.
    """

    def shelf(gain_db: float, q: float, fc: float) -> tuple[np.ndarray, np.ndarray]:
        amp = 10 ** (gain_db / 40)
        w0 = 2 * math.pi * fc / sample_rate
        cos, alpha = math.cos(w0), math.sin(w0) / (2 * q)
        root = 2 * math.sqrt(amp) * alpha
        b = [
            amp * ((amp + 1) + (amp - 1) * cos + root),
            -2 * amp * ((amp - 1) + (amp + 1) * cos),
            amp * ((amp + 1) + (amp - 1) * cos - root),
        ]
        a = [(amp + 1) - (amp - 1) * cos + root, 2 * ((amp - 1) - (amp + 1) * cos)]
        a.append((amp + 1) - (amp - 1) * cos - root)
        return np.array(b) / a[0], np.array(a) / a[0]

    def high_pass(q: float, fc: float) -> tuple[np.ndarray, np.ndarray]:
        w0 = 2 * math.pi * fc / sample_rate
        cos, alpha = math.cos(w0), math.sin(w0) / (2 * q)
        b = np.array([(1 + cos) / 2, -(1 + cos), (1 + cos) / 2])
        a = np.array([1 + alpha, -2 * cos, 1 - alpha])
        return b / a[0], a / a[0]

    return [shelf(4.0, 1 / math.sqrt(2), 1500.0), high_pass(0.5, 38.0)]


def _fast_length(n: int) -> int:
    """The smallest 2^a·3^b·5^c >= n: FFT sizes numpy transforms fastest."""
    best = 1 << max(0, (n - 1).bit_length())
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            size = power35 << max(0, (-(-n // power35) - 1).bit_length())
            best = min(best, size)
            power35 *= 3
        power5 *= 5
    return best


@functools.lru_cache(maxsize=4)
def _k_response(n_fft: int, sample_rate: int) -> np.ndarray:
    """K-weighting's frequency response on the rfft grid of ``n_fft`` (cached: loudness
    normalisation measures the same length several times)."""
    z = np.exp(-1j * np.pi * np.arange(n_fft // 2 + 1) / (n_fft / 2))  # e^{-jw}
    z2 = z * z
    response = np.ones_like(z)
    for b, a in _k_weighting(sample_rate):
        response *= (b[0] + b[1] * z + b[2] * z2) / (a[0] + a[1] * z + a[2] * z2)
    return response


def _k_weighted(data: np.ndarray, sample_rate: int) -> np.ndarray:
    """Apply K-weighting by multiplying spectra: the IIR filters' exact responses on a
    zero-padded FFT grid (a second of padding holds their decaying tails), which is
    the same result as running the recursions, without importing scipy (~1.5 s)."""
    n_fft = _fast_length(len(data) + sample_rate)
    spectrum = np.fft.rfft(data, n_fft) * _k_response(n_fft, sample_rate)
    return np.fft.irfft(spectrum, n_fft)[: len(data)]


def measure_lufs(samples: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (ITU-R BS.1770-4, gated) in LUFS; ``-inf`` for silence.

    400 ms blocks every 100 ms; blocks under -70 LUFS are dropped, then blocks more
    than 10 LU under the mean of the rest.
    """
    data = np.asarray(samples, dtype=np.float64)
    minimum = math.ceil(_MIN_LOUDNESS_S * sample_rate) + 1
    if len(data) < minimum:
        data = np.concatenate([data, np.zeros(minimum - len(data))])
    if not np.any(data):
        return float("-inf")
    weighted = _k_weighted(data, sample_rate)
    energy = np.concatenate([[0.0], np.cumsum(weighted * weighted)])
    block_s, step = 0.4, 0.25
    count = int(round((len(data) / sample_rate - block_s) / (block_s * step))) + 1
    j = np.arange(count)
    lower = (block_s * (j * step) * sample_rate).astype(np.int64)
    upper = np.minimum((block_s * (j * step + 1) * sample_rate).astype(np.int64), len(data))
    power = (energy[upper] - energy[lower]) / (block_s * sample_rate)
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(power)
    gated = power[loudness >= -70.0]
    if not len(gated):
        return float("-inf")
    relative = -0.691 + 10 * math.log10(float(np.mean(gated))) - 10.0
    kept = power[(loudness > relative) & (loudness > -70.0)]
    mean = float(np.mean(kept)) if len(kept) else 0.0
    return -0.691 + 10 * math.log10(mean) if mean > 0 else float("-inf")


def limit_peaks(
    samples: np.ndarray,
    sample_rate: int,
    ceiling_dbfs: float = -1.0,
    attack_s: float = 0.005,
    release_s: float = 0.08,
) -> np.ndarray:
    """Look-ahead peak limiter: no sample exceeds the ceiling, and the gain moves smoothly.

    The needed gain per sample is spread over a look-ahead window (minimum filter,
    then a moving average of the same width: the average of minima is never above
    the gain any covered sample needs), so the gain ramps down before a peak instead
    of clipping it. Recovery is then slowed to ``release_s`` per 20 dB, which keeps
    the limiter from pumping at the pitch of the voice.
    """
    x = np.asarray(samples, dtype=np.float64)
    if len(x) == 0:
        return x.astype(np.float32)
    ceiling = 10 ** (ceiling_dbfs / 20)
    magnitude = np.abs(x)
    if magnitude.max() <= ceiling:
        return x.astype(np.float32)
    need = np.minimum(1.0, ceiling / np.maximum(magnitude, 1e-12))
    width = max(1, round(attack_s * sample_rate))
    gain = running_min(need, 2 * width + 1)
    gain = running_mean(gain, width | 1)
    gain = np.minimum(gain, need)  # guard against rounding in the moving average
    # Release: gain may rise by at most 20 dB per release_s. In the log domain this is
    # a running minimum of (log g[k] - k*rate) shifted back by n*rate.
    rate = math.log(10) / max(1.0, release_s * sample_rate)
    n = np.arange(len(x), dtype=np.float64)
    log_gain = np.log(np.maximum(gain, 1e-12))
    released = np.exp(np.minimum.accumulate(log_gain - n * rate) + n * rate)
    return (x * np.minimum(released, gain)).astype(np.float32)


def running_min(x: np.ndarray, size: int) -> np.ndarray:
    """Minimum over a centred window of odd ``size``, edges extended (van Herk / Gil-Werman:
    prefix and suffix minima inside blocks of ``size``, so O(n) whatever the window)."""
    padded = np.pad(x, size // 2, mode="edge")
    blocks = -(-len(padded) // size)
    grid = np.full(blocks * size, np.inf)
    grid[: len(padded)] = padded
    grid = grid.reshape(blocks, size)
    prefix = np.minimum.accumulate(grid, axis=1).ravel()
    suffix = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suffix[: len(x)], prefix[size - 1 : size - 1 + len(x)])


def running_mean(x: np.ndarray, size: int) -> np.ndarray:
    """Mean over a centred window of odd ``size``, edges extended."""
    padded = np.pad(x, size // 2, mode="edge")
    total = np.concatenate([[0.0], np.cumsum(padded)])
    return (total[size:] - total[:-size]) / size


def normalize_loudness(
    samples: np.ndarray,
    sample_rate: int,
    target_lufs: float = -14.0,
    ceiling_dbfs: float = -1.0,
    tolerance_lu: float = 0.2,
    max_iterations: int = 8,
) -> tuple[np.ndarray, float, float]:
    """Bring speech to ``target_lufs`` with peaks at or below ``ceiling_dbfs``.

    Speech at -14 LUFS usually needs more gain than its peaks allow, so gain is
    followed by the limiter. Limiting lowers the loudness a little, so the gain is
    corrected and the limiter rerun until the result is within ``tolerance_lu``.
    Returns ``(samples, lufs, peak_dbfs)``; silence comes back unchanged.
    """
    x = np.asarray(samples, dtype=np.float32)
    measured = measure_lufs(x, sample_rate)
    if not math.isfinite(measured):
        return x, measured, peak_dbfs(x)
    # A hair under the ceiling, so 16-bit rounding cannot push a peak over it.
    ceiling = ceiling_dbfs - 0.02
    gain_db = target_lufs - measured
    out, lufs = x, measured
    for _ in range(max_iterations):
        gain_db = min(gain_db, 60.0)
        out = limit_peaks(x * np.float32(10 ** (gain_db / 20)), sample_rate, ceiling)
        lufs = measure_lufs(out, sample_rate)
        error = target_lufs - lufs
        if abs(error) <= tolerance_lu:
            break
        gain_db += error
    log.debug("loudness %.2f -> %.2f LUFS (gain %.1f dB)", measured, lufs, gain_db)
    return out, lufs, peak_dbfs(out)
