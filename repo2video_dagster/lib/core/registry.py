"""Partition key -> target registry.

A dynamic partition key is derived from a URL or path, but not every key can be
turned back into its target (local keys carry a hash). Whoever registers a
partition (CLI, sensor, schedule) records the target here, and the
``repo_snapshot`` asset reads it back. One small JSON file per key keeps writes
atomic and free of locking.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from repo2video_dagster.lib.core.records import RepoSource


def valid_key(key: str) -> bool:
    """Whether ``key`` can be a partition key here (a file name: no ``/``, no leading dot).

    Dagster's "Add partition" accepts any text, so a pasted URL can be a partition key.
    """
    return bool(key) and "/" not in key and "\\" not in key and not key.startswith(".")


def registered_target(source: RepoSource) -> str:
    """What the registry keeps for a source: a target that parses back to the same key
    from any directory. A local repository by its absolute path (what was typed may be
    relative), anything else as it was given (a URL)."""
    return source.url if source.kind == "local" else source.target


class SourceRegistry:
    def __init__(self, data_dir: Path | str) -> None:
        self.root = Path(data_dir) / "sources"

    def _path(self, key: str) -> Path:
        if not valid_key(key):
            raise ValueError(f"invalid partition key {key!r}")
        return self.root / f"{key}.json"

    def put(self, key: str, target: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self._path(key)
        if path.exists() and self.get(key) == target:
            return
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"key": key, "target": target}, fh)
        os.replace(tmp, path)

    def add(self, source: RepoSource) -> None:
        """Record ``source`` under its key, by the one rule (:func:`registered_target`)."""
        self.put(source.key, registered_target(source))

    def remove(self, key: str) -> bool:
        """Forget ``key``; False when it was not registered."""
        if not valid_key(key):
            return False
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def get(self, key: str) -> str | None:
        if not valid_key(key):
            return None
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))["target"]
        except (FileNotFoundError, KeyError, json.JSONDecodeError):
            return None

    def target_for(self, key: str) -> str | None:
        """The registered target, or the GitHub URL a plain ``owner__name`` key stands for."""
        target = self.get(key)
        if target:
            return target
        parts = key.split("__")
        if len(parts) == 2 and all(parts) and not key.startswith("local__"):
            return f"https://github.com/{parts[0]}/{parts[1]}"
        return None

    def items(self) -> dict[str, str]:
        if not self.root.is_dir():
            return {}
        out: dict[str, str] = {}
        for path in sorted(self.root.glob("*.json")):
            target = self.get(path.stem)
            if target:
                out[path.stem] = target
        return out
