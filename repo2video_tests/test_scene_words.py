"""Recognised words are kept per scene: an edit recognises only the edited scene, and
the other scenes keep their exact timings (so their video frames stay the same)."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo2video_dagster.lib.speech.asr import make_asr
from repo2video_dagster.lib.speech.narrate import narrate
from repo2video_dagster.lib.speech.scene_words import recognize_scenes
from repo2video_dagster.lib.speech.tts import PiperTts
from repo2video_tests.test_narrate import _scenes

FPS = 30


def _relative(recognition, narration) -> dict[str, list[tuple[str, float, float]]]:
    """Each scene's words, relative to the scene's start."""
    out: dict[str, list[tuple[str, float, float]]] = {}
    spans = [(s.scene_id, s.offset_s, s.offset_s + s.duration_s) for s in narration.scenes]
    for word in recognition.words:
        middle = (word.start + word.end) / 2
        # the latest scene started by then; a word heard in the lead-in is the first scene's
        scene_id, start, _ = ([sp for sp in spans if sp[1] <= middle] or spans[:1])[-1]
        out.setdefault(scene_id, []).append(
            (word.text, round(word.start - start, 6), round(word.end - start, 6))
        )
    return out


def test_an_edit_recognises_only_the_edited_scene(tmp_path: Path) -> None:
    tts = PiperTts()
    asr = make_asr("faster-whisper", "tiny.en", device="cpu")
    tts_cache, store = tmp_path / "tts", tmp_path / "words"

    narration = narrate(_scenes(), tmp_path / "a", tts, cache_dir=tts_cache, frame_rate=FPS)
    for scene in narration.scenes:  # every scene starts on a frame boundary
        assert scene.offset_s * FPS == pytest.approx(round(scene.offset_s * FPS), abs=1e-6)
        assert scene.speech_key
    first = recognize_scenes(asr, narration, store)
    assert first.whole_track and first.recognized == ["hook", "what", "outro"]
    words = [w.text.lower().strip(".,!") for w in first.words]
    assert "tiny" in words and "script" in words and "watching" in words
    assert [w.start for w in first.words] == sorted(w.start for w in first.words)
    before = _relative(first, narration)
    assert set(before) == {"hook", "what", "outro"}

    again = recognize_scenes(asr, narration, store)
    assert again.recognized == [] and again.words == first.words

    edited = narrate(
        _scenes("It now reads every file of the code, twice over, and then it writes."),
        tmp_path / "b",
        tts,
        cache_dir=tts_cache,
        frame_rate=FPS,
    )
    shift = edited.scenes[2].offset_s - narration.scenes[2].offset_s
    assert shift > 0.3  # the later scene moved ...
    assert shift * FPS == pytest.approx(round(shift * FPS), abs=1e-6)  # ... by whole frames
    after = recognize_scenes(asr, edited, store)
    assert after.recognized == ["what"] and not after.whole_track
    now = _relative(after, edited)
    assert now["hook"] == before["hook"]
    assert now["outro"] == before["outro"]  # same timings relative to the scene
    assert now["what"] != before["what"]  # the edited scene was heard anew
    assert len(now["what"]) > len(before["what"])  # (its new text is longer)

    # no store: recognised afresh, nothing written
    fresh = recognize_scenes(asr, edited, None)
    assert fresh.recognized == ["hook", "what", "outro"]
    assert len(list(store.iterdir())) == 4  # three scenes, then the edited one
