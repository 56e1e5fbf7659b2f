"""The benchmark's fixed sample repository, built deterministically with real git.

Same files, authors and dates on every machine, so the commit SHA, the script and
therefore the video length (about a minute) are the same wherever the benchmark runs.
"""

from __future__ import annotations

from pathlib import Path

from repo2video_devtools.repo_builder import commit_all, init_repo, write_files

README = """# mdtoc

Generate a clean table of contents for any Markdown file, right from the command line.
mdtoc reads your headings, builds nested links that work on GitHub, and updates the
file in place between two marker comments.

## Installation

```sh
pip install mdtoc
```

## Usage

```python
from mdtoc import build_toc

print(build_toc(open("README.md").read(), max_depth=3))
```

Or from the shell: `mdtoc README.md --in-place`.

## License

MIT
"""

PYPROJECT = """[project]
name = "mdtoc"
version = "1.4.0"
description = "Generate a table of contents for Markdown files"
requires-python = ">=3.9"
dependencies = ["click>=8", "markdown-it-py>=3"]

[project.scripts]
mdtoc = "mdtoc.cli:main"
"""

INIT = '''"""Tables of contents for Markdown files."""

from mdtoc.toc import build_toc, slugify

__all__ = ["build_toc", "slugify"]
'''

TOC = '''"""Build a table of contents from Markdown headings."""

import re

HEADING = re.compile(r"^(#{1,6})\\s+(.*?)\\s*#*$")


def slugify(title: str) -> str:
    """GitHub-style anchor for a heading."""
    slug = re.sub(r"[^\\w\\- ]", "", title.lower()).strip()
    return re.sub(r"\\s+", "-", slug)


def build_toc(text: str, max_depth: int = 3) -> str:
    """Return a nested list of links to the headings in ``text``."""
    lines = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        match = None if in_code else HEADING.match(line)
        if match and len(match.group(1)) <= max_depth:
            depth = len(match.group(1)) - 1
            title = match.group(2)
            lines.append(f"{'  ' * depth}- [{title}](#{slugify(title)})")
    return "\\n".join(lines)
'''

MARKERS = '''"""Replace the text between the TOC marker comments."""

START = "<!-- toc -->"
END = "<!-- tocstop -->"


def replace_between_markers(text: str, toc: str) -> str:
    """Put ``toc`` between the markers, or raise if they are missing."""
    head, sep, rest = text.partition(START)
    if not sep:
        raise ValueError("no <!-- toc --> marker found")
    _, sep, tail = rest.partition(END)
    if not sep:
        raise ValueError("no <!-- tocstop --> marker found")
    return f"{head}{START}\\n{toc}\\n{END}{tail}"
'''

CLI = '''"""Command line entry point."""

import click

from mdtoc.markers import replace_between_markers
from mdtoc.toc import build_toc


@click.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("--max-depth", default=3, show_default=True)
@click.option("--in-place", is_flag=True, help="Rewrite the file between the markers.")
def main(path: str, max_depth: int, in_place: bool) -> None:
    """Print (or insert) the table of contents of PATH."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    toc = build_toc(text, max_depth=max_depth)
    if not in_place:
        click.echo(toc)
        return
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(replace_between_markers(text, toc))
'''

TESTS = """from mdtoc import build_toc, slugify


def test_slugify():
    assert slugify("Hello, World!") == "hello-world"


def test_nested():
    toc = build_toc("# A\\n## B\\n### C\\n#### D", max_depth=3)
    assert toc.splitlines() == ["- [A](#a)", "  - [B](#b)", "    - [C](#c)"]
"""

LICENSE = """MIT License

Copyright (c) 2023 Lin Wei

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
"""

COMMITS: list[tuple[str, str, str, dict[str, str]]] = [
    (
        "Lin Wei",
        "lin@example.org",
        "Initial TOC builder",
        {
            "README.md": README,
            "pyproject.toml": PYPROJECT,
            "LICENSE": LICENSE,
            "mdtoc/__init__.py": INIT,
            "mdtoc/toc.py": TOC,
        },
    ),
    ("Sam Okafor", "sam@example.org", "Add marker replacement", {"mdtoc/markers.py": MARKERS}),
    ("Lin Wei", "lin@example.org", "Add command line interface", {"mdtoc/cli.py": CLI}),
    ("Ana Ruiz", "ana@example.org", "Add tests", {"tests/test_toc.py": TESTS}),
    (
        "Lin Wei",
        "lin@example.org",
        "Ignore build outputs",
        {".gitignore": "dist/\\n*.egg-info/\\n"},
    ),
]


def make_bench_repo(path: Path, name: str = "mdtoc") -> Path:
    """Create the sample at ``path`` (which must not exist) and return it.

    ``name`` (a Python identifier) renames the project (package, README, manifest) so that several
    distinct repositories can be queued at once (the throughput benchmark).
    """
    path.mkdir(parents=True)
    init_repo(path)
    for day, (author, email, message, files) in enumerate(COMMITS, start=1):
        renamed = {
            rel.replace("mdtoc", name): text.replace("mdtoc", name) for rel, text in files.items()
        }
        write_files(path, renamed)
        commit_all(path, message, author=(author, email), date=f"2024-03-{day:02d}T10:00:00+00:00")
    return path
