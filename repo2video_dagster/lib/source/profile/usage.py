"""How to install and use the project, from the README's code blocks (or an examples folder)."""

from __future__ import annotations

import re

from repo2video_dagster.lib.core.records import CodeSnippet, RepoSnapshot
from repo2video_dagster.lib.source.profile.code_sample import skip_header, trim_code
from repo2video_dagster.lib.source.profile.files import CheckoutScan, dedupe
from repo2video_dagster.lib.source.profile.languages import PYGMENTS_NAMES
from repo2video_dagster.lib.source.profile.manifests import Manifests
from repo2video_dagster.lib.source.profile.markdown import Block, plain_text
from repo2video_dagster.lib.source.profile.readme import README_RE, sections_under
from repo2video_dagster.lib.source.profile.walk import read_text

USAGE_LINES = 14


_FENCE_ALIASES = {
    "py": "python",
    "python3": "python",
    "py3": "python",
    "pycon": "pycon",
    "sh": "bash",
    "shell": "bash",
    "zsh": "bash",
    "shellscript": "bash",
    "console": "console",
    "shell-session": "console",
    "terminal": "console",
    "cmd": "bash",
    "js": "javascript",
    "node": "javascript",
    "jsx": "jsx",
    "ts": "typescript",
    "tsx": "tsx",
    "rs": "rust",
    "golang": "go",
    "yml": "yaml",
    "c++": "cpp",
    "cs": "csharp",
    "c#": "csharp",
    "rb": "ruby",
    "kt": "kotlin",
    "ps1": "powershell",
    "dockerfile": "docker",
}


_INSTALL_HEAD = re.compile(r"install|getting started|get started|set ?up|quick ?start", re.I)
_USAGE_HEAD = re.compile(r"usage|example|how to use|tutorial|demo|basic use|hello world", re.I)
_USAGE_HEAD_WEAK = re.compile(r"quick ?start|getting started|get started|\brun|\busing\b", re.I)
_INSTALL_CMD = re.compile(
    r"^(?:sudo\s+)?(?:python3?\s+-m\s+)?"
    r"(pip3?|pipx|uv|poetry|npm|yarn|pnpm|bun|cargo|go|brew|apt|apt-get|gem|composer|conda|"
    r"mamba|docker|dnf|yum|pacman|snap|git|deno|dotnet)\s+"
    r"(?:tool\s+|pip\s+|global\s+)?(install|add|get|i|pull|require|clone)\b"
)
_PROMPT = re.compile(r"^\s*(?:\$|%|>|PS>|❯)\s+")


def _command_lines(code: str) -> list[str]:
    lines = []
    for raw in code.splitlines():
        line = _PROMPT.sub("", raw).strip()
        if line and not line.startswith("#") and not line.endswith("\\"):
            lines.append(line)
    return lines


def _install_lines(code: str) -> list[str]:
    return [line for line in _command_lines(code) if _INSTALL_CMD.match(line) and len(line) <= 80]


def install_commands(
    blocks: list[Block], manifests: Manifests, snapshot: RepoSnapshot
) -> list[str]:
    """Up to three install commands: from an install section, any code block, else a guess."""
    found: list[str] = []
    for section in sections_under(blocks, _INSTALL_HEAD):
        for block in section:
            if block.kind == "code":
                found += _install_lines(block.text)
    if not found:
        for block in blocks:
            if block.kind == "code":
                found += _install_lines(block.text)
    if not found:
        found = manifests.install_guess()
        if not found and snapshot.source.kind != "local":
            web = snapshot.source.web_url or snapshot.source.url
            found = [f"git clone {web}"]
    return [line for line in dedupe(found) if len(line) <= 80][:3]


def _lead_in(blocks: list[Block], index: int) -> str:
    """The short paragraph right before a README code block that introduces it, if there is one.

    Only a sentence that reads as an introduction (one sentence ending in a colon, at
    most 20 words) is kept: it tells the viewer what the example does in the
    project's own words.
    """
    if index <= 0 or blocks[index - 1].kind != "para":
        return ""
    text = " ".join(plain_text(blocks[index - 1].text).split())
    if not text.endswith(":") or len(text.split()) > 20 or ". " in text:
        return ""
    return text[:-1].rstrip() + "."


def usage_example(
    blocks: list[Block], scan: CheckoutScan, primary: str | None, limit: int
) -> CodeSnippet | None:
    """The README code block that best shows the project in use, else an example file."""

    def usable(block: Block) -> bool:
        if block.kind != "code" or not block.text.strip():
            return False
        commands = _command_lines(block.text)
        installs = [c for c in commands if _INSTALL_CMD.match(c)]
        return not commands or len(installs) < len(commands)

    # Score every usable block: a usage/example section beats a quick-start one,
    # a "hero" example above the first section counts too, and real code (a
    # language other than shell, a few lines long) beats a one-line command.
    scored: list[tuple[int, int, Block, str]] = []
    stack: list[tuple[int, str]] = []
    in_sections = False
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            stack = [h for h in stack if h[0] < block.level] + [
                (block.level, plain_text(block.text))
            ]
            in_sections = in_sections or block.level >= 2 or index > 0
            continue
        if not usable(block):
            continue
        titles = " ".join(title for _, title in stack[1:] or stack)
        score = 0
        if _USAGE_HEAD.search(titles):
            score += 3
        elif _USAGE_HEAD_WEAK.search(titles):
            score += 2
        elif not in_sections or not stack or stack[-1][0] == 1:
            score += 1
        language = _fence_language(block.info, block.text)
        lines = sum(1 for line in block.text.splitlines() if line.strip())
        if language not in ("bash", "console", "text", "powershell") and lines >= 2:
            score += 2
        if lines >= 3:
            score += 1
        scored.append((score, -index, block, language))
    if scored:
        _, neg_index, block, language = max(scored, key=lambda item: (item[0], item[1]))
        return CodeSnippet(
            code=trim_code(block.text, USAGE_LINES),
            language=language,
            source=_readme_name(scan),
            start_line=1,
            lead=_lead_in(blocks, -neg_index),
        )
    examples = [
        f
        for f in scan.files
        if f.language and f.parts[0].lower() in ("examples", "example") and not f.skipped_dir
    ]
    examples.sort(key=lambda f: (f.language != primary, len(f.parts), f.rel))
    for f in examples:
        text = read_text(scan.root, f.rel, limit)
        if text and text.strip():
            code, start = skip_header(text)
            return CodeSnippet(
                code=trim_code(code, USAGE_LINES),
                language=PYGMENTS_NAMES.get(f.language or "", "text"),
                source=f.display,
                start_line=start,
            )
    return None


def _readme_name(scan: CheckoutScan) -> str:
    return next((f.display for f in scan.files if README_RE.match(f.name)), "README")


def _fence_language(info: str, code: str) -> str:
    alias = _FENCE_ALIASES.get(info, info)
    if not alias:
        lines = [ln for ln in code.splitlines() if ln.strip()]
        if (
            lines
            and all(_PROMPT.match(ln) or not ln.startswith(" ") for ln in lines[:1])
            and any(_PROMPT.match(ln) for ln in lines)
        ):
            return "console"
        if lines and all(_INSTALL_CMD.match(_PROMPT.sub("", ln).strip()) for ln in lines):
            return "bash"
        return "text"
    return alias if _pygments_knows(alias) else "text"


def _pygments_knows(alias: str) -> bool:
    try:
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound
    except ImportError:  # pragma: no cover - pygments is a dependency
        return True
    try:
        get_lexer_by_name(alias)
    except ClassNotFound:
        return False
    return True
