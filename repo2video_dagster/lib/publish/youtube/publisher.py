"""One video's publication on YouTube, step by step, each step recorded.

Steps: upload (``videos.insert``, resumable) or reuse the stored video, with
``videos.update`` when the metadata changed since it was sent; ``thumbnails.set``;
``captions.insert`` per subtitle track; ``playlistItems.insert``. Before anything is
sent the whole plan is priced against today's quota; a plan that does not fit, or
an API answer ``quotaExceeded`` at any step, gives a :class:`Deferred` result: the
record keeps what was done and the next attempt (after the reset) does the rest.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repo2video_dagster.lib.core.reuse import file_digest
from repo2video_dagster.lib.publish.errors import PublishError, PublishServiceError
from repo2video_dagster.lib.publish.youtube.auth import AUTH_HINT
from repo2video_dagster.lib.publish.youtube.metadata import VideoMetadata
from repo2video_dagster.lib.publish.youtube.quota import Deferred, QuotaLedger
from repo2video_dagster.lib.publish.youtube.store import UploadRecord, UploadStore
from repo2video_dagster.lib.publish.youtube.upload import (
    Backoff,
    QuotaExceeded,
    call,
    upload_video,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptionTrack:
    language: str
    name: str
    path: Path


@dataclass(frozen=True)
class VideoJob:
    """What to publish: one rendered video file and what goes with it."""

    key: str
    format: str
    video_path: Path
    metadata: VideoMetadata
    thumbnail_path: Path | None = None
    captions: tuple[CaptionTrack, ...] = ()
    playlist_id: str | None = None


@dataclass
class VideoResult:
    format: str
    status: str  # "published" or "deferred"
    video_id: str | None = None
    url: str | None = None
    until: str | None = None
    reason: str | None = None
    steps: list[str] = field(default_factory=list)
    """What this attempt did: ``insert``, ``resume``, ``reuse``, ``update``, ``thumbnail``, ``caption:en``, ``playlist``."""


def _mimetype(path: Path) -> str:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}.get(
        path.suffix.lower(), "application/octet-stream"
    )


class YouTubePublisher:
    """Publishes :class:`VideoJob` s through one authorized client."""

    def __init__(
        self,
        youtube: Any,
        http: Any,
        store: UploadStore,
        ledger: QuotaLedger,
        *,
        chunk_bytes: int = 8 << 20,
        backoff_factory: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.youtube = youtube
        self.http = http
        self.store = store
        self.ledger = ledger
        self.chunk_bytes = chunk_bytes
        self.backoff_factory = backoff_factory

    def plan(self, job: VideoJob, record: UploadRecord) -> Counter[str]:
        """The calls still to make for ``job`` (method -> count)."""
        calls: Counter[str] = Counter()
        if not record.video_id:
            if not record.session_uri:
                calls["videos.insert"] += 1
        elif record.metadata_digest != job.metadata.digest():
            calls["videos.update"] += 1
        if job.thumbnail_path and record.thumbnail_sha256 != file_digest(job.thumbnail_path):
            calls["thumbnails.set"] += 1
        for track in job.captions:
            if track.language not in record.captions:
                calls["captions.insert"] += 1
        if job.playlist_id and record.playlist_id != job.playlist_id:
            calls["playlistItems.insert"] += 1
        return calls

    def publish(self, job: VideoJob) -> VideoResult:
        record = self.store.load(job.key, job.format, file_digest(job.video_path))
        result = VideoResult(format=job.format, status="published")
        deferred = self.ledger.check(self.plan(job, record))
        if deferred is not None:
            return self._deferred(result, record, deferred)
        from google.auth import exceptions as auth_errors

        try:
            self._steps(job, record, result)
        except QuotaExceeded as err:
            return self._deferred(result, record, self.ledger.exhausted(err.method))
        except auth_errors.RefreshError as err:
            # invalid_grant: the token was revoked or expired (7 days for an app in "Testing").
            reason = err.args[0].split(":")[0] if err.args else "refused"
            raise PublishError(
                f"Google refused the YouTube refresh token ({reason})", hint=AUTH_HINT
            ) from None
        except auth_errors.TransportError:
            raise PublishServiceError("cannot reach Google's OAuth token endpoint") from None
        result.video_id, result.url = record.video_id, record.url
        return result

    def _deferred(
        self, result: VideoResult, record: UploadRecord, deferred: Deferred
    ) -> VideoResult:
        result.status = "deferred"
        result.until = deferred.until.isoformat(timespec="seconds")
        result.reason = deferred.reason
        result.video_id, result.url = record.video_id, record.url
        return result

    def _steps(self, job: VideoJob, record: UploadRecord, result: VideoResult) -> None:
        body = job.metadata.body()
        digest = job.metadata.digest()
        if not record.video_id:
            result.steps.append("resume" if record.session_uri else "insert")
            video = upload_video(
                self.youtube,
                self.http,
                job.video_path,
                body,
                record,
                self.store,
                chunk_bytes=self.chunk_bytes,
                backoff=self.backoff_factory(),
                on_insert=lambda: self.ledger.spend("videos.insert"),
            )
            record.video_id = video["id"]
            record.metadata_digest = digest
            self.store.save(record)
            log.info("uploaded %s as %s", job.format, record.video_id)
        elif record.metadata_digest != digest:
            result.steps.append("update")
            self.ledger.spend("videos.update")
            request = self.youtube.videos().update(
                part="snippet,status", body={"id": record.video_id, **body}
            )
            call("videos.update", request, self.backoff_factory())
            record.metadata_digest = digest
            self.store.save(record)
        else:
            result.steps.append("reuse")
        self._thumbnail(job, record, result)
        self._captions(job, record, result)
        self._playlist(job, record, result)

    def _thumbnail(self, job: VideoJob, record: UploadRecord, result: VideoResult) -> None:
        from googleapiclient.http import MediaFileUpload

        if not job.thumbnail_path:
            return
        sha = file_digest(job.thumbnail_path)
        if record.thumbnail_sha256 == sha:
            return
        self.ledger.spend("thumbnails.set")
        media = MediaFileUpload(str(job.thumbnail_path), mimetype=_mimetype(job.thumbnail_path))
        request = self.youtube.thumbnails().set(videoId=record.video_id, media_body=media)
        call("thumbnails.set", request, self.backoff_factory())
        record.thumbnail_sha256 = sha
        self.store.save(record)
        result.steps.append("thumbnail")

    def _captions(self, job: VideoJob, record: UploadRecord, result: VideoResult) -> None:
        from googleapiclient.http import MediaFileUpload

        for track in job.captions:
            if track.language in record.captions:
                continue
            self.ledger.spend("captions.insert")
            media = MediaFileUpload(str(track.path), mimetype="application/octet-stream")
            body = {
                "snippet": {
                    "videoId": record.video_id,
                    "language": track.language,
                    "name": track.name,
                    "isDraft": False,
                }
            }
            request = self.youtube.captions().insert(part="snippet", body=body, media_body=media)
            answer = call("captions.insert", request, self.backoff_factory())
            record.captions[track.language] = answer.get("id", "")
            self.store.save(record)
            result.steps.append(f"caption:{track.language}")

    def _playlist(self, job: VideoJob, record: UploadRecord, result: VideoResult) -> None:
        if not job.playlist_id or record.playlist_id == job.playlist_id:
            return
        self.ledger.spend("playlistItems.insert")
        body = {
            "snippet": {
                "playlistId": job.playlist_id,
                "resourceId": {"kind": "youtube#video", "videoId": record.video_id},
            }
        }
        request = self.youtube.playlistItems().insert(part="snippet", body=body)
        answer = call("playlistItems.insert", request, self.backoff_factory())
        record.playlist_item_id = answer.get("id")
        record.playlist_id = job.playlist_id
        self.store.save(record)
        result.steps.append("playlist")
