"""A script in another language with the default script's scenes and visuals.

The scenes (ids, order, slides) come from the default script, so a language adds
narration and captions but never a new storyboard. The words come from the
language's own phrases (:mod:`.es`, :mod:`.de`...) filled with the profile's facts,
or from the LLM writer asked to write in that language (its narration is taken for
the scenes it returned; the rest keep the phrases).
"""

from __future__ import annotations

from dataclasses import replace

from repo2video_dagster.lib.core.records import RepoProfile, Scene, VideoScript
from repo2video_dagster.lib.script.languages.base import Language
from repo2video_dagster.lib.script.languages.facts import Facts, facts_of

__all__ = ["localize_script", "scene_sentences"]

# Scenes an LLM named its own way are said as the scene their slide kind stands for.
_BY_KIND = {
    "title": "hook",
    "overview": "what",
    "image": "picture",
    "graph": "architecture",
    "tree": "architecture",
    "languages": "languages",
    "command": "install",
    "code": "usage",
    "stats": "activity",
    "outro": "outro",
}


def scene_sentences(scene: Scene, facts: Facts, language: Language) -> list[str]:
    key = scene.id if scene.id in language.scenes else _BY_KIND.get(scene.visual.kind, "what")
    if key == "languages" and not facts.shares:
        key = "what"
    phrases = language.scenes.get(key)
    sentences = phrases(facts, language) if phrases else []
    return [s for s in sentences if s.strip()]


def localize_script(
    base: VideoScript,
    profile: RepoProfile,
    language: Language,
    *,
    written: VideoScript | None = None,
) -> VideoScript:
    """``base``'s scenes said in ``language``. ``written``: a script an LLM wrote in that
    language; its narration and chapter titles replace the phrases scene by scene."""
    facts = facts_of(profile)
    by_id = {s.id: s for s in written.scenes} if written else {}
    scenes: list[Scene] = []
    for scene in base.scenes:
        llm = by_id.get(scene.id)
        narration = llm.narration.strip() if llm else ""
        if not narration:
            narration = " ".join(scene_sentences(scene, facts, language))
        title = llm.title if llm and llm.title else language.heading(scene.id, scene.title)
        scenes.append(replace(scene, title=title, narration=narration))
    description = written.description if written else ""
    if not description and language.description:
        description = language.description(facts, language)
    return VideoScript(
        title=(written.title if written else "") or language.title(profile.name),
        description=description,
        tags=list(base.tags),
        scenes=scenes,
        writer=f"{written.writer if written else 'template'}:{language.code}",
    )
