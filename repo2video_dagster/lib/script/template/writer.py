"""The template writer: scenes drafted, cut to length, checked, with title and tags.

``TemplateWriter().write(profile)`` is the default script writer; see the
package docstring for why it is rule-based and deterministic.
"""

from __future__ import annotations

import logging
import re

from repo2video_dagster.lib.core.records import RepoProfile, Scene, VideoScript, format_share
from repo2video_dagster.lib.script.formatting import clip_heading
from repo2video_dagster.lib.script.schema import MAX_TITLE_CHARS, check_script, normalise_tags
from repo2video_dagster.lib.script.slide_data import fill_visual
from repo2video_dagster.lib.script.template.draft import fit_scene_count, fit_words
from repo2video_dagster.lib.script.template.phrasing import plural, spoken_dependency
from repo2video_dagster.lib.script.template.scenes import draft_scenes

logger = logging.getLogger(__name__)

__all__ = ["TemplateWriter"]


class TemplateWriter:
    """Deterministic script from facts: ``TemplateWriter().write(profile)``."""

    name = "template"

    def write(self, profile: RepoProfile) -> VideoScript:
        drafts = fit_scene_count(draft_scenes(profile))
        fit_words(drafts)
        script = VideoScript(
            title=self._title(profile),
            description=self._video_description(profile),
            tags=self._tags(profile),
            scenes=[
                Scene(
                    id=d.id,
                    title=clip_heading(d.title),
                    narration=" ".join(s for s, _ in d.parts),
                    visual=fill_visual(d.kind, d.heading, profile, scene_id=d.id),
                )
                for d in drafts
            ],
            writer=self.name,
        )
        check_script(script)
        logger.info(
            "template script for %s: %d scenes, %d words",
            profile.full_name,
            len(script.scenes),
            script.word_count,
        )
        return script

    # --- metadata -----------------------------------------------------------------

    @staticmethod
    def _title(profile: RepoProfile) -> str:
        suffix = " in 60 seconds"
        name = profile.name
        if len(name) + len(suffix) > MAX_TITLE_CHARS:
            name = name[: MAX_TITLE_CHARS - len(suffix) - 1].rstrip("-_. ") + "…"
        return name + suffix

    @staticmethod
    def _video_description(profile: RepoProfile) -> str:
        intro = re.sub(r"\s+", " ", profile.description or "").strip()
        if intro and intro[-1] not in ".!?。！？":
            intro += "."
        tour = (
            f"A one-minute tour of {profile.full_name}: how to install and use it, "
            "how the code is organised, and who works on it."
        )
        facts = []
        if profile.languages:
            facts.append(
                "Languages: "
                + ", ".join(
                    f"{lang.name} {format_share(lang.share)}" for lang in profile.languages[:3]
                )
            )
        facts.append(f"License: {profile.license or 'none found'}")
        facts.append(f"{profile.history.commits:,} {plural('commit', profile.history.commits)}")
        if profile.stars is not None:
            facts.append(f"{profile.stars:,} stars")
        text = f"{intro} {tour}".strip()
        return f"{text}\n\n" + " · ".join(facts)

    @staticmethod
    def _tags(profile: RepoProfile) -> list[str]:
        tags = [lang.name for lang in profile.languages[:3]]
        tags += profile.topics
        for names in profile.dependencies.values():
            tags += [spoken_dependency(d).replace(" dot ", ".") for d in names[:3]]
        tags.append(profile.name)
        return normalise_tags(tags)
