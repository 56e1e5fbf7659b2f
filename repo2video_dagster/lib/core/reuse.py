"""Content-addressed reuse of a stage's result.

A stage's result is reused when the fingerprint of everything it depends on
(inputs, settings, the stage's code version) is unchanged and the files it names
still exist. This is what makes an unchanged commit cheap to re-run, and what
limits an edit of one scene to the work that depends on it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from repo2video_dagster.lib.core.records import to_jsonable

log = logging.getLogger(__name__)
T = TypeVar("T")


def fingerprint(*parts: Any) -> str:
    """A stable hash of JSON-able values, records and file contents (``Path`` -> content hash)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            digest.update(file_digest(part).encode())
        else:
            digest.update(json.dumps(to_jsonable(part), sort_keys=True, default=str).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


_PRODUCT_DIR = Path(__file__).resolve().parents[2]


def _source_files(source: ModuleType) -> list[Path]:
    """A module's file, or every ``.py`` below a package."""
    path = Path(source.__file__ or "").resolve()
    if path.name == "__init__.py":
        return sorted(path.parent.rglob("*.py"))
    return [path]


@functools.cache
def source_version(*sources: ModuleType) -> str:
    """A short hash of the source code of ``sources`` (modules or whole packages).

    Part of every stage's reuse key, so that upgrading repo2video never serves a
    result made by older code; hand-bumped version numbers get forgotten. Modules
    are passed as objects, so a rename is an import error, not a silent key. With
    no argument: every module of ``lib/`` and ``assets/`` (what decides an output).
    """
    if sources:
        files = [f for source in sources for f in _source_files(source)]
    else:
        files = sorted(
            [*(_PRODUCT_DIR / "lib").rglob("*.py"), *(_PRODUCT_DIR / "assets").glob("*.py")]
        )
    digest = hashlib.sha256()
    for path in files:
        try:
            name = path.relative_to(_PRODUCT_DIR).as_posix()
        except ValueError:
            name = path.name
        digest.update(name.encode() + b"\x00")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def memoized(
    store_dir: Path,
    name: str,
    key: str,
    compute: Callable[[], T],
    files: Callable[[T], Iterable[str]] = lambda _: (),
    reuse: bool = True,
) -> tuple[T, bool]:
    """Return ``(result, reused)``: the stored result when ``key`` matches, else ``compute()``.

    ``files`` lists the paths a result refers to; if any is gone the stored result
    is not trusted and the stage runs again.
    """
    path = store_dir / f"{name}.memo"
    try:
        if not reuse:
            raise FileNotFoundError
        with open(path, "rb") as fh:
            stored_key, value = pickle.load(fh)
        if stored_key == key and all(Path(f).exists() for f in files(value)):
            return value, True
    except FileNotFoundError:
        pass
    except Exception as err:  # a stale or foreign pickle is only a cache miss
        log.debug("ignoring unreadable memo %s: %s", path, err)
    value = compute()
    store_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=store_dir, prefix=f".{name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump((key, value), fh)
    os.replace(tmp, path)
    return value, False
