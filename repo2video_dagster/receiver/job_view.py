"""A job as the HTTP API shows it: outputs relative to the data directory, never server paths.

``receiver.jobs`` returns what run storage holds (absolute paths, as the
``repo2video jobs`` CLI on the server shows them). Over HTTP a path under the
data directory becomes relative to it (``output/owner__name/reel.mp4``); any
other path is shown by its file name only; URLs (``https://``, ``s3://`` ...) stay
links.
"""

from __future__ import annotations

import posixpath
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit


def shown_output(value: str, data_dir: Path | None) -> str:
    """``value`` with an absolute path (or ``file://`` URL) made relative to ``data_dir``."""
    if value.startswith("file://"):
        path = unquote(urlsplit(value).path)
    elif value.startswith("/"):
        path = value
    else:
        return value
    normal = PurePosixPath(posixpath.normpath(path))
    if data_dir is not None:
        try:
            return normal.relative_to(PurePosixPath(data_dir.as_posix())).as_posix()
        except ValueError:
            pass
    return normal.name


def public_job(job: dict[str, Any], data_dir: Path | None) -> dict[str, Any]:
    """A copy of ``job`` whose ``result`` and ``outputs`` hold no absolute server paths."""
    shown = dict(job)
    shown["result"] = {
        asset: {k: shown_output(v, data_dir) for k, v in values.items()}
        for asset, values in (job.get("result") or {}).items()
    }
    shown["outputs"] = {k: shown_output(v, data_dir) for k, v in (job.get("outputs") or {}).items()}
    return shown
