"""List a checkout and read its files safely: never out of it, never through a link.

The walk never follows symbolic links, and a file is opened only when its real
path lies inside the checkout, with ``O_NOFOLLOW``. Reading also classifies each
file (text or binary, language) and counts its code lines.
"""

from __future__ import annotations

import os
import re

from repo2video_dagster.lib.source.checkout_limits import is_lfs_pointer
from repo2video_dagster.lib.source.git import GitCommandError, GitTimeoutError, run_git
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.profile.files import (
    SKIP_DIRS,
    CheckoutScan,
    ScannedFile,
    display_name,
    is_hidden,
)
from repo2video_dagster.lib.source.profile.languages import language_of

MAX_WALK_FILES = 200_000
"""Hard stop for the walk, for checkouts that did not come through clone_snapshot."""


_LOCK_FILES = {
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "npm-shrinkwrap.json",
    "cargo.lock",
    "poetry.lock",
    "pipfile.lock",
    "gemfile.lock",
    "composer.lock",
    "go.sum",
    "uv.lock",
    "pdm.lock",
    "bun.lockb",
    "mix.lock",
    "flake.lock",
}
"""Lock files are written by tools: text in a language, but not code anyone wrote."""
_GENERATED_RE = re.compile(
    r"(\.min\.(js|css)$|\.map$|_pb2(_grpc)?\.py$|\.pb\.go$|\.generated\.\w+$|\.g\.dart$)", re.I
)


def walk_checkout(root: str) -> CheckoutScan:
    """All files under root except ``.git``, without following symlinks."""
    files: list[ScannedFile] = []
    scan = CheckoutScan(root=root, files=files, by_rel={})
    stack: list[tuple[str, str, bool]] = [(root, "", False)]
    while stack:
        folder, prefix, skipped = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            scan.notes.append(
                f"could not read directory {display_name(prefix) or '.'}: {exc.strerror}"
            )
            continue
        for entry in entries:
            rel = f"{prefix}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                if entry.name == ".git":
                    continue
                skip_here = skipped or entry.name in SKIP_DIRS
                if entry.name in SKIP_DIRS and not skipped:
                    scan.skipped_dirs.add(entry.name)
                stack.append((entry.path, rel + "/", skip_here))
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if len(files) >= MAX_WALK_FILES:
                scan.notes.append(f"stopped listing files after {MAX_WALK_FILES}")
                stack.clear()
                break
            files.append(
                ScannedFile(rel=rel, size=st.st_size, skipped_dir=skipped, link=entry.is_symlink())
            )
    files.sort(key=lambda f: f.rel)
    scan.by_rel = {f.rel: f for f in files}
    if scan.skipped_dirs:
        names = ", ".join(f"{d}/" for d in sorted(scan.skipped_dirs)[:6])
        scan.notes.append(f"vendored or generated directories not counted: {names}")
    if any(display_name(f.rel) != f.rel for f in files):
        scan.notes.append("some file names are not valid UTF-8; shown with replacement characters")
    return scan


def is_inside(root: str, path: str) -> bool:
    """Whether ``path`` (already resolved) lies in ``root``."""
    try:
        return os.path.commonpath([root, path]) == root
    except ValueError:
        return False


def read_bytes(root: str, rel: str, limit: int) -> bytes | None:
    """Read at most ``limit`` bytes of a file that really lies inside ``root``; never follow links."""
    full = os.path.join(root, rel)
    if not is_inside(root, os.path.realpath(full)):
        return None
    try:
        fd = os.open(
            full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            if not os.path.isfile(full) or os.path.islink(full):
                return None
            return fh.read(limit)
        except OSError:
            return None


def read_text(root: str, rel: str, limit: int) -> str | None:
    """:func:`read_bytes` decoded as UTF-8, undecodable bytes replaced."""
    data = read_bytes(root, rel, limit)
    return None if data is None else data.decode("utf-8", "replace")


def git_symlinks(root: str) -> set[str]:
    """Paths git stores as symbolic links; with ``core.symlinks=false`` they are plain files
    holding the link text, which must not be mistaken for content."""
    if not os.path.isdir(os.path.join(root, ".git")):
        return set()
    try:
        out = run_git(["ls-files", "-s", "-z"], root, OFFLINE_GIT, 30, offline=True)
    except (GitCommandError, GitTimeoutError, OSError):
        return set()
    links = set()
    for record in out.split(b"\0"):
        meta, _, path = record.partition(b"\t")
        if meta.startswith(b"120000"):
            links.add(os.fsdecode(path))
    return links


OFFLINE_GIT = SourcePolicy(allowed_hosts=())
"""Git commands on a checkout never reach a network: the profile reads the checkout alone."""


def scan_contents(scan: CheckoutScan, max_file_bytes: int) -> None:
    """Classify every file (text/binary, language) and count non-blank code lines."""
    huge: list[str] = []
    binary = lfs = links = 0
    for f in scan.files:
        if f.link:
            links += 1
            continue
        if f.skipped_dir or is_hidden(f.parts[:-1]):
            continue
        if f.size > max_file_bytes:
            huge.append(f.display)
            continue
        data = read_bytes(scan.root, f.rel, max_file_bytes)
        if data is None:
            continue
        if b"\0" in data[:8192]:
            binary += 1
            continue
        if is_lfs_pointer(data):
            lfs += 1
            continue
        f.text = True
        lang = language_of(f.name)
        if lang is None or f.name.lower() in _LOCK_FILES or _GENERATED_RE.search(f.name):
            continue
        text = data.decode("utf-8", "replace")
        lines = sum(1 for line in text.splitlines() if line.strip())
        if lines and len(data) / lines > 300:  # minified or generated one-liners
            continue
        f.language, f.lines = lang, lines
    if huge:
        shown = ", ".join(huge[:3]) + (" …" if len(huge) > 3 else "")
        scan.notes.append(f"{len(huge)} file(s) over {max_file_bytes} bytes not read: {shown}")
    if lfs:
        scan.notes.append(f"{lfs} Git LFS pointer file(s) skipped")
    if links:
        scan.notes.append(f"{links} symbolic link(s) not followed")
    if binary:
        scan.notes.append(f"{binary} binary file(s) not counted")
