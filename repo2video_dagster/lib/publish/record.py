"""The publication of one repository's render, as a file next to its outputs.

``publication.json`` in the output directory says what happened last: published
(with the URLs), deferred (until when, why) or failed (the one-line reason). The
deferred-publication schedule, the site (YouTube link) and ``/jobs`` read it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PUBLICATION_NAME = "publication.json"


@dataclass
class PublicationRecord:
    key: str
    commit: str | None
    status: str
    """``published``, ``deferred``, ``failed`` or ``off``."""
    updated_at: str
    until: str | None = None
    reason: str | None = None
    youtube: list[dict[str, Any]] = field(default_factory=list)
    github: dict[str, Any] = field(default_factory=dict)

    def urls(self) -> dict[str, str]:
        """Every URL the publication produced, by name (``youtube_landscape``, ``release``...)."""
        out = {f"youtube_{v['format']}": v["url"] for v in self.youtube if v.get("url")}
        out.update(
            {k: v for k, v in self.github.items() if k.endswith("_url") and isinstance(v, str)}
        )
        return out


def write_publication(out_dir: Path, record: PublicationRecord) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / PUBLICATION_NAME
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".publication-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(record), fh, indent=2, sort_keys=True)
    os.replace(tmp, path)
    return path


def read_publication(out_dir: Path) -> PublicationRecord | None:
    try:
        data = json.loads((out_dir / PUBLICATION_NAME).read_text(encoding="utf-8"))
        return PublicationRecord(**data)
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None
