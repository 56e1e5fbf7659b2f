"""Scenes -> narration track.

Each scene is synthesised on its own (so its start time on the track is known
exactly, without recognising anything) and cached by a hash of what shaped its
audio: editing one scene's text re-synthesises that scene only. The scenes are
joined with fixed gaps, the whole track is loudness-normalised once (so every
scene has the same level and the limiter sees the real neighbours), and per-scene
WAVs are cut from the normalised track.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from repo2video_dagster.lib.core.errors import EngineError, output_error
from repo2video_dagster.lib.core.records import Narration, Scene, SceneAudio
from repo2video_dagster.lib.core.reuse import source_version
from repo2video_dagster.lib.speech import tts as tts_module
from repo2video_dagster.lib.speech.audio import (
    normalize_loudness,
    quantize16,
    read_wav,
    resample,
    silence,
    trim_silence,
    write_wav,
)
from repo2video_dagster.lib.speech.tts import TtsEngine

log = logging.getLogger(__name__)

CACHE_VERSION = 1
"""Bump when the stored audio would differ for the same inputs (trimming, format)."""

EMPTY_SCENE_S = 0.5
"""A scene with nothing to say still gets a moment on screen."""


def synthesis_key(tts: TtsEngine, text: str) -> str:
    """Cache key of one scene's raw audio: everything that changes the samples."""
    payload = {
        "version": CACHE_VERSION,
        "code": source_version(tts_module),
        "engine": tts.name,
        "voice": tts.voice,
        "sample_rate": tts.sample_rate,
        "options": getattr(tts, "options", {}),
        "text": text,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _safe_name(scene_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", scene_id).strip("-") or "scene"


def _scene_audio(
    scene: Scene, key: str, tts: TtsEngine, cache_dir: Path | None
) -> tuple[np.ndarray, bool]:
    """Raw (trimmed) speech of one scene (``key``: its synthesis key), and whether it came
    from the cache."""
    cached = cache_dir / f"{key}.wav" if cache_dir else None
    if cached is not None and cached.is_file():
        try:
            samples, rate = read_wav(cached)
            return resample(samples, rate, tts.sample_rate), True
        except (OSError, EOFError, ValueError) as err:  # a damaged entry is redone
            log.warning("ignoring unreadable cache entry %s: %s", cached, err)
    # Quantised like the cache file, so a cached run gives a bit-identical track.
    samples = quantize16(trim_silence(tts.synthesize(scene.narration), tts.sample_rate))
    if cached is not None:
        try:
            write_wav(cached, samples, tts.sample_rate)
        except OSError as err:
            log.warning("cannot write TTS cache %s: %s", cached, err)
    return samples, False


def narrate(
    scenes: list[Scene],
    out_dir: Path,
    tts: TtsEngine,
    *,
    cache_dir: Path | None = None,
    scene_gap_s: float = 0.45,
    lead_in_s: float = 0.3,
    tail_s: float = 0.6,
    target_lufs: float = -14.0,
    frame_rate: int = 30,
    progress: Callable[[str], None] | None = None,
) -> Narration:
    """Synthesise ``scenes`` into ``out_dir/narration.wav`` and ``out_dir/scenes/*.wav``.

    ``SceneAudio.offset_s`` is where the scene's speech starts (the first scene
    starts after ``lead_in_s``); its duration runs to the next scene's start, the
    last one to the end of the track. Per-scene WAVs are exactly those slices.

    Each scene starts on a video frame boundary of ``frame_rate`` (the gap before
    it grows by under a frame): when an edit changes one scene's length, the
    scenes after it move by whole frames, so their frames, and their encoded
    video chunks, stay the same.
    """
    if not scenes:
        raise EngineError("the script has no scenes to narrate")
    out_dir = Path(out_dir)
    report = progress or (lambda _msg: None)
    rate = tts.sample_rate
    step = rate // math.gcd(rate, frame_rate)  # samples between starts on frame boundaries
    pieces: list[np.ndarray] = [silence(lead_in_s, rate)]
    starts: list[int] = []
    keys = [synthesis_key(tts, scene.narration) for scene in scenes]
    synthesized = 0
    for i, scene in enumerate(scenes):
        speech, hit = _scene_audio(scene, keys[i], tts, cache_dir)
        synthesized += not hit
        if len(speech) == 0:
            speech = silence(EMPTY_SCENE_S, rate)
        if i:
            pieces.append(silence(scene_gap_s, rate))
        position = sum(len(p) for p in pieces)
        pieces.append(np.zeros((-position) % step, dtype=speech.dtype))
        starts.append(position + len(pieces[-1]))
        pieces.append(speech)
        msg = "cached" if hit else "synthesized"
        report(f"scene {i + 1}/{len(scenes)} {scene.id}: {msg} ({len(speech) / rate:.1f} s)")
    pieces.append(silence(tail_s, rate))
    track = np.concatenate(pieces)
    track, lufs, peak = normalize_loudness(track, rate, target_lufs=target_lufs)
    if not np.isfinite(lufs):
        raise EngineError(
            f"the {tts.name} voice produced only silence", hint="check the voice or try espeak"
        )
    report(f"loudness {lufs:.1f} LUFS, peak {peak:.1f} dBFS")
    try:
        track_path = write_wav(out_dir / "narration.wav", track, rate)
        scene_audio = _write_scene_slices(scenes, keys, starts, track, rate, out_dir / "scenes")
    except OSError as err:
        raise output_error(f"cannot write narration to {out_dir}", err) from err
    return Narration(
        track_path=str(track_path),
        sample_rate=rate,
        duration_s=len(track) / rate,
        scenes=scene_audio,
        loudness_lufs=round(float(lufs), 2),
        peak_dbfs=round(float(peak), 2),
        engine=tts.name,
        voice=tts.voice,
        synthesized=synthesized,
    )


def _write_scene_slices(
    scenes: list[Scene],
    keys: list[str],
    starts: list[int],
    track: np.ndarray,
    rate: int,
    scene_dir: Path,
) -> list[SceneAudio]:
    scene_dir.mkdir(parents=True, exist_ok=True)
    bounds = [*starts, len(track)]
    written: list[SceneAudio] = []
    keep: set[str] = set()
    for i, scene in enumerate(scenes):
        path = scene_dir / f"{i:02d}_{_safe_name(scene.id)}.wav"
        write_wav(path, track[bounds[i] : bounds[i + 1]], rate)
        keep.add(path.name)
        written.append(
            SceneAudio(
                scene_id=scene.id,
                wav_path=str(path),
                offset_s=bounds[i] / rate,
                duration_s=(bounds[i + 1] - bounds[i]) / rate,
                speech_key=keys[i],
            )
        )
    for stale in scene_dir.glob("*.wav"):  # scenes removed or renamed since the last run
        if stale.name not in keep:
            stale.unlink(missing_ok=True)
    return written
