"""Which languages a repository's video comes in, and how.

``REPO2VIDEO_LANGUAGES`` is a comma list of language codes; a code followed by
``:subtitles`` gets subtitles only (no voice), timed to the narrated scenes.
English is the default language: its narration, captions and videos keep their
usual paths and checks; every other spoken language adds a voice, captions and
videos under ``lang/<code>/``. A JSON file (``REPO2VIDEO_LANGUAGE_OVERRIDES``,
default ``<data dir>/languages.json``) may give one repository its own list:
``{"pallets__click": "en,de,fr:subtitles"}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.script.languages import DEFAULT_LANGUAGE, get_language

__all__ = ["LanguagePlan", "parse_languages", "plan_for"]

SUBTITLES_SUFFIX = ":subtitles"


@dataclass(frozen=True)
class LanguagePlan:
    spoken: tuple[str, ...]
    """Narrated languages, the default (``en``) first."""
    subtitles: tuple[str, ...]
    """Subtitle-only languages."""

    @property
    def extra(self) -> tuple[str, ...]:
        """Spoken languages besides the default: the ones the ``languages`` stage renders."""
        return tuple(code for code in self.spoken if code != DEFAULT_LANGUAGE)

    def describe(self) -> str:
        subs = [f"{c}{SUBTITLES_SUFFIX}" for c in self.subtitles]
        return ",".join([*self.spoken, *subs])


def parse_languages(raw: str) -> LanguagePlan:
    """``"en,es,fr:subtitles"`` -> spoken (en, es), subtitles (fr). The default language is
    always spoken (its cut is the one every check and publication uses)."""
    spoken: list[str] = [DEFAULT_LANGUAGE]
    subtitles: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        only_subtitles = item.lower().endswith(SUBTITLES_SUFFIX)
        code = get_language(item[: -len(SUBTITLES_SUFFIX)] if only_subtitles else item).code
        if only_subtitles:
            if code not in spoken and code not in subtitles:
                subtitles.append(code)
        elif code not in spoken:
            spoken.append(code)
            if code in subtitles:
                subtitles.remove(code)
    return LanguagePlan(tuple(spoken), tuple(subtitles))


def plan_for(key: str, default: str, overrides_file: Path | None) -> LanguagePlan:
    """The plan for one repository: its entry in the overrides file, else ``default``."""
    raw = default
    if overrides_file is not None and overrides_file.is_file():
        try:
            table = json.loads(overrides_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise UserError(
                f"cannot read the language overrides {overrides_file}: {err}",
                hint='it must be a JSON object such as {"owner__name": "en,es"}',
            ) from None
        if not isinstance(table, dict):
            raise UserError(
                f"the language overrides {overrides_file} are not a JSON object",
                hint='write it as {"owner__name": "en,es,fr:subtitles"}',
            )
        entry = table.get(key)
        if isinstance(entry, list):
            entry = ",".join(str(e) for e in entry)
        if isinstance(entry, str):
            raw = entry
    return parse_languages(raw)
