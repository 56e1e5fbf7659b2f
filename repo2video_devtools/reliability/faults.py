"""Fault injection for output directories: a tiny filesystem that fills up, a read-only one.

Root ignores permission bits, so "read-only" is a read-only bind mount when we are
root (EROFS) and ``chmod 0555`` otherwise (EACCES). "Disk full" is a small tmpfs
filled to within a few hundred KB. Mounting needs root (or CAP_SYS_ADMIN);
:func:`can_mount` says whether this machine allows it, so tests can skip with a reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

FILLER = ".r2v-filler"


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


def _umount(path: Path) -> None:
    proc = subprocess.run(["umount", str(path)], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:  # still busy: detach it now, it goes when the last user closes
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


def can_mount(probe: Path) -> str | None:
    """None when a tmpfs can be mounted here, else the reason it cannot."""
    if shutil.which("mount") is None:
        return "no mount command"
    if os.geteuid() != 0:
        return "not root: cannot mount a tmpfs"
    probe.mkdir(parents=True, exist_ok=True)
    proc = _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe))
    if proc.returncode != 0:
        return f"mount refused: {proc.stderr.strip() or proc.returncode}"
    _umount(probe)
    return None


@contextlib.contextmanager
def tmpfs(path: Path, size_mb: int) -> Iterator[Path]:
    """A fresh tmpfs of ``size_mb`` at ``path`` for the duration of the block."""
    path.mkdir(parents=True, exist_ok=True)
    proc = _mount("-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(path))
    if proc.returncode != 0:
        raise OSError(f"cannot mount a tmpfs at {path}: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        _umount(path)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[str]:
    """Make ``path`` unwritable (even for root); yields the errno name writes will get."""
    if os.geteuid() == 0:
        for args in (
            ("--bind", str(path), str(path)),
            ("-o", "remount,ro,bind", str(path)),
        ):
            proc = _mount(*args)
            if proc.returncode != 0:
                _umount(path)
                raise OSError(f"cannot make {path} read-only: {proc.stderr.strip()}")
        try:
            yield "EROFS"
        finally:
            _umount(path)
        return
    mode = path.stat().st_mode
    path.chmod(0o555)
    try:
        yield "EACCES"
    finally:
        path.chmod(mode)


def fill(path: Path, leave_bytes: int) -> int:
    """Write a filler file on ``path``'s filesystem until only ``leave_bytes`` are free."""
    free = shutil.disk_usage(path).free
    size = max(0, free - leave_bytes)
    chunk = b"\0" * (1 << 20)
    with open(path / FILLER, "wb") as fh:
        remaining = size
        while remaining > 0:
            try:
                remaining -= fh.write(chunk[: min(len(chunk), remaining)])
            except OSError:
                break
    return shutil.disk_usage(path).free


def unfill(path: Path) -> None:
    (path / FILLER).unlink(missing_ok=True)


def partial_files(folder: Path, min_bytes: int = 0) -> list[str]:
    """Temporary encoder outputs in ``folder`` and below (``.reel.<tag>.part.mp4``, scene
    chunks being encoded under ``.chunks/``, and friends) holding at least ``min_bytes``.

    With ``min_bytes`` set, a non-empty answer means an encoder is writing frames now,
    not just opening its output.
    """
    if not folder.exists():
        return []
    found = []
    for path in folder.rglob(".*part*"):
        try:
            if path.is_file() and path.stat().st_size >= min_bytes:
                found.append(str(path.relative_to(folder)))
        except OSError:  # renamed into place (or removed) since the listing
            continue
    return sorted(found)


MID_ENCODE_BYTES = 64 * 1024
"""A partial output this large means the encoder is well into writing frames."""
