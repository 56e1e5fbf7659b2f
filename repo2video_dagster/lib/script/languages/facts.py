"""The facts a localized script speaks about, read once from the profile.

Only language-neutral facts: names, counts, dates, the parts of the code. Text the
README wrote in its own language (the pitch, the problem, features, picture
captions) is not read aloud in another language: the slide shows it, and the
narration says what it is. Nothing here is translated or guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from repo2video_dagster.lib.core.records import RepoProfile
from repo2video_dagster.lib.script.slide_data import best_image
from repo2video_dagster.lib.script.spoken.identifiers import speak_name
from repo2video_dagster.lib.script.template.phrasing import (
    spoken_dependency,
    spoken_license,
    spoken_module,
)
from repo2video_dagster.lib.script.template.scenes import _TOOLS

__all__ = ["Facts", "facts_of"]


@dataclass
class Facts:
    name: str
    """The repository's name as spoken."""
    owner: str | None
    primary: str | None
    entirely: bool
    files: int
    lines: int
    shares: list[tuple[str, float]] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    """The main modules, spoken, in the order the slide shows them."""
    graph: bool = False
    hub: tuple[str, int] | None = None
    deps: list[str] = field(default_factory=list)
    deps_total: int = 0
    tool: str | None = None
    """The install tool (pip, npm...) when the README gives install steps."""
    install_steps: int = 0
    commits: int = 0
    people: int = 0
    truncated: bool = False
    first: str | None = None
    last: str | None = None
    stars: int | None = None
    forks: int | None = None
    license: str | None = None
    has_readme: bool = True
    has_features: bool = False
    """The README lists features (the slide shows them)."""
    has_tests: bool = False
    has_docs: bool = False
    logo: bool = False
    usage_from_readme: bool = False
    code_file: str | None = None


def facts_of(profile: RepoProfile) -> Facts:
    parts: list[str] = []
    graph = profile.architecture or {}
    nodes = [str(n["name"]) for n in graph.get("nodes") or []]
    for module in nodes if len(nodes) >= 3 else profile.modules:
        spoken = spoken_module(module)
        if spoken and spoken not in parts:
            parts.append(spoken)
    imported: dict[str, int] = {}
    for _a, b in graph.get("edges") or []:
        imported[b] = imported.get(b, 0) + 1
    hub = None
    if imported:
        top = max(imported, key=lambda n: (imported[n], n))
        if imported[top] >= 2:
            hub = (spoken_module(top), imported[top])
    deps: list[str] = []
    for names in profile.dependencies.values():
        for dep in names:
            spoken = spoken_dependency(dep)
            if spoken and spoken not in deps:
                deps.append(spoken)
    tool = None
    if profile.install_commands:
        first = profile.install_commands[0].strip().lstrip("$ ").split()
        tool = _TOOLS.get(first[0], None) if first else None
        if tool == "the go tool":  # English words; the command's own name reads in any language
            tool = "go"
    top = [t.rstrip("/").lower() for t in profile.top_level]
    picture = best_image(profile)
    lead = profile.languages[0] if profile.languages else None
    history = profile.history
    return Facts(
        name=speak_name(profile.name) or profile.name,
        owner=profile.full_name.split("/")[0] if "/" in profile.full_name else None,
        primary=lead.name if lead else None,
        entirely=bool(lead and lead.share >= 0.995),
        files=sum(lang.files for lang in profile.languages) or profile.total_files,
        lines=profile.total_lines,
        shares=[(lang.name, lang.share) for lang in profile.languages[:3]],
        parts=parts[:5],
        graph=len(nodes) >= 3,
        hub=hub,
        deps=deps[:3],
        deps_total=len(deps),
        tool=tool,
        install_steps=len(profile.install_commands),
        commits=history.commits,
        people=history.people,
        truncated=history.truncated,
        first=history.first_commit,
        last=history.last_commit,
        stars=profile.stars,
        forks=profile.forks,
        license=spoken_license(profile.license) if profile.license else None,
        has_readme=profile.readme_path is not None,
        has_features=bool(profile.features),
        has_tests=any(n in ("test", "tests", "spec", "__tests__") for n in top),
        has_docs=any(n in ("docs", "doc", "documentation") for n in top),
        logo=bool(picture and "logo" in picture.path.lower()),
        usage_from_readme=bool(profile.usage and profile.usage.source.lower().startswith("readme")),
        code_file=_file_name(profile.code_sample.source) if profile.code_sample else None,
    )


def _file_name(source: str) -> str | None:
    name = source.rsplit("/", 1)[-1]
    stem = re.sub(r"\.\w+$", "", name)
    return spoken_module(stem) if stem else None
