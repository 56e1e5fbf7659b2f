"""Recognised words per scene, kept across renders.

Whisper's word timings depend on where a word falls in its 30-second windows, so
recognising the whole track again after one scene changed moves every later
word by a few milliseconds: enough to change which frame a highlight starts on,
and so the frames, and the encoded video chunks, of every later scene. Words
are therefore stored per scene, relative to the scene's start, under a key of
what shaped that scene's speech (text, engine, voice) and the recogniser. A
render recognises only the scenes that have no stored words: in one pass over
the whole track when most scenes are new (one pass beats many short ones), else
each new scene's own WAV.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from repo2video_dagster.lib.core.records import Narration, SceneAudio
from repo2video_dagster.lib.core.reuse import file_digest, fingerprint
from repo2video_dagster.lib.speech.asr import AsrEngine, RecognizedWord

log = logging.getLogger(__name__)


@dataclass
class SceneRecognition:
    words: list[RecognizedWord]
    """Every scene's words, on the track's timeline."""
    recognized: list[str]
    """Scene ids recognised in this call (the others came from the store)."""
    whole_track: bool
    """Whether the recognition ran over the whole track (else scene by scene)."""


def _scene_key(scene: SceneAudio, asr: AsrEngine, language: str | None) -> str:
    # Older narrations have no speech key: the WAV's content stands in for it.
    speech = scene.speech_key or file_digest(Path(scene.wav_path))
    return fingerprint("scene-words", 1, asr.name, asr.model, language, speech)


def _load(path: Path) -> list[RecognizedWord] | None:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [RecognizedWord(**row) for row in rows]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as err:  # a damaged entry is redone
        log.warning("ignoring unreadable stored words %s: %s", path, err)
        return None


def _store(path: Path, words: list[RecognizedWord]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps([asdict(w) for w in words]), encoding="utf-8")
        tmp.replace(path)
    except OSError as err:
        log.warning("cannot store recognised words %s: %s", path, err)


def _shift(words: list[RecognizedWord], by: float) -> list[RecognizedWord]:
    return [RecognizedWord(w.text, w.start + by, w.end + by, w.probability) for w in words]


def _split_by_scene(
    words: list[RecognizedWord], scenes: list[SceneAudio]
) -> dict[str, list[RecognizedWord]]:
    """Each word to the scene its middle falls in, relative to that scene's start."""
    out: dict[str, list[RecognizedWord]] = {s.scene_id: [] for s in scenes}
    starts = [s.offset_s for s in scenes]
    for word in words:
        middle = (word.start + word.end) / 2
        index = max(0, sum(1 for start in starts if start <= middle) - 1)
        scene = scenes[index]
        out[scene.scene_id].extend(_shift([word], -scene.offset_s))
    return out


def recognize_scenes(
    asr: AsrEngine,
    narration: Narration,
    store_dir: Path | None,
    *,
    language: str | None = "en",
    per_scene: bool = False,
) -> SceneRecognition:
    """The narration's recognised words, reusing each scene's stored words when its
    speech is unchanged (``store_dir=None``: nothing stored or reused). ``per_scene``:
    always recognise each scene's own WAV, never the whole track in one pass."""
    scenes = narration.scenes
    paths = {
        s.scene_id: store_dir / f"{_scene_key(s, asr, language)}.json" if store_dir else None
        for s in scenes
    }
    relative: dict[str, list[RecognizedWord]] = {}
    for scene in scenes:
        path = paths[scene.scene_id]
        stored = _load(path) if path is not None else None
        if stored is not None:
            relative[scene.scene_id] = stored
    missing = [s for s in scenes if s.scene_id not in relative]
    whole_track = not per_scene and len(missing) * 2 > len(scenes)
    if whole_track:
        split = _split_by_scene(
            asr.transcribe_words(Path(narration.track_path), language=language), scenes
        )
        fresh = {s.scene_id: split[s.scene_id] for s in missing}
    else:
        fresh = {
            s.scene_id: asr.transcribe_words(Path(s.wav_path), language=language) for s in missing
        }
    for scene_id, words in fresh.items():
        relative[scene_id] = words
        path = paths[scene_id]
        if path is not None:
            _store(path, words)
    words = [w for s in scenes for w in _shift(relative[s.scene_id], s.offset_s)]
    return SceneRecognition(words, [s.scene_id for s in missing], whole_track)
