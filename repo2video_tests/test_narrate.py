"""Narration with the real Piper voice: track layout, loudness, per-scene cache."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.core.records import Scene, VisualSpec
from repo2video_dagster.lib.speech.audio import measure_lufs, peak_dbfs, read_wav
from repo2video_dagster.lib.speech.narrate import narrate
from repo2video_dagster.lib.speech.tts import EspeakTts, PiperTts


def _scenes(middle: str = "It reads the code and writes a script.") -> list[Scene]:
    return [
        Scene("hook", "Hook", "Meet a tiny project.", VisualSpec("title")),
        Scene("what", "What", middle, VisualSpec("overview")),
        Scene("outro", "Outro", "Thanks for watching!", VisualSpec("outro")),
    ]


def _run(
    scenes: list[Scene], out: Path, cache: Path, tts: PiperTts
) -> tuple[object, list[str], float]:
    messages: list[str] = []
    t0 = time.perf_counter()
    narration = narrate(scenes, out, tts, cache_dir=cache, progress=messages.append)
    return narration, messages, time.perf_counter() - t0


def test_narrate_with_piper_layout_loudness_and_cache(tmp_path: Path) -> None:
    tts = PiperTts()
    tts.synthesize("warm up")  # load the voice, so the timings compare synthesis alone
    out, cache = tmp_path / "out", tmp_path / "cache"
    narration, messages, first_s = _run(_scenes(), out, cache, tts)

    # Layout: speech starts after the lead-in, scenes tile the track exactly.
    assert narration.engine == "piper" and narration.voice == "en_US-joe-medium"
    assert [s.scene_id for s in narration.scenes] == ["hook", "what", "outro"]
    assert narration.scenes[0].offset_s == pytest.approx(0.3, abs=1e-3)
    for a, b in zip(narration.scenes, narration.scenes[1:], strict=False):
        assert b.offset_s == pytest.approx(a.offset_s + a.duration_s, abs=1e-6)
    last = narration.scenes[-1]
    assert last.offset_s + last.duration_s == pytest.approx(narration.duration_s, abs=1e-6)
    assert 0.8 < narration.scenes[0].duration_s < 3.5  # "Meet a tiny project." + gap
    assert 1.5 < narration.scenes[1].duration_s < 5.0
    assert 4.0 < narration.duration_s < 12.0

    # Files: the full track and one slice per scene, matching the record.
    track, rate = read_wav(narration.track_path)
    assert rate == narration.sample_rate == 22050
    assert len(track) / rate == pytest.approx(narration.duration_s, abs=1e-3)
    for scene_audio in narration.scenes:
        samples, _ = read_wav(scene_audio.wav_path)
        assert len(samples) / rate == pytest.approx(scene_audio.duration_s, abs=1e-3)
    assert sorted(p.name for p in (out / "scenes").iterdir()) == [
        "00_hook.wav",
        "01_what.wav",
        "02_outro.wav",
    ]
    assert -14.5 <= measure_lufs(track, rate) <= -13.5
    assert peak_dbfs(track) <= -1.0
    assert narration.peak_dbfs <= -1.0 and abs(narration.loudness_lufs + 14) <= 0.5
    assert sum("synthesized" in m for m in messages) == 3

    # Same scenes again: everything from the cache, much faster, identical track.
    before = Path(narration.track_path).read_bytes()
    cached = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    again, messages, cached_s = _run(_scenes(), out, cache, tts)
    assert sum("cached" in m for m in messages) == 3
    assert cached_s < first_s / 2
    assert Path(again.track_path).read_bytes() == before

    # Edit one scene: only that scene is synthesised again.
    edited, messages, _ = _run(_scenes("It now reads the code twice."), out, cache, tts)
    scene_msgs = [m for m in messages if m.startswith("scene ")]
    assert ["synthesized" in m for m in scene_msgs] == [False, True, False]
    after = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert len(after) == len(cached) + 1
    assert all(after[name] == mtime for name, mtime in cached.items())
    assert edited.scenes[0].duration_s == pytest.approx(narration.scenes[0].duration_s)


def test_narrate_removes_stale_scene_files_and_handles_empty_scene(tmp_path: Path) -> None:
    tts = EspeakTts()
    scenes = _scenes()
    narrate(scenes, tmp_path, tts, cache_dir=None)
    renamed = [
        scenes[0],
        Scene("silent", "Silent", "  ", VisualSpec("overview")),
        scenes[2],
    ]
    narration = narrate(renamed, tmp_path, tts, cache_dir=None, scene_gap_s=0.2, lead_in_s=0.0)
    names = sorted(p.name for p in (tmp_path / "scenes").iterdir())
    assert names == ["00_hook.wav", "01_silent.wav", "02_outro.wav"]
    assert narration.scenes[0].offset_s == 0.0
    assert narration.scenes[1].duration_s == pytest.approx(0.5 + 0.2, abs=1e-3)
    assert narration.engine == "espeak"


def test_narrate_without_scenes_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="no scenes"):
        narrate([], tmp_path, EspeakTts(), cache_dir=None)
