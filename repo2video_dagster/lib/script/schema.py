"""The rules every video script obeys, whoever wrote it.

Both writers (the offline template and the LLM) go through the same checks, so
the later stages (speech, captions, slides) can rely on a script's shape: 6-9
scenes with unique ids, short speakable narration, known slide layouts. Slide
data is never taken from a writer: :func:`validate_script` fills it from the
profile with :func:`~repo2video_dagster.lib.script.slide_data.fill_visual`.
"""

from __future__ import annotations

import re
from typing import Any

from repo2video_dagster.lib.core.errors import ScriptError
from repo2video_dagster.lib.core.records import (
    RepoProfile,
    Scene,
    VideoScript,
    VisualSpec,
    to_jsonable,
)
from repo2video_dagster.lib.script.formatting import clip_heading
from repo2video_dagster.lib.script.slide_data import ALLOWED_KINDS, fill_visual
from repo2video_dagster.lib.script.spoken.clean import clean_for_speech

__all__ = [
    "MIN_SCENES",
    "MAX_SCENES",
    "validate_script",
    "check_script",
    "script_to_json",
    "script_from_json",
    "normalise_tags",
]

MIN_SCENES = 6
MAX_SCENES = 9
MAX_NARRATION_CHARS = 600
MIN_WORDS = 60
MAX_WORDS = 260
MAX_TITLE_CHARS = 100
MAX_TAGS = 15


def normalise_tags(tags: list[str]) -> list[str]:
    """Lowercase, trimmed, unique (first wins), at most :data:`MAX_TAGS`."""
    out: list[str] = []
    for tag in tags:
        tag = re.sub(r"\s+", " ", str(tag)).strip().strip("#").lower()
        if tag and len(tag) <= 40 and tag not in out:
            out.append(tag)
    return out[:MAX_TAGS]


# --- validation --------------------------------------------------------------------

_ID_RE = re.compile(r"[^a-z0-9_-]+")


class _Invalid(Exception):
    """First problem found in a script; turned into one ScriptError line."""


def _get_visual(raw: dict[str, Any], index: int) -> tuple[str, str]:
    """Accept ``visual: {kind, heading}``, ``visual: "kind"`` or ``kind`` on the scene."""
    visual = raw.get("visual", raw.get("kind"))
    heading = raw.get("heading")
    if isinstance(visual, dict):
        kind = visual.get("kind") or visual.get("type") or visual.get("layout")
        heading = visual.get("heading") or heading
    else:
        kind = visual
    if not isinstance(kind, str) or not kind.strip():
        raise _Invalid(f"scene {index} has no visual kind")
    kind = kind.strip().lower()
    if kind not in ALLOWED_KINDS:
        raise _Invalid(
            f"scene {index} has visual kind {kind[:30]!r}, not one of {', '.join(ALLOWED_KINDS)}"
        )
    return kind, heading if isinstance(heading, str) else ""


def _scene(raw: Any, index: int, profile: RepoProfile, seen: set[str]) -> Scene:
    if not isinstance(raw, dict):
        raise _Invalid(f"scene {index} is not an object")
    scene_id = raw.get("id")
    if not isinstance(scene_id, str) or not _ID_RE.sub("", scene_id.strip().lower()):
        raise _Invalid(f"scene {index} has no id")
    scene_id = _ID_RE.sub("_", scene_id.strip().lower()).strip("_")[:40]
    if scene_id in seen:
        raise _Invalid(f"scene {index} repeats the id {scene_id!r}")
    seen.add(scene_id)
    narration = raw.get("narration")
    if not isinstance(narration, str) or not narration.strip():
        raise _Invalid(f"scene {index} has no narration")
    narration = clean_for_speech(narration)
    if not narration:
        raise _Invalid(f"scene {index} has no speakable narration")
    if len(narration) > MAX_NARRATION_CHARS:
        raise _Invalid(
            f"scene {index} narration has {len(narration)} characters (at most {MAX_NARRATION_CHARS})"
        )
    kind, heading = _get_visual(raw, index)
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        title = heading or scene_id.replace("_", " ").title()
    title = clip_heading(title)
    visual = fill_visual(kind, heading or title, profile, scene_id=scene_id)
    return Scene(id=scene_id, title=title, narration=narration, visual=visual)


def _validate(obj: Any, profile: RepoProfile) -> VideoScript:
    if not isinstance(obj, dict):
        raise _Invalid("the answer is not a JSON object")
    title = obj.get("title")
    if not isinstance(title, str) or not title.strip():
        raise _Invalid("title is missing")
    title = re.sub(r"\s+", " ", title).strip()
    if len(title) > MAX_TITLE_CHARS:
        raise _Invalid(f"title has {len(title)} characters (at most {MAX_TITLE_CHARS})")
    tags = obj.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _Invalid("tags is not a list of strings")
    description = obj.get("description")
    if description is None:
        description = profile.description
    if not isinstance(description, str):
        raise _Invalid("description is not a string")
    scenes_raw = obj.get("scenes")
    if not isinstance(scenes_raw, list):
        raise _Invalid("scenes is not a list")
    if not MIN_SCENES <= len(scenes_raw) <= MAX_SCENES:
        raise _Invalid(f"it has {len(scenes_raw)} scenes (need {MIN_SCENES} to {MAX_SCENES})")
    seen: set[str] = set()
    scenes = [_scene(raw, i, profile, seen) for i, raw in enumerate(scenes_raw, start=1)]
    script = VideoScript(
        title=title,
        description=description.strip(),
        tags=normalise_tags(tags),
        scenes=scenes,
        writer=str(obj.get("writer") or "llm"),
    )
    words = script.word_count
    if not MIN_WORDS <= words <= MAX_WORDS:
        raise _Invalid(f"narration has {words} words in total (need {MIN_WORDS} to {MAX_WORDS})")
    return script


def validate_script(
    obj: Any,
    *,
    profile: RepoProfile,
    label: str = "LLM script",
    hint: str | None = "try again, or use the template writer",
) -> VideoScript:
    """Check a writer's JSON and build the script, with slide data from ``profile``.

    Narration is cleaned for speech before it is measured, so limits apply to
    what is actually spoken. Raises :class:`ScriptError` naming the first problem.
    """
    try:
        return _validate(obj, profile)
    except _Invalid as err:
        raise ScriptError(f"{label} invalid: {err}", hint=hint) from None


def check_script(script: VideoScript, *, label: str = "template script") -> None:
    """Apply the same rules to a script built in code (the template writer's self-check)."""
    problem: str | None = None
    ids = [s.id for s in script.scenes]
    if not MIN_SCENES <= len(script.scenes) <= MAX_SCENES:
        problem = f"it has {len(script.scenes)} scenes (need {MIN_SCENES} to {MAX_SCENES})"
    elif len(set(ids)) != len(ids):
        problem = "scene ids repeat"
    elif not script.title.strip() or len(script.title) > MAX_TITLE_CHARS:
        problem = "title is empty or too long"
    elif not MIN_WORDS <= script.word_count <= MAX_WORDS:
        problem = f"narration has {script.word_count} words (need {MIN_WORDS} to {MAX_WORDS})"
    else:
        for i, scene in enumerate(script.scenes, start=1):
            if not scene.narration.strip() or len(scene.narration) > MAX_NARRATION_CHARS:
                problem = f"scene {i} narration is empty or too long"
            elif scene.visual.kind not in ALLOWED_KINDS:
                problem = f"scene {i} has visual kind {scene.visual.kind!r}"
            if problem:
                break
    if problem:
        raise ScriptError(f"{label} invalid: {problem}", hint="this is a bug, please report it")


# --- JSON --------------------------------------------------------------------------


def script_to_json(script: VideoScript) -> dict[str, Any]:
    """Plain JSON-compatible dict (for files, Dagster metadata and caching)."""
    return to_jsonable(script)


def script_from_json(obj: dict[str, Any]) -> VideoScript:
    """Inverse of :func:`script_to_json`; trusts the data (use validate_script for LLM output)."""
    try:
        scenes = [
            Scene(
                id=s["id"],
                title=s["title"],
                narration=s["narration"],
                visual=VisualSpec(kind=s["visual"]["kind"], data=dict(s["visual"].get("data", {}))),
            )
            for s in obj["scenes"]
        ]
        return VideoScript(
            title=obj["title"],
            description=obj.get("description", ""),
            tags=list(obj.get("tags", [])),
            scenes=scenes,
            writer=obj.get("writer", "template"),
        )
    except (KeyError, TypeError) as err:
        raise ScriptError(
            f"stored script is malformed (missing {err})", hint="delete it and render again"
        ) from None
