"""The rules every video script obeys, whoever wrote it.

Both writers (the offline template and the LLM) go through the same checks, so
the later stages (speech, captions, slides) can rely on a script's shape: 6-9
scenes with unique ids, short speakable narration, known slide layouts.

Slide *data* never comes from a writer's imagination: :func:`fill_visual` builds
it from the :class:`RepoProfile` alone (real snippets, the real tree, measured
numbers). A writer only picks the layout and the heading. That is what keeps an
LLM from putting invented code or statistics on screen.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any, get_args

from repo2video_dagster.lib.core.errors import ScriptError
from repo2video_dagster.lib.core.records import (
    RepoProfile,
    Scene,
    VideoScript,
    VisualKind,
    VisualSpec,
    dependency_name,
    to_jsonable,
)
from repo2video_dagster.lib.script.spoken import clean_for_speech

logger = logging.getLogger(__name__)

__all__ = [
    "ALLOWED_KINDS",
    "MIN_SCENES",
    "MAX_SCENES",
    "fill_visual",
    "validate_script",
    "check_script",
    "clip_heading",
    "script_to_json",
    "script_from_json",
    "normalise_tags",
    "format_count",
    "month_year",
    "short_date",
]

ALLOWED_KINDS: tuple[str, ...] = get_args(VisualKind)
MIN_SCENES = 6
MAX_SCENES = 9
MAX_NARRATION_CHARS = 600
MIN_WORDS = 60
MAX_WORDS = 260
MAX_TITLE_CHARS = 100
MAX_TAGS = 15
MAX_HEADING_CHARS = 60

# On-screen limits: a slide shows a glanceable excerpt, not a file.
MAX_CODE_LINES = 16
MAX_CODE_COLS = 100
MAX_TREE_LINES = 18
MAX_COMMANDS = 4
MAX_LANGUAGES = 6
MAX_BULLETS = 5

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def format_count(n: int, *, approx: bool = True) -> str:
    """A count as written in narration: ``1,234``, ``about 12 thousand``, ``about 1.5 million``."""
    if n < 10_000 or not approx:
        return f"{n:,}"
    if n < 1_000_000:
        return f"about {round(n / 1000):,} thousand"
    millions = round(n / 1_000_000, 1)
    text = f"{millions:.1f}".removesuffix(".0")
    return f"about {text} million"


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except ValueError:
        match = re.match(r"(\d{4})-(\d{2})", value.strip())
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), 1)
            except ValueError:
                return None
    return None


def month_year(value: str | None) -> str | None:
    """``2021-03-14T10:00:00+00:00`` -> ``March 2021`` (for narration)."""
    parsed = _parse_date(value)
    return f"{_MONTHS[parsed.month - 1]} {parsed.year}" if parsed else None


def short_date(value: str | None) -> str | None:
    """``2021-03-14...`` -> ``Mar 2021`` (for slides)."""
    parsed = _parse_date(value)
    return f"{_MONTHS[parsed.month - 1][:3]} {parsed.year}" if parsed else None


def normalise_tags(tags: list[str]) -> list[str]:
    """Lowercase, trimmed, unique (first wins), at most :data:`MAX_TAGS`."""
    out: list[str] = []
    for tag in tags:
        tag = re.sub(r"\s+", " ", str(tag)).strip().strip("#").lower()
        if tag and len(tag) <= 40 and tag not in out:
            out.append(tag)
    return out[:MAX_TAGS]


def _truncate(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


def clip_heading(text: str) -> str:
    """A chapter title or slide heading, cut to fit one line."""
    return _truncate(text, MAX_HEADING_CHARS)


def _clip_code(code: str) -> str:
    lines = code.expandtabs(4).rstrip().split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    clipped = [
        line if len(line) <= MAX_CODE_COLS else line[: MAX_CODE_COLS - 1] + "…"
        for line in lines[:MAX_CODE_LINES]
    ]
    if len(lines) > MAX_CODE_LINES:
        clipped.append("…")
    return "\n".join(clipped)


def _overview_bullets(profile: RepoProfile) -> list[str]:
    bullets: list[str] = []
    if profile.languages:
        # Traces (a 0.2 % Makefile) are not what a project is "written in".
        shown = [profile.languages[0]] + [x for x in profile.languages[1:3] if x.share >= 0.01]
        bullets.append("Written in " + ", ".join(lang.name for lang in shown))
    # The same count the narration says: source files, not README/LICENSE/configs.
    code_files = sum(lang.files for lang in profile.languages)
    files = f"{code_files:,} source files" if code_files else f"{profile.total_files:,} files"
    bullets.append(f"{files} · {profile.total_lines:,} lines")
    if profile.entry_points:
        bullets.append("Run: " + ", ".join(profile.entry_points[:3]))
    deps = _top_dependencies(profile, 4)
    if deps:
        bullets.append("Uses " + ", ".join(deps))
    bullets.append(f"License: {profile.license}" if profile.license else "No license file found")
    return [_truncate(b, 70) for b in bullets[:MAX_BULLETS]]


def _top_dependencies(profile: RepoProfile, limit: int) -> list[str]:
    names: list[str] = []
    for deps in profile.dependencies.values():
        for dep in deps:
            name = dependency_name(dep)
            if name not in names:
                names.append(name)
    return names[:limit]


def _install_commands(profile: RepoProfile) -> list[str]:
    if profile.install_commands:
        return [_truncate(c, 80) for c in profile.install_commands[:MAX_COMMANDS]]
    homepage = profile.homepage or ""
    clone = f"git clone {homepage}" if re.match(r"https?://\S+$", homepage) else "git clone <url>"
    return [clone, f"cd {profile.name}"]


def _stats(profile: RepoProfile) -> list[dict[str, str]]:
    history = profile.history
    plus = "+" if history.truncated else ""
    stats = [{"label": "Commits", "value": f"{history.commits:,}{plus}"}]
    if history.people:
        stats.append({"label": "Contributors", "value": f"{history.people:,}{plus}"})
    first, last = short_date(history.first_commit), short_date(history.last_commit)
    if first:
        stats.append({"label": "First commit", "value": first})
    if last:
        stats.append({"label": "Last commit", "value": last})
    if profile.stars is not None:
        stats.append({"label": "Stars", "value": f"{profile.stars:,}"})
    if profile.forks is not None and len(stats) < 6:
        stats.append({"label": "Forks", "value": f"{profile.forks:,}"})
    for label, value in (("Files", profile.total_files), ("Lines", profile.total_lines)):
        if len(stats) < 6:
            stats.append({"label": label, "value": f"{value:,}"})
    return stats


def _outro_lines(profile: RepoProfile) -> list[str]:
    lines = [profile.full_name]
    if profile.primary_language:
        lines.append(profile.primary_language)
    lines.append(profile.license or "No license file")
    if profile.stars is not None:
        lines.append(f"★ {profile.stars:,}")
    return lines


def _code_snippet(profile: RepoProfile, scene_id: str | None):
    """Usage first for the usage scene, the source excerpt first for any other."""
    if scene_id == "usage":
        return profile.usage or profile.code_sample
    return profile.code_sample or profile.usage


def fill_visual(
    kind: str, heading: str, profile: RepoProfile, *, scene_id: str | None = None
) -> VisualSpec:
    """Slide data for ``kind`` taken from the profile only.

    When the profile has nothing for the layout (no snippet for ``code``, no
    languages for ``languages``) it falls back to a layout that it can fill, so a
    writer's choice never produces an empty or invented slide.
    """
    heading = _truncate(heading or "", MAX_HEADING_CHARS) or profile.name
    if kind == "title":
        badges = [b for b in (profile.primary_language, profile.license) if b]
        if profile.stars is not None:
            badges.append(f"★ {profile.stars:,}")
        return VisualSpec(
            "title",
            {
                "title": profile.name,
                "subtitle": _truncate(profile.description or profile.full_name, 120),
                "badges": badges[:3],
            },
        )
    if kind == "overview":
        return VisualSpec("overview", {"heading": heading, "bullets": _overview_bullets(profile)})
    if kind == "command":
        return VisualSpec("command", {"heading": heading, "commands": _install_commands(profile)})
    if kind == "code":
        snippet = _code_snippet(profile, scene_id)
        if snippet is None or not snippet.code.strip():
            logger.info("no code snippet in the profile; showing the tree instead")
            return fill_visual("tree", heading, profile, scene_id=scene_id)
        return VisualSpec(
            "code",
            {
                "heading": heading,
                "code": _clip_code(snippet.code),
                "language": snippet.language or "text",
                "source": snippet.source,
            },
        )
    if kind == "tree":
        lines = profile.tree or profile.top_level
        if not lines:
            return fill_visual("overview", heading, profile, scene_id=scene_id)
        clipped = lines[:MAX_TREE_LINES] + (["…"] if len(lines) > MAX_TREE_LINES else [])
        return VisualSpec(
            "tree", {"heading": heading, "lines": clipped, "highlights": profile.modules[:4]}
        )
    if kind == "languages":
        if not profile.languages:
            return fill_visual("stats", heading, profile, scene_id=scene_id)
        languages = [
            {"name": lang.name, "share": round(lang.share, 4), "lines": lang.lines}
            for lang in profile.languages[:MAX_LANGUAGES]
        ]
        return VisualSpec("languages", {"heading": heading, "languages": languages})
    if kind == "stats":
        return VisualSpec("stats", {"heading": heading, "stats": _stats(profile)})
    if kind == "outro":
        homepage = profile.homepage if re.match(r"https?://", profile.homepage or "") else None
        return VisualSpec(
            "outro",
            {
                "heading": heading,
                "lines": _outro_lines(profile),
                "url": homepage or profile.full_name,
            },
        )
    raise ScriptError(
        f"unknown slide layout {kind!r}", hint=f"use one of: {', '.join(ALLOWED_KINDS)}"
    )


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
    title = _truncate(title, MAX_HEADING_CHARS)
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
