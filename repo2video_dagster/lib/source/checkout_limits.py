"""Size and file-count limits of a checkout, enforced while it is downloaded and checked out.

A huge repository must cost at most the configured budget: the download is
watched as it grows, the tree is counted before any content is checked out, and
the working tree is measured with an early stop. Git LFS pointers are recognised
here too, since their real content is never downloaded.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from repo2video_dagster.lib.core.errors import RepositoryLimitError
from repo2video_dagster.lib.core.records import RepoSource
from repo2video_dagster.lib.source.policy import launchpad_key

_LFS_PREFIX = b"version https://git-lfs.github.com/spec/"


class LimitExceeded(Exception):
    """A limit was passed mid-clone; ``kind`` ("files" or "bytes") picks the hint of the user error."""

    def __init__(self, what: str, kind: str) -> None:
        super().__init__(what)
        self.what = what
        self.kind = kind


def limit_error(source: RepoSource, what: str, kind: str) -> RepositoryLimitError:
    """The user-facing error for a passed limit, naming the setting that raises it."""
    if kind == "bytes":
        hint = "Raise REPO2VIDEO_MAX_REPO_MB or pick a smaller repository"
        field = "max_repo_bytes"
    else:
        hint = "Raise REPO2VIDEO_MAX_FILES or pick a smaller repository"
        field = "max_files"
    ui_hint = f"Raise {launchpad_key(field)} or pick a smaller repository"
    return RepositoryLimitError(
        f"{source.display_name} is too large: {what}", hint=hint, ui_hint=ui_hint
    )


def download_guard(tmp: Path, max_bytes: int) -> Callable[[], None]:
    """Stop a download whose packs already exceed the size limit.

    Packed objects are compressed, so a pack larger than the limit means the
    checkout would be larger still; this caps what a huge repository can cost
    before the exact working-tree count runs.
    """
    objects = tmp / ".git" / "objects"

    def check() -> None:
        total = 0
        for folder in (objects / "pack", objects):
            with contextlib.suppress(OSError), os.scandir(folder) as it:
                for entry in it:
                    if entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
        if total > max_bytes:
            raise LimitExceeded(f"download passed {human_size(max_bytes)}", "bytes")

    return check


def tree_entries(raw: bytes) -> tuple[list[str], list[str], list[str]]:
    """Split ``ls-tree -r -z`` output into regular files, symlinks and submodules."""
    files, links, gitlinks = [], [], []
    for record in raw.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode = meta.split(b" ", 1)[0]
        name = path.decode("utf-8", "replace")
        if mode == b"120000":
            links.append(name)
        elif mode == b"160000":
            gitlinks.append(name)
        else:
            files.append(name)
    return files, links, gitlinks


def measure_tree(root: Path, max_files: int, max_bytes: int) -> tuple[int, int, int]:
    """Count files and bytes of the working tree (never following links); stop early at limits."""
    files = size = lfs = 0
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    if not (folder == str(root) and entry.name == ".git"):
                        stack.append(entry.path)
                    continue
                st = entry.stat(follow_symlinks=False)
                files += 1
                size += st.st_size
                if files > max_files:
                    raise LimitExceeded(f"more than {max_files} files", "files")
                if size > max_bytes:
                    raise LimitExceeded(f"more than {human_size(max_bytes)} checked out", "bytes")
                if (
                    entry.is_file(follow_symlinks=False)
                    and st.st_size < 512
                    and _is_lfs(entry.path)
                ):
                    lfs += 1
    return files, size, lfs


def human_size(size: int) -> str:
    """A byte count as people read it in a limit message (MB, KB or bytes)."""
    if size >= 1024**2:
        return f"{size / 1024**2:.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def _is_lfs(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    with os.fdopen(fd, "rb") as fh:
        return fh.read(len(_LFS_PREFIX)) == _LFS_PREFIX


def is_lfs_pointer(data: bytes) -> bool:
    """Whether file content is a Git LFS pointer (the real content lives elsewhere)."""
    return data.startswith(_LFS_PREFIX)
