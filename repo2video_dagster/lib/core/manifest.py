"""The per-repository manifest: what the last complete render produced.

Written last, after every output file is in place, so its presence means the
render finished. The CLI reads it to answer "cached" for an unchanged commit
without starting Dagster, and the catalog is built from all manifests.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"


def write_manifest(out_dir: Path, data: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MANIFEST_NAME
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".manifest-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)
    return path


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def manifest_files(data: dict[str, Any]) -> list[str]:
    """Every output path a manifest names (videos, captions, thumbnail, post)."""
    files = [v["path"] for v in data.get("videos", [])]
    files += [
        data[k]
        for k in ("thumbnail", "srt", "vtt", "words_json", "post_markdown", "post_html")
        if data.get(k)
    ]
    return files


def manifest_complete(data: dict[str, Any]) -> bool:
    return all(Path(p).exists() for p in manifest_files(data))
