"""Real git repositories with hostile contents, built with the real ``git`` binary.

Every hostile feature the service must survive is here, with *sentinels*: strings
that exist only outside the checkout (a planted secret, a fake SSH key, the first
field of ``/etc/passwd``) and marker files that appear only if something in the
repository got executed. A check then looks for the sentinels in every output and
for the markers on disk.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from repo2video_devtools.repo_builder import (
    FileContent,
    commit_all,
    git,
    init_repo,
    write_files,
)

PASSWD_MARK = b"root:x:0:0"
"""The start of ``/etc/passwd`` on every Linux system: if an output holds it, the file leaked."""


def make_repo(
    path: Path,
    files: Mapping[str | bytes, FileContent] | None = None,
    *,
    symlinks: Mapping[str, str] | None = None,
    commit: bool = True,
) -> Path:
    """A repository whose first commit holds ``files``; ``commit=False`` leaves it without commits."""
    init_repo(path)
    if files or symlinks:
        write_files(path, files or {}, symlinks)
    if commit:
        commit_all(path, "Initial commit")
    return path


def add_commit(repo: Path, files: Mapping[str | bytes, FileContent], message: str) -> str:
    write_files(repo, files)
    return commit_all(repo, message)


def many_files_repo(path: Path, count: int) -> Path:
    """``count`` tiny files (plus a README) in one commit, written by ``git fast-import``.

    fast-import builds the 100k-entry tree in about a second, where ``git add`` of
    100k real files would take most of a minute.
    """
    init_repo(path)
    readme = b"# Many\n\nA repository with a great many tiny files, to check the limits.\n"
    parts = [
        b"blob\nmark :1\ndata 2\nx\n\n",
        b"blob\nmark :2\ndata %d\n%s\n" % (len(readme), readme),
        b"commit refs/heads/main\ncommitter Ada <ada@example.com> 1709287200 +0000\n",
        b"data 5\nmany\n",
        b"M 100644 :2 README.md\n",
    ]
    parts += [b"M 100644 :1 d%04d/f%06d.txt\n" % (i // 1000, i) for i in range(count)]
    parts.append(b"\n")
    git(path, "fast-import", "--quiet", stdin=b"".join(parts))
    return path


# --------------------------------------------------------------------------- outside world


@dataclass(frozen=True)
class Outside:
    """Things outside any checkout that a hostile repository points at."""

    secret_file: Path
    secret: str
    ssh_key_file: Path
    ssh_secret: str
    secret_dir: Path
    markers: Path
    """A directory that stays empty unless something from a repository was executed."""

    @property
    def needles(self) -> list[bytes]:
        """Byte strings that must never appear in any output."""
        return [self.secret.encode(), self.ssh_secret.encode(), PASSWD_MARK]

    def executed(self) -> list[str]:
        return sorted(p.name for p in self.markers.iterdir()) if self.markers.exists() else []


def plant_outside(root: Path) -> Outside:
    """Plant secrets outside the repositories (a secret file, a fake ~/.ssh key, a marker dir)."""
    token = secrets.token_hex(6)
    secret_dir = root / "outside"
    secret_dir.mkdir(parents=True, exist_ok=True)
    secret = f"R2V-OUTSIDE-SECRET-{token}"
    secret_file = secret_dir / "secret.txt"
    secret_file.write_text(f"{secret}\n", encoding="utf-8")
    ssh_dir = root / "home" / ".ssh"
    ssh_dir.mkdir(parents=True, exist_ok=True)
    ssh_secret = f"R2V-SSH-KEY-{token}"
    ssh_key = ssh_dir / "id_ed25519"
    ssh_key.write_text(
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{ssh_secret}\n-----END OPENSSH PRIVATE KEY-----\n",
        encoding="utf-8",
    )
    markers = root / "markers"
    markers.mkdir(parents=True, exist_ok=True)
    return Outside(secret_file, secret, ssh_key, ssh_secret, secret_dir, markers)


# --------------------------------------------------------------------------- repositories

XSS_MARK = "R2V-XSS"

HOSTILE_README = """# Hostile <b>repo</b> </title><script>alert('{xss}-title')</script>

A small command line tool <script>alert('{xss}-1')</script> that counts words in text files \
<img src=x onerror="alert('{xss}-2')"> and prints a report [click me](javascript:alert('{xss}-3')) \
with "quotes" & ampersands & <angle brackets>.

<iframe src="https://evil.example.com/{xss}"></iframe>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>
[![badge](https://img.shields.io/x.svg)](javascript:alert('{xss}-4'))
<!-- a comment with <script>alert('{xss}-5')</script> -->
<details><summary onclick="alert('{xss}-6')">more</summary>hidden</details>

## Install

```sh
pip install hostile-tool
touch {marker}/readme-command-ran
$(touch {marker}/readme-subshell-ran)
```

## Usage

```python
from hostile_tool import count_words
print(count_words("hello world"))  # </code></pre><script>alert('{xss}-7')</script>
```

[ref]: javascript:alert('{xss}-8')
"""

HOSTILE_CODE = '''"""Count words in text files."""


def count_words(text: str) -> int:
    """Return the number of whitespace-separated words in ``text``."""
    return len(text.split())


def main() -> None:
    import sys

    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as fh:
            print(path, count_words(fh.read()))
'''

LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 123456789\n"
)


def hostile_repo(path: Path, outside: Outside) -> Path:
    """One repository with every hostile feature that should still render a correct video.

    Symlinks to a secret file, a fake SSH key, ``/etc/passwd`` and a directory outside;
    a Latin-1 file name and non-UTF-8 contents; binary files; very long lines; a text
    file over the 1 MB read limit; an LFS pointer; a submodule with an ``ext::`` URL;
    executable hooks committed in the tree; and, in the source ``.git``, hooks and
    config (fsmonitor, sshCommand, pager) that plain git would execute. The README is
    full of HTML, script tags and markdown tricks.
    """
    marker = outside.markers
    hook = f"#!/bin/sh\ntouch {marker}/$(basename $0)-ran\n"
    files: dict[str | bytes, FileContent] = {
        "README.md": HOSTILE_README.format(xss=XSS_MARK, marker=marker),
        "hostile_tool/__init__.py": HOSTILE_CODE,
        "hostile_tool/long_line.py": "DATA = '" + "z" * 60_000 + "'\n",
        "static/app.min.js": "var a=1;" * 30_000,
        b"hostile_tool/caf\xe9.py": b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n",
        "hostile_tool/broken.py": b"x = '\xff\xfe\x80 not utf-8'\n",
        "data/huge.txt": "all work and no play\n" * 60_000,  # 1.3 MB, over the read limit
        "assets/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 8,
        "assets/blob.bin": bytes(range(256)) * 64,
        "assets/video.mp4": LFS_POINTER,
        ".gitmodules": (
            '[submodule "vendor/evil"]\n\tpath = vendor/evil\n'
            f"\turl = ext::sh -c touch% {marker}/submodule-ran\n"
        ),
        ".gitattributes": "* filter=evil diff=evil\n",
        ".githooks/post-checkout": hook,
        ".husky/pre-commit": hook,
    }
    symlinks = {
        "secret.txt": str(outside.secret_file),
        "id_ed25519": str(outside.ssh_key_file),
        "ssh_dir": str(outside.ssh_key_file.parent),
        "home_ssh": "~/.ssh/id_rsa",
        "passwd": "/etc/passwd",
        "etc": "/etc",
        "outside_dir": str(outside.secret_dir),
        "up": "../../outside/secret.txt",
        "docs/README.md": str(outside.secret_file),
    }
    make_repo(path, files, symlinks=symlinks, commit=False)
    for name in (".githooks/post-checkout", ".husky/pre-commit"):
        (path / name).chmod(0o755)
    commit_all(path, "Initial commit")
    git(path, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},vendor/evil")
    git(path, "commit", "-q", "--no-verify", "-m", "Add submodule")
    # The source repository's own .git: what a local path could carry.
    hooks = path / ".git" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    for name in (
        "post-checkout",
        "pre-upload-pack",
        "post-upload-pack",
        "reference-transaction",
        "post-index-change",
        "fsmonitor-watchman",
    ):
        (hooks / name).write_text(hook, encoding="utf-8")
        (hooks / name).chmod(0o755)
    fsmonitor = outside.markers.parent / "fsmonitor.sh"
    fsmonitor.write_text(f"#!/bin/sh\ntouch {marker}/config-command-ran\n", encoding="utf-8")
    fsmonitor.chmod(0o755)
    for key in ("core.fsmonitor", "core.sshCommand", "core.pager", "uploadpack.packObjectsHook"):
        git(path, "config", key, str(fsmonitor))
    git(path, "config", "core.hooksPath", ".githooks")
    return path


README_ONLY = """# Paper Plane

A design note for a paper plane folding guide that explains, step by step, how to fold \
a dart that flies straight and far, and how to trim its wings when it dives or stalls.

## Usage

```sh
fold --model dart --paper a4
```
"""


def readme_only_repo(path: Path) -> Path:
    return make_repo(path, {"README.md": README_ONLY})


TINY_README = """# wordle-solver

A tiny command line helper that suggests the best next guess for Wordle puzzles.

## Install

```sh
pip install wordle-solver
```

## Usage

```python
from wordle_solver import best_guess

print(best_guess(["crane", "slate"]))
```
"""

TINY_CODE = '''"""Suggest the next Wordle guess."""


def best_guess(candidates: list[str]) -> str:
    """Return the candidate that shares the most letters with the others."""
    def score(word: str) -> int:
        return sum(len(set(word) & set(other)) for other in candidates)

    return max(candidates, key=score)
'''


def tiny_repo(path: Path) -> Path:
    """A small, ordinary project (about 40 s of narration): the service checks render it."""
    return make_repo(path, {"README.md": TINY_README, "wordle_solver/__init__.py": TINY_CODE})
