"""Build small, real git repositories for tests.

Tests exercise the real ``git`` binary, so they need real repositories; these
helpers make them quickly and deterministically (fixed author dates and names,
isolated from the user's git config), so shas are stable between runs.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from repo2video_devtools import repo_builder as builder
from repo2video_devtools.repo_builder import Author, FileContent, write_files

ADA: Author = ("Ada Lovelace", "ada@example.com")
GRACE: Author = ("Grace Hopper", "grace@example.com")
LINUS: Author = ("Linus Torvalds", "linus@example.com")
DEFAULT_AUTHOR = ADA
BASE_DATE = datetime(2024, 3, 1, 10, 0, 0, tzinfo=UTC)


@dataclass
class Commit:
    """One commit to add: files to write (or delete), a message and an author."""

    files: Mapping[str | bytes, FileContent]
    message: str
    author: Author = DEFAULT_AUTHOR
    symlinks: Mapping[str, str] = field(default_factory=dict)
    """Path -> link target, stored in git as symbolic links."""


def git(repo: Path | str, *args: str, author: Author = DEFAULT_AUTHOR) -> str:
    """Run git in ``repo`` with an isolated config; return stdout (stripped)."""
    return builder.git(repo, *args, author=author, date=BASE_DATE)


def commit_count(repo: Path | str) -> int:
    try:
        return int(git(repo, "rev-list", "--count", "HEAD"))
    except subprocess.CalledProcessError:
        return 0


def head_sha(repo: Path | str) -> str:
    return git(repo, "rev-parse", "HEAD")


def add_commit(
    repo: Path | str,
    files: Mapping[str | bytes, FileContent],
    message: str,
    *,
    author: Author = DEFAULT_AUTHOR,
    symlinks: Mapping[str, str] | None = None,
    date: datetime | None = None,
) -> str:
    """Write files and commit them; the date defaults to one day after the previous commit."""
    repo = Path(repo)
    write_files(repo, files, symlinks)
    when = date or BASE_DATE + timedelta(days=commit_count(repo))
    return builder.commit_all(repo, message, author=author, date=when)


def make_repo(
    path: Path | str,
    files: Mapping[str | bytes, FileContent] | None = None,
    *,
    commits: Sequence[Commit] = (),
    author: Author = DEFAULT_AUTHOR,
    message: str = "Initial commit",
    branch: str = "main",
    symlinks: Mapping[str, str] | None = None,
) -> Path:
    """Create a git repository at ``path``.

    ``files`` (and ``symlinks``) form the first commit; ``commits`` follow in order.
    With neither, the repository has no commits at all.
    """
    repo = builder.init_repo(path, branch)
    if files or symlinks:
        add_commit(repo, files or {}, message, author=author, symlinks=symlinks)
    for commit in commits:
        add_commit(
            repo, commit.files, commit.message, author=commit.author, symlinks=commit.symlinks
        )
    return repo


# --------------------------------------------------------------------------- samples

MIT_LICENSE = """MIT License

Copyright (c) 2024 Ada Lovelace

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

APACHE_LICENSE = """
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION

   1. Definitions.
"""

BSD3_LICENSE = """BSD 3-Clause License

Copyright (c) 2024, Grace Hopper

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice.
2. Redistributions in binary form must reproduce the above copyright notice.
3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.
"""

PY_README = """# Tally

[![CI](https://github.com/example/tally/actions/workflows/ci.yml/badge.svg)](https://github.com/example/tally/actions)
[![PyPI](https://img.shields.io/pypi/v/tally-words.svg)](https://pypi.org/project/tally-words/)

Tally counts words, lines and characters in text files and prints a tidy
report. It is a small command-line tool and library written in **Python**,
built on [Click](https://click.palletsprojects.com/) and Rich.

## Installation

Install the latest release from PyPI:

```bash
pip install tally-words
```

## Usage

Count the words of a sentence from Python:

```python
from tally import count_words

stats = count_words("the quick brown fox jumps over the lazy dog")
print(stats.total)   # 9
print(stats.top(2))  # [('the', 2), ('brown', 1)]
```

Or from the shell:

```console
$ tally README.md --top 5
```

## License

MIT, see [LICENSE](LICENSE).
"""

PY_PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "tally-words"
version = "1.2.0"
description = "Count words, lines and characters in text files."
readme = "README.md"
license = {text = "MIT"}
requires-python = ">=3.9"
dependencies = [
    "click>=8.1",
    "rich>=13.0; python_version >= '3.9'",
]

[project.optional-dependencies]
dev = ["pytest>=7"]

[project.scripts]
tally = "tally.cli:main"
"""

PY_INIT = '''"""Tally: count words, lines and characters."""

from .core import WordStats, count_words

__all__ = ["WordStats", "count_words"]
__version__ = "1.2.0"
'''

PY_CORE = '''"""Word counting."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_WORD = re.compile(r"[\\w']+")


@dataclass
class WordStats:
    """Counts of one text: total words and how often each word occurs."""

    total: int = 0
    counts: Counter = field(default_factory=Counter)

    def top(self, n: int = 10) -> list[tuple[str, int]]:
        """The ``n`` most common words, most frequent first."""
        return self.counts.most_common(n)


def count_words(text: str, *, lower: bool = True) -> WordStats:
    """Split ``text`` into words and count them.

    Words are runs of letters, digits and apostrophes; case is folded
    unless ``lower`` is false.
    """
    words = _WORD.findall(text.lower() if lower else text)
    return WordStats(total=len(words), counts=Counter(words))


def count_lines(text: str) -> int:
    """Number of lines, counting a final line without newline."""
    return len(text.splitlines())
'''

PY_REPORT = '''"""Formatting of reports."""

from .core import WordStats


def format_report(name: str, stats: WordStats, top: int = 5) -> str:
    """A plain-text report: total words and the most common ones."""
    lines = [f"{name}: {stats.total} words"]
    for word, count in stats.top(top):
        lines.append(f"  {word:<20} {count:>6}")
    return "\\n".join(lines)
'''

PY_CLI = '''"""Command line interface."""

import click

from .core import count_words
from .report import format_report


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--top", default=5, help="How many words to list.")
def main(paths: tuple[str, ...], top: int) -> None:
    """Print word statistics for each file in PATHS."""
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            stats = count_words(fh.read())
        click.echo(format_report(path, stats, top))
'''

PY_MAIN = """from .cli import main

main()
"""

PY_TEST = """from tally import count_words


def test_counts_words():
    stats = count_words("a b a")
    assert stats.total == 3
    assert stats.top(1) == [("a", 2)]
"""


def make_python_sample(path: Path | str) -> Path:
    """A small, realistic Python project with history by two authors.

    README (title, badges, description, install + usage sections), pyproject with
    dependencies and a console script, the ``tally`` package (4 modules and
    ``__main__``), tests, MIT LICENSE; 4 commits by Ada (3) and Grace (1).
    """
    return make_repo(
        path,
        {
            "README.md": PY_README,
            "pyproject.toml": PY_PYPROJECT,
            "LICENSE": MIT_LICENSE,
            ".gitignore": "__pycache__/\n*.egg-info/\n",
            "tally/__init__.py": PY_INIT,
            "tally/core.py": PY_CORE,
        },
        message="Add word counting core",
        author=ADA,
        commits=[
            Commit(
                {
                    "tally/cli.py": PY_CLI,
                    "tally/report.py": PY_REPORT,
                    "tally/__main__.py": PY_MAIN,
                },
                "Add command line interface",
                author=GRACE,
            ),
            Commit({"tests/test_core.py": PY_TEST}, "Add tests for count_words", author=ADA),
            Commit(
                {
                    ".github/workflows/ci.yml": "on: [push]\njobs: {}\n",
                    "requirements-dev.txt": "pytest>=7\nruff==0.5.0\n",
                },
                "Set up CI",
                author=ADA,
            ),
        ],
    )


JS_README = """# slugify-lite

Turn any string into a clean, URL-safe slug. Zero dependencies at runtime,
works in Node.js and the browser.

## Install

```sh
npm install slugify-lite
```

## Example

```js
const slugify = require("slugify-lite");

slugify("Hello, World!"); // "hello-world"
```
"""

JS_INDEX = """/**
 * Turn a string into a URL-safe slug.
 * @param {string} text
 * @returns {string}
 */
function slugify(text, separator = "-") {
  return text
    .normalize("NFKD")
    .replace(/[\\u0300-\\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, separator)
    .replace(new RegExp(`^${separator}|${separator}$`, "g"), "");
}

module.exports = slugify;
"""

JS_CLI = """#!/usr/bin/env node
const slugify = require("../index.js");

const input = process.argv.slice(2).join(" ");
console.log(slugify(input));
"""


def make_js_sample(path: Path | str) -> Path:
    """A small JavaScript package: package.json with bin/main/deps, ISC license, 2 commits."""
    package = {
        "name": "slugify-lite",
        "version": "0.3.1",
        "description": "Turn any string into a URL-safe slug.",
        "main": "index.js",
        "bin": {"slugify": "bin/slugify.js"},
        "scripts": {"test": "jest", "start": "node bin/slugify.js"},
        "license": "ISC",
        "dependencies": {"kleur": "^4.1.5"},
        "devDependencies": {"jest": "^29.7.0", "eslint": "^9.0.0"},
    }
    return make_repo(
        path,
        {
            "README.md": JS_README,
            "package.json": json.dumps(package, indent=2) + "\n",
            "index.js": JS_INDEX,
            "bin/slugify.js": JS_CLI,
            "package-lock.json": '{"lockfileVersion": 3}\n' * 50,
        },
        commits=[
            Commit(
                {"test/slugify.test.js": 'const s = require("..");\ntest("x", () => {});\n'},
                "Add tests",
                author=LINUS,
            )
        ],
    )


GO_README = """# greet

`greet` prints friendly greetings in many languages. It is a tiny Go module with
a command-line tool and a reusable package.

## Installation

```
go install github.com/example/greet/cmd/greet@latest
```
"""

GO_MOD = """module github.com/example/greet

go 1.22

require (
\tgithub.com/spf13/cobra v1.8.0
\tgolang.org/x/text v0.14.0
\tgithub.com/inconshreveable/mousetrap v1.1.0 // indirect
)
"""

GO_LIB = """package greet

import "fmt"

// Hello returns a greeting for name in the given language.
func Hello(name, lang string) string {
\tswitch lang {
\tcase "fr":
\t\treturn fmt.Sprintf("Bonjour, %s!", name)
\tcase "de":
\t\treturn fmt.Sprintf("Hallo, %s!", name)
\tdefault:
\t\treturn fmt.Sprintf("Hello, %s!", name)
\t}
}
"""

GO_MAIN = """package main

import (
\t"fmt"
\t"os"

\t"github.com/example/greet/internal/greet"
)

func main() {
\tfmt.Println(greet.Hello(os.Args[1], "en"))
}
"""


def make_go_sample(path: Path | str) -> Path:
    """A small Go module: go.mod with requires, cmd/greet main package, BSD-3 license."""
    return make_repo(
        path,
        {
            "README.md": GO_README,
            "go.mod": GO_MOD,
            "go.sum": "github.com/spf13/cobra v1.8.0 h1:abc=\n",
            "LICENSE": BSD3_LICENSE,
            "internal/greet/greet.go": GO_LIB,
            "cmd/greet/main.go": GO_MAIN,
        },
        author=GRACE,
    )


RUST_README = """# wc-rs

A fast `wc` clone written in Rust: counts lines, words and bytes.

## Usage

```bash
wc-rs --lines src/main.rs
```
"""

CARGO_TOML = """[package]
name = "wc-rs"
version = "0.1.0"
edition = "2021"
license = "Apache-2.0"

[dependencies]
clap = { version = "4", features = ["derive"] }
anyhow = "1"

[dev-dependencies]
assert_cmd = "2"
"""

RUST_MAIN = """use std::fs;

/// Counts of one file.
pub struct Counts {
    pub lines: usize,
    pub words: usize,
    pub bytes: usize,
}

/// Count lines, words and bytes of `text`.
pub fn count(text: &str) -> Counts {
    Counts {
        lines: text.lines().count(),
        words: text.split_whitespace().count(),
        bytes: text.len(),
    }
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).expect("path");
    let c = count(&fs::read_to_string(path)?);
    println!("{} {} {}", c.lines, c.words, c.bytes);
    Ok(())
}
"""


def make_rust_sample(path: Path | str) -> Path:
    """A small Rust crate: Cargo.toml with deps, src/main.rs, Apache-2.0 license."""
    return make_repo(
        path,
        {
            "README.md": RUST_README,
            "Cargo.toml": CARGO_TOML,
            "Cargo.lock": "# generated\nversion = 3\n" * 40,
            "LICENSE": APACHE_LICENSE,
            "src/main.rs": RUST_MAIN,
        },
    )
