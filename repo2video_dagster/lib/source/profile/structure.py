"""How the project is laid out: top-level entries, a short tree, key files and main modules."""

from __future__ import annotations

import os
import re

from repo2video_dagster.lib.source.profile.files import (
    DOC_DIRS,
    SKIP_DIRS,
    TEST_DIRS,
    CheckoutScan,
    ScannedFile,
    dedupe,
    display_name,
    is_doc,
    is_hidden,
    is_test,
)
from repo2video_dagster.lib.source.profile.licenses import LICENSE_RE
from repo2video_dagster.lib.source.profile.manifests import Manifests
from repo2video_dagster.lib.source.profile.readme import README_RE


def top_level_entries(root: str) -> list[str]:
    """Top-level directories (with ``/``) then files, hidden ones left out except ``.github``."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    dirs, files = [], []
    for entry in entries:
        if entry.name == ".git" or (entry.name.startswith(".") and entry.name != ".github"):
            continue
        if entry.is_dir(follow_symlinks=False):
            dirs.append(display_name(entry.name) + "/")
        else:
            files.append(display_name(entry.name))
    return sorted(dirs, key=str.lower) + sorted(files, key=str.lower)


_KEY_FILE_NAMES = [
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements.txt",
    "pipfile",
    "environment.yml",
    "package.json",
    "tsconfig.json",
    "deno.json",
    "cargo.toml",
    "go.mod",
    "gemfile",
    "composer.json",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "package.swift",
    "mix.exs",
    "cmakelists.txt",
    "meson.build",
    "makefile",
    "dockerfile",
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yaml",
    ".gitlab-ci.yml",
    ".travis.yml",
    "azure-pipelines.yml",
    "jenkinsfile",
    "contributing.md",
    "changelog.md",
]


def key_files(scan: CheckoutScan, readme_rel: str | None, manifests: Manifests) -> list[str]:
    """README, licence, manifests, CI config and main source files, most telling first."""
    out: list[str] = []
    if readme_rel:
        out.append(display_name(readme_rel))
    top = {f.name.lower(): f for f in scan.files if len(f.parts) == 1}
    out += [f.display for name, f in sorted(top.items()) if LICENSE_RE.match(name)]
    out += [top[name].display for name in _KEY_FILE_NAMES if name in top]
    out += [
        f.display
        for f in scan.files
        if len(f.parts) == 2 and re.match(r"requirements.+\.txt$", f.name, re.I)
    ]
    out += [
        f.display
        for f in scan.files
        if f.parts[:2] == (".github", "workflows") and f.name.endswith((".yml", ".yaml"))
    ][:2]
    if ".circleci/config.yml" in scan.by_rel:
        out.append(".circleci/config.yml")
    mains = [
        f
        for f in scan.files
        if not f.skipped_dir
        and not is_test(f)
        and not is_doc(f)
        and (
            f.name
            in (
                "__main__.py",
                "main.go",
                "main.rs",
                "lib.rs",
                "index.js",
                "index.ts",
                "main.py",
                "app.py",
                "cli.py",
            )
        )
        and len(f.parts) <= 3
    ]
    out += [f.display for f in sorted(mains, key=lambda f: (len(f.parts), f.rel))]
    return dedupe(out)[:16]


def _dir_weight(scan: CheckoutScan, prefix: tuple[str, ...]) -> float:
    lines, files = scan.totals(prefix)
    weight = lines + files * 0.5
    name = prefix[-1].lower()
    if name in SKIP_DIRS or name.startswith("."):
        return -1.0 + weight * 1e-9
    if name in TEST_DIRS or name in DOC_DIRS:
        weight *= 0.25
    if name in ("src", "lib", "app", "cmd", "pkg", "internal", "crates", "packages"):
        weight = weight * 1.5 + 1
    return weight


def _children(scan: CheckoutScan, prefix: tuple[str, ...]) -> tuple[list[str], list[ScannedFile]]:
    dirs, files = scan.children(prefix)
    return sorted(dirs), list(files)


def tree_outline(scan: CheckoutScan, max_lines: int = 14) -> list[str]:
    """An indented tree two levels deep, most important entries first, elisions marked with …."""
    top_dirs, top_files = _children(scan, ())
    top_dirs = [d for d in top_dirs if not d.startswith(".")]
    top_dirs.sort(key=lambda d: (-_dir_weight(scan, (d,)), d.lower()))
    top_files = [f for f in top_files if not f.name.startswith(".")]
    top_files.sort(key=lambda f: (_file_rank(f), f.rel.lower()))
    sub: dict[str, list[str]] = {}
    for d in top_dirs:
        child_dirs, child_files = _children(scan, (d,))
        child_dirs.sort(key=lambda c: (-_dir_weight(scan, (d, c)), c.lower()))
        child_files.sort(key=lambda f: (-f.lines, f.rel.lower()))
        sub[d] = [display_name(c) + "/" for c in child_dirs if not c.startswith(".")] + [
            display_name(f.name) for f in child_files
        ]
    for per_dir in (3, 2, 1, 0):
        lines: list[str] = []
        shown_dirs = top_dirs[:6]
        for d in shown_dirs:
            lines.append(display_name(d) + "/")
            kids = sub[d]
            if d in SKIP_DIRS:
                continue
            lines += [f"  {k}" for k in kids[:per_dir]]
            if len(kids) > per_dir and per_dir:
                lines.append(f"  … {len(kids) - per_dir} more")
        room = max_lines - len(lines)
        rest = len(top_dirs) - len(shown_dirs) + len(top_files)
        if room >= 1 and (per_dir == 0 or room >= min(len(top_files), 4) + 1 or rest <= room):
            if rest <= room:
                lines += [f.display for f in top_files]
                if len(top_dirs) > len(shown_dirs):
                    lines.append(f"… {len(top_dirs) - len(shown_dirs)} more")
            else:
                take = max(room - 1, 0)
                lines += [f.display for f in top_files[:take]]
                lines.append(f"… {rest - take} more")
            if len(lines) <= max_lines:
                return lines
    return lines[: max_lines - 1] + ["…"]


def _file_rank(f: ScannedFile) -> int:
    low = f.name.lower()
    if README_RE.match(low):
        return 0
    if low in _KEY_FILE_NAMES[:20]:
        return 1
    if LICENSE_RE.match(low):
        return 2
    return 3


def main_modules(scan: CheckoutScan) -> list[str]:
    """Main packages and source directories (most code first), then the biggest modules."""
    weights: dict[tuple[str, ...], int] = {}

    def add(prefix: tuple[str, ...]) -> None:
        if prefix not in weights:
            weights[prefix] = scan.totals(prefix)[0]

    for f in scan.files:
        if f.skipped_dir or is_test(f) or is_doc(f) or is_hidden(f.parts[:-1]) or f.link:
            continue
        p = f.parts
        if f.name == "__init__.py" and (len(p) == 2 or (len(p) == 3 and p[0] == "src")):
            add(p[:-1])
        elif len(p) >= 3 and p[0] in ("cmd", "internal", "pkg", "crates", "packages", "apps"):
            add(p[:2])
        elif len(p) >= 2 and p[0] in ("src", "lib", "app") and f.language:
            add(p[:2] if len(p) >= 3 and p[0] == "src" and f.language not in ("Rust",) else p[:1])
    ranked = sorted((k for k, v in weights.items() if v > 0), key=lambda k: (-weights[k], k))
    out = [display_name("/".join(k)) + "/" for k in ranked]
    if not out:
        dirs = {
            f.parts[0]
            for f in scan.files
            if len(f.parts) > 1
            and f.language
            and not f.skipped_dir
            and not is_test(f)
            and not is_doc(f)
            and not is_hidden(f.parts[:1])
        }
        for d in dirs:
            add((d,))
        out = [
            display_name(d) + "/"
            for (d,) in sorted(
                (k for k in weights if len(k) == 1 and weights[k] > 0),
                key=lambda k: (-weights[k], k),
            )
        ]
    if len(out) < 3:
        main = ranked[0] if ranked else ()
        code = [
            f
            for f in scan.files
            if f.language
            and f.lines
            and f.parts[: len(main)] == main
            and not f.skipped_dir
            and not is_test(f)
            and not is_doc(f)
            and not is_hidden(f.parts[:-1])
            and f.name not in ("__init__.py", "__main__.py", "setup.py", "conftest.py")
        ]
        code.sort(key=lambda f: (-f.lines, f.rel))
        out += [f.display for f in code[: 6 - len(out)]]
    return out[:8]
