"""Slide data for each layout, filled from the profile and never from a writer.

Slide *data* never comes from a writer's imagination: :func:`fill_visual` builds
it from the :class:`RepoProfile` alone (real snippets, the real tree, measured
numbers). A writer only picks the layout and the heading. That is what keeps an
LLM from putting invented code or statistics on screen.
"""

from __future__ import annotations

import logging
import re
from typing import get_args

from repo2video_dagster.lib.core.errors import ScriptError
from repo2video_dagster.lib.core.records import (
    CodeSnippet,
    RepoImage,
    RepoProfile,
    VisualKind,
    VisualSpec,
    dependency_name,
)
from repo2video_dagster.lib.script.formatting import MAX_HEADING_CHARS, clip_text, short_date

logger = logging.getLogger(__name__)

__all__ = ["ALLOWED_KINDS", "best_image", "fill_visual"]

ALLOWED_KINDS: tuple[str, ...] = get_args(VisualKind)

# On-screen limits: a slide shows a glanceable excerpt, not a file.
MAX_CODE_LINES = 16
MAX_CODE_COLS = 100
MAX_TREE_LINES = 18
MAX_COMMANDS = 4
MAX_LANGUAGES = 6
MAX_BULLETS = 5


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
    return [clip_text(b, 70) for b in bullets[:MAX_BULLETS]]


def _story_bullets(profile: RepoProfile, scene_id: str | None) -> list[str]:
    """The problem's sentences on the problem scene, the README's features on the "what"
    scene (what the narration speaks there), else the profile's facts."""
    if scene_id == "problem" and profile.problem:
        parts = re.split(r"(?<=[.!?])\s+", profile.problem.strip())
        return [clip_text(p, 110) for p in parts if p][:MAX_BULLETS]
    if scene_id == "what" and profile.features:
        return [clip_text(f, 70) for f in profile.features[:MAX_BULLETS]]
    return _overview_bullets(profile)


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
        commands = [clip_text(c, 80) for c in profile.install_commands[:MAX_COMMANDS]]
        # The command the narration says it runs as ("After that, you run it as mdtoc").
        for entry in profile.entry_points:
            if len(commands) >= MAX_COMMANDS or not re.fullmatch(r"[\w.-]+", entry.strip()):
                break
            if not any(c.split()[:1] == [entry.strip()] for c in commands):
                commands.append(entry.strip())
        return commands
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
    if profile.install_commands:  # the call to action, on screen as it is said
        lines.append("$ " + clip_text(profile.install_commands[0].strip().lstrip("$ "), 44))
    if profile.primary_language:
        lines.append(profile.primary_language)
    lines.append(profile.license or "No license file")
    if profile.stars is not None:
        lines.append(f"★ {profile.stars:,}")
    return lines


def best_image(profile: RepoProfile) -> RepoImage | None:
    """The picture to show: a screenshot or diagram before a logo, README order otherwise."""
    if not profile.images:
        return None
    plain = [i for i in profile.images if "logo" not in i.path.lower()]
    return (plain or profile.images)[0]


def _code_snippet(profile: RepoProfile, scene_id: str | None) -> CodeSnippet | None:
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
    heading = clip_text(heading or "", MAX_HEADING_CHARS) or profile.name
    if kind == "title":
        badges = [b for b in (profile.primary_language, profile.license) if b]
        if profile.stars is not None:
            badges.append(f"★ {profile.stars:,}")
        return VisualSpec(
            "title",
            {
                "title": profile.name,
                "subtitle": clip_text(profile.description or profile.full_name, 160),
                "badges": badges[:3],
            },
        )
    if kind == "overview":
        return VisualSpec(
            "overview", {"heading": heading, "bullets": _story_bullets(profile, scene_id)}
        )
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
    if kind == "graph":
        graph = profile.architecture or {}
        if not graph.get("nodes"):
            return fill_visual("tree", heading, profile, scene_id=scene_id)
        return VisualSpec(
            "graph",
            {
                "heading": heading,
                "root": str(graph.get("root") or ""),
                "nodes": [str(n["name"]) for n in graph["nodes"]],
                "edges": [list(e) for e in graph.get("edges", [])],
            },
        )
    if kind == "image":
        picture = best_image(profile)
        if picture is None:
            return fill_visual("overview", heading, profile, scene_id=scene_id)
        return VisualSpec("image", {"heading": heading, "image": picture.path, "alt": picture.alt})
    raise ScriptError(
        f"unknown slide layout {kind!r}", hint=f"use one of: {', '.join(ALLOWED_KINDS)}"
    )
