"""What the profile knows about each file of a checkout, and the roles its path gives it.

A path decides much before any content is read: vendored and build-output
directories are listed but never counted, tests and docs count less, hidden
directories are not the project's code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

SKIP_DIRS = {
    "node_modules",
    "vendor",
    "vendors",
    "dist",
    "build",
    ".venv",
    "venv",
    "third_party",
    "third-party",
    "thirdparty",
    "__pycache__",
    ".tox",
    ".nox",
    "site-packages",
    "bower_components",
    "target",
    ".next",
    ".nuxt",
    "coverage",
    "Pods",
    "Carthage",
    ".gradle",
    ".mypy_cache",
    ".pytest_cache",
}
"""Vendored, generated or build-output directories: listed, never counted as the project's code."""

TEST_DIRS = {"test", "tests", "testing", "spec", "specs", "__tests__", "testdata", "e2e"}
"""Directory names whose files are tests: they count only in the main code's languages."""
DOC_DIRS = {"docs", "doc", "documentation", "examples", "example", "samples", "benchmarks"}
"""Directory names whose files are documentation or examples, not the project's own code."""


@dataclass
class ScannedFile:
    """One file of the checkout: what the walk saw, then what reading it found."""

    rel: str
    """Relative path with ``/``, exactly as on disk (may hold surrogate escapes)."""
    size: int
    skipped_dir: bool
    link: bool = False
    language: str | None = None
    lines: int = 0
    text: bool = False

    @property
    def display(self) -> str:
        return display_name(self.rel)

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.rel.split("/"))

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]


@dataclass
class CheckoutScan:
    """Every file of the checkout, with per-directory totals computed once on demand."""

    root: str
    files: list[ScannedFile]
    by_rel: dict[str, ScannedFile]
    notes: list[str] = field(default_factory=list)
    skipped_dirs: set[str] = field(default_factory=set)
    _totals: dict[tuple[str, ...], list[int]] | None = None
    _kids: dict[tuple[str, ...], tuple[set[str], list[ScannedFile]]] | None = None

    def totals(self, prefix: tuple[str, ...]) -> tuple[int, int]:
        """(code lines, files) under a directory prefix of depth 1 or 2; one pass, then cached."""
        if self._totals is None:
            self._index()
        lines, files = (self._totals or {}).get(prefix, (0, 0))
        return lines, files

    def children(self, prefix: tuple[str, ...]) -> tuple[set[str], list[ScannedFile]]:
        """Sub-directory names and files directly in ``prefix`` (depth 0 or 1)."""
        if self._kids is None:
            self._index()
        return (self._kids or {}).get(prefix, (set(), []))

    def _index(self) -> None:
        totals: dict[tuple[str, ...], list[int]] = {}
        kids: dict[tuple[str, ...], tuple[set[str], list[ScannedFile]]] = {}
        for f in self.files:
            parts = f.parts
            for depth in (1, 2):
                if len(parts) > depth:
                    entry = totals.setdefault(parts[:depth], [0, 0])
                    entry[0] += f.lines
                    entry[1] += 1
            for depth in (0, 1):
                if len(parts) > depth:
                    dirs, files = kids.setdefault(parts[:depth], (set(), []))
                    if len(parts) == depth + 1:
                        files.append(f)
                    else:
                        dirs.add(parts[depth])
        self._totals, self._kids = totals, kids


def display_name(name: str) -> str:
    """A name safe to print and JSON-encode (undecodable bytes become U+FFFD)."""
    return os.fsencode(name).decode("utf-8", "replace")


def is_hidden(parts: Iterable[str]) -> bool:
    """Whether a path passes through a hidden (dot) directory: tooling, not the project."""
    return any(p.startswith(".") for p in parts)


def is_test(f: ScannedFile) -> bool:
    """Whether a file is a test, by its directory or its name (test_*.py, *_test.go, *.spec.ts)."""
    parts = [p.lower() for p in f.parts]
    name = parts[-1]
    return (
        any(p in TEST_DIRS for p in parts[:-1])
        or name.startswith("test_")
        or name == "conftest.py"
        or bool(re.search(r"(_test\.go|_test\.py|\.(test|spec)\.[jt]sx?)$", name))
    )


def is_doc(f: ScannedFile) -> bool:
    """Whether a file lies in a documentation or examples directory."""
    return any(p.lower() in DOC_DIRS for p in f.parts[:-1])


def dedupe(items: Iterable[str]) -> list[str]:
    """Items without repeats, in first-seen order (lists shown to people keep their ranking)."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
