"""A music bed under the narration: ducked under speech, faded in and out, mixed to −14 LUFS.

The bed is the user's (``REPO2VIDEO_MUSIC`` = an audio file, or a folder to pick one
from by the repository's name) or, by default, one this module synthesises: a slow
chord pad in numpy, deterministic for a given seed, so the project ships no audio
file and owes no licence. ``off`` renders narration only.

Speech stays on top: wherever the voice is active the bed sits at least
:data:`DUCK_UNDER_SPEECH_DB` under the speech's loudness (measured with the same
BS.1770 meter as the narration), it rises a little in pauses, and the final mix is
normalised to −14 LUFS with the narration's limiter. Captions are timed from the
narration alone, never from the mix.
"""

from __future__ import annotations

import hashlib
import logging
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.speech.audio import (
    limit_peaks,
    measure_lufs,
    read_wav,
    running_mean,
    write_wav,
)

log = logging.getLogger(__name__)

__all__ = [
    "AUDIO_SUFFIXES",
    "DUCK_UNDER_SPEECH_DB",
    "MixStats",
    "default_bed",
    "load_bed",
    "mix_music",
    "music_source",
]

AUDIO_SUFFIXES = (".wav", ".mp3", ".ogg", ".oga", ".flac", ".m4a", ".aac", ".opus")
DUCK_UNDER_SPEECH_DB = 20.0
"""The bed under active speech, in LU below the speech (the issue asks for at least 15)."""
PAUSE_UNDER_SPEECH_DB = 12.0
"""The bed in pauses and before/after the voice: audible, still quieter than the voice."""
FADE_IN_S = 1.5
FADE_OUT_S = 2.5
MAX_BED_FILE_BYTES = 200 * 1024 * 1024


class MusicError(UserError):
    """The music the user gave cannot be used."""


@dataclass
class MixStats:
    music: str
    """``default``, ``off`` or the file name used."""
    lufs: float
    music_under_speech_db: float
    """How far the bed sits under the speech while the voice is active (LU)."""


def music_source(setting: str, key: str) -> Path | str | None:
    """What ``REPO2VIDEO_MUSIC`` asks for: ``"default"``, ``None`` (off) or a file.

    A folder gives one of its audio files, picked by a hash of ``key`` (the repository)
    so a repository keeps its music across renders.
    """
    value = (setting or "").strip()
    if value.lower() in ("", "default", "on"):
        return "default"
    if value.lower() in ("off", "none", "0", "false", "no"):
        return None
    path = Path(value).expanduser()
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
        )
        if not files:
            raise MusicError(
                f"REPO2VIDEO_MUSIC folder {path} has no audio files",
                hint=f"put {', '.join(AUDIO_SUFFIXES)} files there, or set it to 'default' or 'off'",
            )
        digest = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
        return files[digest % len(files)]
    if not path.is_file():
        raise MusicError(
            f"REPO2VIDEO_MUSIC={value!r} is neither a file nor a folder",
            hint="give an audio file or a folder of them, or 'default' or 'off'",
        )
    return path


# --- the default bed -----------------------------------------------------------------

_PROGRESSIONS = (
    # semitones above A2 of each chord's notes (root, third, fifth, octave+third)
    ((0, 3, 7, 15), (8, 12, 15, 20), (3, 7, 10, 19), (10, 14, 17, 22)),  # i VI III VII
    ((0, 4, 7, 16), (9, 12, 16, 21), (5, 9, 12, 21), (7, 11, 14, 23)),  # I vi IV V
    ((0, 3, 7, 14), (5, 8, 12, 17), (10, 14, 17, 22), (3, 7, 10, 15)),  # i iv VII III
)


def default_bed(duration_s: float, sample_rate: int, seed: str = "") -> np.ndarray:
    """A soft chord pad (four chords, 4 s each, looped) with a slow shimmer, mono float32.

    Synthesised here, so it is the project's own: detuned sine partials per note (with a
    quiet second harmonic) and raised-cosine crossfades between chords. One 16 s loop is
    made and repeated; every partial completes whole cycles in it, so the loop is
    seamless. Deterministic for ``seed``.
    """
    n = max(1, round(duration_s * sample_rate))
    pick = int(hashlib.sha256(seed.encode()).hexdigest()[:4], 16)
    chords = _PROGRESSIONS[pick % len(_PROGRESSIONS)]
    base = 110.0 * 2 ** ((pick // 7 % 5 - 2) / 12)  # A2, give or take two semitones
    chord_s, overlap_s = 4.0, 1.0
    loop_s = chord_s * len(chords)
    loop_n = round(loop_s * sample_rate)
    t = np.arange(loop_n, dtype=np.float64) / sample_rate
    loop = np.zeros(loop_n, dtype=np.float64)
    for c, notes in enumerate(chords):
        # the chord's own 4 s plus a fade into the next chord, wrapping around the loop
        rel = (t - c * chord_s) % loop_s
        live = rel < chord_s + overlap_s
        r = rel[live]
        env = np.ones_like(r)
        env = np.where(r < overlap_s, 0.5 - 0.5 * np.cos(np.pi * r / overlap_s), env)
        fall = (r - chord_s) / overlap_s
        env = np.where(r > chord_s, 0.5 + 0.5 * np.cos(np.pi * fall), env)
        tl = t[live]
        voice = np.zeros_like(tl)
        for k, semis in enumerate(notes):
            for detune in (-0.15, 0.15):
                f = round((base * 2 ** (semis / 12) + detune) * loop_s) / loop_s
                phase = 2 * np.pi * f * tl + k
                voice += np.sin(phase) + 0.2 * np.sin(2 * phase)
        loop[live] += env * voice
    loop *= 0.85 + 0.15 * np.sin(2 * np.pi * t / (loop_s / 2))
    peak = float(np.max(np.abs(loop))) or 1.0
    loop = (0.5 * loop / peak).astype(np.float32)
    return np.tile(loop, -(-n // loop_n))[:n].copy()


def load_bed(path: Path, duration_s: float, sample_rate: int) -> np.ndarray:
    """The file decoded to mono at ``sample_rate`` (ffmpeg), looped to ``duration_s``."""
    if path.stat().st_size > MAX_BED_FILE_BYTES:
        raise MusicError(
            f"music file {path.name} is larger than {MAX_BED_FILE_BYTES // 2**20} MB",
            hint="use a shorter file",
        )
    from repo2video_dagster.lib.render.media import ffmpeg_path

    cmd = [ffmpeg_path(), "-v", "error", "-i", str(path), "-t", f"{duration_s + 1:.2f}"]
    cmd += ["-ac", "1", "-ar", str(sample_rate), "-f", "f32le", "-"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    samples = np.frombuffer(proc.stdout, dtype=np.float32)
    if proc.returncode != 0 or len(samples) < sample_rate // 2:
        reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["empty"]
        raise MusicError(
            f"music file {path.name} cannot be decoded: {reason[0][:120]}",
            hint="use a WAV, MP3, OGG or FLAC file, or set REPO2VIDEO_MUSIC=default",
        )
    n = max(1, round(duration_s * sample_rate))
    reps = -(-n // len(samples))
    return np.tile(samples, reps)[:n].copy()


# --- ducking and the mix ---------------------------------------------------------------


def _speech_activity(speech: np.ndarray, sample_rate: int) -> np.ndarray:
    """1 where the voice is active (with a short hold), 0 in pauses, smoothed per sample."""
    hop = max(1, sample_rate // 100)  # 10 ms frames
    frames = len(speech) // hop
    if frames == 0:
        return np.zeros(len(speech), dtype=np.float64)
    energy = np.sqrt(np.mean(speech[: frames * hop].reshape(frames, hop) ** 2, axis=1) + 1e-12)
    level = 20 * np.log10(energy)
    active = (level > level.max() - 35).astype(np.float64)
    # hold 300 ms after speech and open 60 ms before it: no pumping between words
    held = np.convolve(active, np.ones(30), mode="full")[:frames] > 0
    ahead = np.convolve(active[::-1], np.ones(6), mode="full")[:frames][::-1] > 0
    gate = (held | ahead).astype(np.float64)
    gate = running_mean(gate, 15)  # 150 ms ramps
    per_sample = np.repeat(gate, hop)
    return np.pad(per_sample, (0, len(speech) - len(per_sample)), mode="edge")


def _bed_gain(activity: np.ndarray, duck_db: float, pause_db: float) -> np.ndarray:
    """Gain (dB → linear) between the pause level and the ducked level, by activity."""
    db = -pause_db + (pause_db - duck_db) * activity
    return np.power(10.0, db / 20.0)


def _fades(n: int, sample_rate: int) -> np.ndarray:
    env = np.ones(n, dtype=np.float64)
    fin = min(n, round(FADE_IN_S * sample_rate))
    fout = min(n, round(FADE_OUT_S * sample_rate))
    if fin:
        env[:fin] *= np.linspace(0.0, 1.0, fin) ** 2
    if fout:
        env[n - fout :] *= np.linspace(1.0, 0.0, fout) ** 2
    return env


def mix_music(
    narration_wav: Path,
    source: Path | str,
    out_wav: Path,
    *,
    seed: str = "",
    target_lufs: float = -14.0,
    measure: bool = False,
) -> MixStats:
    """Write ``narration + ducked bed`` to ``out_wav`` at ``target_lufs``.

    The bed is first set to the speech's loudness, then each sample gets the ducked or
    the pause gain by the voice's activity, and fades at both ends: under the voice it
    sits :data:`DUCK_UNDER_SPEECH_DB` down by construction. ``measure`` checks that
    with the meter (two more loudness measurements, for tests and the benchmark).
    """
    speech, sr = read_wav(narration_wav)
    speech = speech.astype(np.float64)
    if speech.ndim > 1:
        speech = speech.mean(axis=1)
    duration = len(speech) / sr
    if source == "default":
        bed = default_bed(duration, sr, seed).astype(np.float64)
        name = "default"
    else:
        bed = load_bed(Path(source), duration, sr).astype(np.float64)
        name = Path(source).name
    speech_lufs = measure_lufs(speech.astype(np.float32), sr)
    bed_lufs = measure_lufs(bed.astype(np.float32), sr)  # same length: the meter's filter is reused
    if not (math.isfinite(speech_lufs) and math.isfinite(bed_lufs)):
        write_wav(out_wav, speech.astype(np.float32), sr)
        return MixStats(name, speech_lufs, float("inf"))
    bed *= 10 ** ((speech_lufs - bed_lufs) / 20)  # the bed as loud as the voice, then down
    activity = _speech_activity(speech, sr)
    gain = _bed_gain(activity, DUCK_UNDER_SPEECH_DB, PAUSE_UNDER_SPEECH_DB)
    ducked = bed * gain * _fades(len(bed), sr)
    # One measurement and one limiter pass: the bed adds well under 1 LU to speech that
    # is already at the target, so a single gain correction lands within tolerance.
    mixed = (speech + ducked).astype(np.float32)
    lufs = measure_lufs(mixed, sr)
    mixed = limit_peaks(mixed * np.float32(10 ** ((target_lufs - lufs) / 20)), sr, -1.02)
    lufs = measure_lufs(mixed, sr) if measure else target_lufs
    # The bed against the voice where the voice is active, each measured alone.
    voiced = activity > 0.99
    under = DUCK_UNDER_SPEECH_DB
    if measure and voiced.sum() > sr:
        v = measure_lufs(speech[voiced].astype(np.float32), sr)
        m = measure_lufs(ducked[voiced].astype(np.float32), sr)
        under = v - m if math.isfinite(m) else float("inf")
    write_wav(out_wav, mixed, sr)
    log.info("music %s mixed: %.1f LUFS, bed %.1f LU under the voice", name, lufs, under)
    return MixStats(name, lufs, under)
