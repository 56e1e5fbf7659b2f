"""The languages a video can be narrated or subtitled in, one small module each.

- :mod:`.base`: :class:`~.base.Language` (lists, numbers, plurals, dates per language).
- :mod:`.facts`: the language-neutral facts a localized script speaks about.
- :mod:`.en`, :mod:`.es`, :mod:`.de`, :mod:`.fr`, :mod:`.pt`: each language's phrases.
- :mod:`.plan`: which languages a repository gets (``REPO2VIDEO_LANGUAGES``, overrides).
- :mod:`.localize`: a script in another language with the default script's scenes.
"""

from __future__ import annotations

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.script.languages import de, en, es, fr, pt
from repo2video_dagster.lib.script.languages.base import Language

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Language", "get_language"]

DEFAULT_LANGUAGE = "en"
LANGUAGES: dict[str, Language] = {m.LANGUAGE.code: m.LANGUAGE for m in (en, es, de, fr, pt)}


def get_language(code: str) -> Language:
    """The language for an ISO code (``es``, ``pt-BR`` is ``pt``); an unknown one is a
    one-line :class:`UserError` naming the supported codes."""
    base = code.strip().lower().replace("_", "-").split("-")[0]
    language = LANGUAGES.get(base)
    if language is None:
        raise UserError(
            f"language {code!r} is not supported (supported: {', '.join(LANGUAGES)})",
            hint="set REPO2VIDEO_LANGUAGES to a comma list of those codes, for example en,es",
        )
    return language
