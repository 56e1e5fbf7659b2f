"""A short, representative piece of the project's own code, fitted to a slide."""

from __future__ import annotations

import ast
import os
import re
import textwrap

from repo2video_dagster.lib.core.records import CodeSnippet
from repo2video_dagster.lib.source.profile.files import (
    CheckoutScan,
    ScannedFile,
    is_doc,
    is_hidden,
    is_test,
)
from repo2video_dagster.lib.source.profile.languages import PYGMENTS_NAMES
from repo2video_dagster.lib.source.profile.walk import read_text

SNIPPET_LINES = 16
SNIPPET_COLS = 72


_MAIN_NAMES = {"core", "main", "app", "lib", "cli", "server", "index", "api", "engine", "client"}
_DEF_PATTERNS = {
    "JavaScript": r"^(export\s+)?(default\s+)?(async\s+)?(function\b|class\b)|^(export\s+)?const\s+\w+\s*=\s*(async\s*)?(\(|function)",
    "TypeScript": r"^(export\s+)?(default\s+)?(async\s+)?(function\b|class\b|interface\b)|^(export\s+)?const\s+\w+\s*=\s*(async\s*)?(\(|function)",
    "Go": r"^func\s+(\([^)]*\)\s*)?[A-Z]|^type\s+[A-Z]\w*\s+(struct|interface)",
    "Rust": r"^\s*pub\s+(async\s+)?(fn|struct|enum|trait)\b",
    "Java": r"^\s*public\s+.*\b(class|interface|record|enum)\b|^\s*public\s+.*\(",
    "Kotlin": r"^\s*(public\s+|internal\s+)?(fun|class|object|data class)\b",
    "C#": r"^\s*public\s+.*\b(class|interface|record|struct)\b|^\s*public\s+.*\(",
    "C": r"^[A-Za-z_][\w \t\*]*\b\w+\s*\([^;]*\)\s*\{?\s*$",
    "C++": r"^[A-Za-z_][\w \t\*:<>,&]*\b\w+\s*\([^;]*\)\s*(const\s*)?\{?\s*$|^class\s+\w+",
    "Ruby": r"^\s*(def|class|module)\s",
    "PHP": r"^\s*(public\s+|final\s+|abstract\s+)?(function|class)\s",
    "Shell": r"^\w+\s*\(\)\s*\{|^function\s+\w+",
    "Swift": r"^\s*(public\s+)?(func|class|struct|enum|protocol)\b",
}
_FALLBACK_DEF = r"^\s*(def|fn|func|function|class|pub fn)\b"


def code_sample(scan: CheckoutScan, primary: str | None, limit: int) -> CodeSnippet | None:
    """The best-documented short definition of the main code, else the start of a main file."""
    candidates = [
        f
        for f in scan.files
        if f.language
        and f.lines >= 3
        and not f.skipped_dir
        and not is_test(f)
        and not is_doc(f)
        and not is_hidden(f.parts[:-1])
        and f.language not in ("HTML", "CSS", "SCSS", "Makefile", "Dockerfile", "CMake", "SQL")
    ]

    def rank(f: ScannedFile) -> tuple[int, float, str]:
        stem = os.path.splitext(f.name)[0].lower()
        bonus = 150 if stem in _MAIN_NAMES else 0
        if f.name in ("__init__.py", "setup.py", "__main__.py", "conftest.py"):
            bonus -= 1000
        size = min(f.lines, 600)
        return (0 if f.language == primary else 1, -(size + bonus), f.rel)

    candidates.sort(key=rank)
    best: tuple[float, CodeSnippet] | None = None
    for f in candidates[:6]:
        text = read_text(scan.root, f.rel, limit)
        if not text:
            continue
        found = (
            _python_defs(text) if f.language == "Python" else _regex_defs(text, f.language or "")
        )
        for score, start, end in found[:12]:
            lines = text.splitlines()[start - 1 : end]
            code = trim_code("\n".join(lines), SNIPPET_LINES)
            if not code.strip():
                continue
            fits = all(len(line) <= SNIPPET_COLS for line in lines[:SNIPPET_LINES])
            total = score + (1 if fits else 0) - (0.5 * candidates.index(f))
            snippet = CodeSnippet(
                code=code,
                language=PYGMENTS_NAMES.get(f.language or "", "text"),
                source=f.display,
                start_line=start,
            )
            if best is None or total > best[0]:
                best = (total, snippet)
        if best is None:  # no definitions found: show the start of the code
            body, start = skip_header(text)
            code = trim_code(body, SNIPPET_LINES)
            if code.strip():
                best = (
                    -10,
                    CodeSnippet(
                        code, PYGMENTS_NAMES.get(f.language or "", "text"), f.display, start
                    ),
                )
    return best[1] if best else None


def _python_defs(text: str) -> list[tuple[float, int, int]]:
    """(score, start, end) of public top-level functions/classes; docstrings score higher."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return _regex_defs(text, "Python")
    out = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if node.name.startswith("_"):
            continue
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        end = node.end_lineno or node.lineno
        score = 2.0 if ast.get_docstring(node) else 0.0
        score += 2.0 if end - start + 1 <= SNIPPET_LINES else 0.0
        score += 1.0 if end - start >= 3 else 0.0
        out.append((score - 0.01 * len(out), start, min(end, start + SNIPPET_LINES - 1)))
    return out


def _regex_defs(text: str, language: str) -> list[tuple[float, int, int]]:
    pattern = re.compile(_DEF_PATTERNS.get(language, _FALLBACK_DEF))
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if not pattern.search(line):
            continue
        start = i
        while start > 0 and re.match(r"^\s*(//|///|/\*\*|\*|#(?!include|!)|--)", lines[start - 1]):
            start -= 1
            if i - start >= 6:
                break
        end = min(len(lines), start + SNIPPET_LINES)
        for j in range(i + 1, min(len(lines), start + SNIPPET_LINES)):
            if lines[j].rstrip() in ("}", "};", "end") or (
                language == "Python" and lines[j][:1].strip()
            ):
                end = j + 1 if lines[j].rstrip() in ("}", "};", "end") else j
                break
        score = 2.0 if start < i else 0.0
        score += 2.0 if end - start <= SNIPPET_LINES and end > i + 1 else 0.0
        score += 1.0 if end - start >= 4 else 0.0
        out.append((score - 0.01 * len(out), start + 1, end))
        if len(out) >= 12:
            break
    return out


def trim_code(code: str, max_lines: int, max_cols: int = SNIPPET_COLS) -> str:
    """Fit code on a slide: dedent, drop blank edges, cap lines and columns (marking cuts)."""
    lines = textwrap.dedent(code.expandtabs(4)).splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    lines = [line.rstrip() for line in lines[:max_lines]]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(
        line if len(line) <= max_cols else line[: max_cols - 1] + "…" for line in lines
    )


def skip_header(text: str) -> tuple[str, int]:
    """Drop a leading shebang/license comment block so an excerpt starts with code."""
    lines = text.splitlines()
    i = 0
    while i < len(lines) and (
        not lines[i].strip() or lines[i].lstrip().startswith(("#!", "#", "//", "/*", "*", "*/"))
    ):
        i += 1
    if i >= len(lines):
        i = 0
    return "\n".join(lines[i:]), i + 1
