"""Build small git repositories with the real ``git`` binary, reproducibly.

The benchmark sample, the reliability corpus and the tests all need real
repositories whose commit shas do not change between runs, so git runs here
isolated from the caller's configuration, with fixed authors and dates, and
always with an argument list (never a shell).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

Author = tuple[str, str]
"""(name, email)."""
FileContent = str | bytes | None
"""Text, raw bytes, or ``None`` to delete the file."""

DEFAULT_AUTHOR: Author = ("Ada Lovelace", "ada@example.com")
DEFAULT_DATE = "2024-03-01T10:00:00+00:00"


def git_env(author: Author = DEFAULT_AUTHOR, date: str | datetime = DEFAULT_DATE) -> dict[str, str]:
    """An environment with no user or system git config and a fixed identity and time."""
    stamp = date.isoformat() if isinstance(date, datetime) else date
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": author[0],
        "GIT_COMMITTER_EMAIL": author[1],
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
        "LC_ALL": "C",
    }


def git(
    repo: Path | str,
    *args: str,
    author: Author = DEFAULT_AUTHOR,
    date: str | datetime = DEFAULT_DATE,
    stdin: bytes | None = None,
) -> str:
    """Run git in ``repo``; return stdout, stripped. Symlinks are stored as links (tests need them)."""
    out = subprocess.run(
        ["git", "-c", "core.symlinks=true", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        env=git_env(author, date),
        input=stdin,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.stdout.decode("utf-8", "replace").strip()


def write_files(
    root: Path,
    files: Mapping[str | bytes, FileContent],
    symlinks: Mapping[str, str] | None = None,
) -> None:
    """Write (or, for ``None``, delete) files and create symlinks in the working tree at ``root``.

    Names may be bytes, so tests can create file names that are not valid UTF-8.
    """
    for name, content in files.items():
        path = root / (os.fsdecode(name) if isinstance(name, bytes) else name)
        if content is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for name, target in (symlinks or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        os.symlink(target, path)


def commit_all(
    repo: Path | str,
    message: str,
    *,
    author: Author = DEFAULT_AUTHOR,
    date: str | datetime = DEFAULT_DATE,
) -> str:
    """Stage everything and commit (hooks skipped, empty allowed); return the new sha."""
    git(repo, "add", "-A", author=author, date=date)
    git(
        repo,
        "commit",
        "-q",
        "--no-verify",
        "--allow-empty",
        "-m",
        message,
        author=author,
        date=date,
    )
    return git(repo, "rev-parse", "HEAD")


def init_repo(path: Path | str, branch: str = "main") -> Path:
    """An empty repository (no commits) at ``path``, created if missing."""
    repo = Path(path)
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", branch)
    return repo
