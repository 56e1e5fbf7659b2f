"""Wording helpers for the template writer: variants, lists, counts, names said aloud.

Small rules that many scenes share, so each scene reads as a list of facts
rather than string fiddling.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import PurePosixPath

from repo2video_dagster.lib.core.records import RepoProfile, dependency_name
from repo2video_dagster.lib.script.formatting import format_count
from repo2video_dagster.lib.script.spoken.clean import speak_phrase
from repo2video_dagster.lib.script.spoken.identifiers import speak_identifier
from repo2video_dagster.lib.script.spoken.vocabulary import ACRONYMS

__all__ = [
    "count_noun",
    "pick",
    "plural",
    "spoken_dependency",
    "spoken_license",
    "spoken_list",
    "spoken_module",
    "writing_system",
]

_SPOKEN_LICENSES = {
    "Apache-2.0": "Apache 2.0",
    "GPL-2.0": "GPL version 2",
    "GPL-3.0": "GPL version 3",
    "LGPL-2.1": "LGPL version 2.1",
    "LGPL-3.0": "LGPL version 3",
    "AGPL-3.0": "AGPL version 3",
    "BSD-2-Clause": "two-clause BSD",
    "BSD-3-Clause": "three-clause BSD",
    "MPL-2.0": "Mozilla Public 2.0",
    "Unlicense": "Unlicense",
}


def _seed(profile: RepoProfile, scene_id: str) -> int:
    digest = hashlib.sha256(f"{profile.full_name}\0{scene_id}".encode()).hexdigest()
    return int(digest[:8], 16)


def pick(profile: RepoProfile, scene_id: str, options: list[str]) -> str:
    """A phrasing that is stable for one repository but varies between repositories."""
    return options[_seed(profile, scene_id) % len(options)]


def writing_system(text: str) -> str | None:
    """The writing system of mostly non-Latin text, named for narration (else None)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    scripts: dict[str, int] = {}
    for ch in letters:
        try:
            script = unicodedata.name(ch).split()[0]
        except ValueError:
            script = "UNKNOWN"
        scripts[script] = scripts.get(script, 0) + 1
    if scripts.get("LATIN", 0) >= len(letters) / 2:
        return None
    if scripts.get("HIRAGANA") or scripts.get("KATAKANA"):
        return "Japanese"
    top = max(scripts, key=lambda k: scripts[k])
    return {"CJK": "Chinese", "HANGUL": "Korean"}.get(top, f"{top.title()} script")


def spoken_list(items: list[str]) -> str:
    """``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(noun: str, n: int) -> str:
    """``file`` or ``files``, ``entry`` or ``entries``, by the count."""
    if n == 1:
        return noun
    return noun[:-1] + "ies" if re.search(r"[^aeiou]y$", noun) else noun + "s"


def count_noun(n: int, noun: str, *, approx: bool = True) -> str:
    """``1 file``, ``1,234 commits``, ``about 14 thousand lines``."""
    return f"{format_count(n, approx=approx)} {plural(noun, n)}"


def spoken_module(path: str) -> str:
    """A module path said by its name: ``csv_wrangler/join.py`` -> ``join``."""
    stem = PurePosixPath(path.rstrip("/")).stem or path
    if stem.lower() in ACRONYMS:  # "cli" said "C L I": said as a word it is heard "client"
        return stem.upper()
    return speak_identifier(stem) if re.fullmatch(r"[\w.-]+", stem) else speak_phrase(stem)


def spoken_dependency(dep: str) -> str:
    """A dependency said by the name people use (``github.com/jackc/pgx/v5`` -> ``pgx``)."""
    return speak_phrase(dependency_name(dep))


def spoken_license(spdx: str) -> str:
    """SPDX ids read badly aloud ("BSD dash 3 dash Clause"); say what people say."""
    return _SPOKEN_LICENSES.get(spdx, spdx.replace("-", " "))
