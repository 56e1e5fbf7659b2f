"""What the scenes say about a code snippet: where it is from and what it shows.

The slide shows the code itself; the narration adds one fact about it (the
commands it runs, the names it defines, or its size and language) rather than
reading code aloud.
"""

from __future__ import annotations

import re

from repo2video_dagster.lib.core.records import CodeSnippet
from repo2video_dagster.lib.script.spoken.clean import speak_phrase
from repo2video_dagster.lib.script.spoken.identifiers import speak_identifier
from repo2video_dagster.lib.script.template.draft import Draft
from repo2video_dagster.lib.script.template.phrasing import count_noun, spoken_list

__all__ = ["describe_code", "spoken_source"]

_SHELL_ALIASES = {"bash", "sh", "shell", "console", "zsh", "shell-session", "powershell", "bat"}
_LANGUAGE_NAMES = {
    "python": "Python",
    "py": "Python",
    "javascript": "JavaScript",
    "js": "JavaScript",
    "typescript": "TypeScript",
    "ts": "TypeScript",
    "go": "Go",
    "rust": "Rust",
    "java": "Java",
    "ruby": "Ruby",
    "c": "C",
    "cpp": "C++",
    "csharp": "C#",
    "php": "PHP",
    "kotlin": "Kotlin",
    "swift": "Swift",
}

_DEFINITION = re.compile(
    r"^\s*(?:export\s+)?(?:pub(?:\(\w+\))?\s+)?(?:async\s+)?"
    r"(?:def|class|func|fn|function|struct|interface|type|impl)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)",
    re.M,
)


def _language_label(snippet: CodeSnippet) -> str:
    """The snippet's language as a name (``py`` -> ``Python``); empty for plain text."""
    alias = (snippet.language or "").lower()
    return _LANGUAGE_NAMES.get(alias, alias.title() if alias not in ("", "text") else "")


def spoken_source(snippet: CodeSnippet) -> str:
    """Where a snippet comes from, said aloud: ``the README`` or its file name as words."""
    if snippet.source.lower().startswith("readme"):
        return "the README"
    return speak_phrase(f"`{snippet.source}`") or "the source"


def describe_code(draft: Draft, snippet: CodeSnippet, priority: int = 1) -> None:
    """One factual sentence about what the snippet shows (commands or definitions)."""
    language = (snippet.language or "").lower()
    lines = [ln.strip() for ln in snippet.code.splitlines() if ln.strip()]
    if language in _SHELL_ALIASES:
        commands = []
        for line in lines:
            line = line.lstrip("$> ").strip()
            if not line or line.startswith("#"):
                continue
            words = [w for w in line.split() if not w.startswith("-")][:2]
            spoken = speak_phrase(" ".join(f"`{w}`" for w in words))
            if spoken and spoken not in commands:
                commands.append(spoken)
        if commands:
            draft.say(f"It runs {spoken_list(commands[:3])}.", priority=priority)
        return
    names = []
    for match in _DEFINITION.finditer(snippet.code):
        spoken = speak_identifier(match.group(1))
        if spoken not in names:
            names.append(spoken)
    label = _language_label(snippet)
    if names:
        draft.say(f"It defines {spoken_list(names[:3])}.", priority=priority)
    elif label:
        count = count_noun(len(lines), "line", approx=False)
        draft.say(f"It is {count} of {label}.", priority=priority + 1)
