"""One record per (repository, rendered video content): the idempotency of uploads.

A step retried after the video was created, a re-run of the same commit or a daemon
killed mid-upload must never create a second video. So every fact an upload learns
is written here before the next call is made: the resumable session URI (as soon as
``videos.insert`` opens it), the video id (as soon as the last chunk is accepted),
the digest of the metadata sent, and which thumbnail, caption tracks and playlist item
are done. A new attempt reads the record and resumes the unfinished session or
reuses the finished video. The key is the SHA-256 of the video file, so a render
with identical bytes maps to the same video and a changed render to a new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class UploadRecord:
    """What is known about one video's publication (all steps are resumable from it)."""

    key: str
    format: str
    content_sha256: str
    session_uri: str | None = None
    video_id: str | None = None
    metadata_digest: str | None = None
    thumbnail_sha256: str | None = None
    captions: dict[str, str] = field(default_factory=dict)
    playlist_item_id: str | None = None
    playlist_id: str | None = None
    inserts: int = 0
    """How many ``videos.insert`` sessions were opened for this content (1 when all is well)."""

    @property
    def url(self) -> str | None:
        if not self.video_id:
            return None
        if self.format == "reel":
            return f"https://www.youtube.com/shorts/{self.video_id}"
        return f"https://www.youtube.com/watch?v={self.video_id}"


class UploadStore:
    """JSON records under ``root``/<key>/<format>-<sha256 prefix>.json, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str, fmt: str, sha: str) -> Path:
        return self.root / key / f"{fmt}-{sha[:24]}.json"

    def load(self, key: str, fmt: str, sha: str) -> UploadRecord:
        path = self.path(key, fmt, sha)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return UploadRecord(key=key, format=fmt, content_sha256=sha)
        return UploadRecord(**data)

    def save(self, record: UploadRecord) -> None:
        path = self.path(record.key, record.format, record.content_sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".record-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(record), fh, indent=2, sort_keys=True)
        os.replace(tmp, path)

    def records(self, key: str) -> list[UploadRecord]:
        """Every record of ``key`` (for the jobs view and the site's YouTube link)."""
        out = []
        for path in sorted((self.root / key).glob("*.json")):
            try:
                out.append(UploadRecord(**json.loads(path.read_text(encoding="utf-8"))))
            except (json.JSONDecodeError, TypeError):
                continue
        return out
