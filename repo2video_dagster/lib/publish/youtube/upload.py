"""Calls to the API with Google's retry rules, and the resumable ``videos.insert``.

Google's upload guide: retry HTTP 500, 502, 503, 504 and connection errors with
exponential backoff; after an interruption ask the session how much it holds
(``PUT`` with ``Content-Range: bytes */size``; HTTP 308 and a ``Range`` header) and
send only the rest. google-api-python-client does that query itself on the next
``next_chunk`` after a failed chunk; across processes (a daemon restarted mid-upload)
:func:`probe_session` asks the stored session URI the same question.

Every fact is saved to the upload record as soon as it is known (the session URI
before the first chunk is retried, the video id when the last chunk is accepted), so
an attempt that dies anywhere is resumed by the next, never repeated.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repo2video_dagster.lib.publish.errors import PublishError, PublishServiceError
from repo2video_dagster.lib.publish.youtube.store import UploadRecord, UploadStore

log = logging.getLogger(__name__)

RETRIABLE_STATUS = frozenset({500, 502, 503, 504})
QUOTA_REASONS = frozenset({"quotaExceeded", "uploadLimitExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
"""Short-term rate limits (HTTP 403/429): retried with backoff like a 5xx, unlike quota."""


def _retriable(err: Any) -> bool:
    return _status(err) in RETRIABLE_STATUS or error_reason(err) in RATE_REASONS


class QuotaExceeded(Exception):
    """The API answered that a daily quota is spent (turned into a Deferred result)."""

    def __init__(self, method: str, reason: str) -> None:
        super().__init__(f"{method}: {reason}")
        self.method = method
        self.reason = reason


@dataclass
class Backoff:
    """Exponential backoff with jitter: ``base * 2**n`` (capped) plus up to ``base`` s."""

    attempts: int = 6
    base_s: float = 1.0
    max_s: float = 64.0
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    waits: list[float] = field(default_factory=list)

    def wait(self, failure: int) -> None:
        delay = min(self.max_s, self.base_s * 2 ** (failure - 1)) + self.rand() * self.base_s
        self.waits.append(delay)
        self.sleep(delay)


def _transport_errors() -> tuple[type[BaseException], ...]:
    import httplib2

    return (httplib2.HttpLib2Error, http.client.HTTPException, OSError)


def error_reason(err: Any) -> str:
    """The first ``errors[].reason`` (or ``status``) of a Google API error body."""
    try:
        body = json.loads(err.content)
        error = body.get("error", {})
        reasons = [e.get("reason", "") for e in error.get("errors", [])]
        return next((r for r in reasons if r), error.get("status", "")) or ""
    except (ValueError, AttributeError, TypeError):
        return ""


def _status(err: Any) -> int:
    return int(getattr(getattr(err, "resp", None), "status", 0) or 0)


def _failure_line(method: str, err: Any) -> str:
    reason = error_reason(err)
    return f"YouTube {method} answered HTTP {_status(err)}" + (f" ({reason})" if reason else "")


def call(method: str, request: Any, backoff: Backoff) -> Any:
    """``request.execute()`` with retries of 5xx and connection errors; quota → QuotaExceeded."""
    from googleapiclient.errors import HttpError

    failures = 0
    while True:
        try:
            return request.execute(num_retries=0)
        except HttpError as err:
            if error_reason(err) in QUOTA_REASONS:
                raise QuotaExceeded(method, error_reason(err)) from None
            if not _retriable(err):
                raise PublishError(_failure_line(method, err)) from None
            line = _failure_line(method, err)
        except _transport_errors() as err:
            line = f"YouTube {method}: {type(err).__name__}: {err}"
        failures += 1
        if failures >= backoff.attempts:
            raise PublishServiceError(line)
        log.warning("%s; retry %d of %d", line, failures, backoff.attempts - 1)
        backoff.wait(failures)


@dataclass(frozen=True)
class SessionState:
    """What a stored upload session holds: ``done`` (with the video) or ``offset`` bytes."""

    offset: int = 0
    video: dict | None = None
    gone: bool = False


def probe_session(http: Any, uri: str, size: int, backoff: Backoff) -> SessionState:
    """Ask an upload session how many bytes it has (HTTP 308 + ``Range: bytes=0-N``)."""
    failures = 0
    while True:
        try:
            resp, content = http.request(
                uri,
                "PUT",
                body=b"",
                headers={"Content-Range": f"bytes */{size}", "Content-Length": "0"},
            )
        except _transport_errors() as err:
            resp, content, line = None, b"", f"{type(err).__name__}: {err}"
        if resp is not None:
            if resp.status in (200, 201):
                return SessionState(offset=size, video=json.loads(content))
            if resp.status == 308:
                confirmed = resp.get("range")
                return SessionState(offset=int(confirmed.split("-")[1]) + 1 if confirmed else 0)
            if resp.status in (404, 410):
                return SessionState(gone=True)
            if resp.status not in RETRIABLE_STATUS:
                raise PublishError(f"YouTube upload session answered HTTP {resp.status}")
            line = f"HTTP {resp.status}"
        failures += 1
        if failures >= backoff.attempts:
            raise PublishServiceError(f"YouTube upload session status: {line}")
        backoff.wait(failures)


UploadStarted = Callable[[], None]


def upload_video(
    youtube: Any,
    http: Any,
    path: Path,
    body: dict,
    record: UploadRecord,
    store: UploadStore,
    *,
    chunk_bytes: int,
    backoff: Backoff,
    on_insert: UploadStarted,
) -> dict:
    """Upload ``path`` as a new video, or finish the session the record holds.

    ``on_insert`` is called before a new session is opened (the quota ledger records
    the ``videos.insert``). Returns the video resource YouTube answered.
    """
    from googleapiclient.errors import HttpError
    from googleapiclient.http import MediaFileUpload

    size = path.stat().st_size

    def new_request():
        media = MediaFileUpload(
            str(path), mimetype="video/mp4", chunksize=chunk_bytes, resumable=True
        )
        return youtube.videos().insert(
            part="snippet,status", body=body, media_body=media, notifySubscribers=False
        )

    request = new_request()
    if record.session_uri:
        state = probe_session(http, record.session_uri, size, backoff)
        if state.video is not None:
            return state.video
        if state.gone:
            log.warning("the stored upload session has expired; starting a new one")
            record.session_uri = None
            store.save(record)
        else:
            log.info("resuming the upload at byte %d of %d", state.offset, size)
            request.resumable_uri = record.session_uri
            request.resumable_progress = state.offset

    failures = 0
    while True:
        if request.resumable_uri is None:
            on_insert()
            record.inserts += 1
            store.save(record)
        before = (request.resumable_uri, request.resumable_progress)
        try:
            _progress, response = request.next_chunk(num_retries=0)
            failures = 0
            if response is not None:
                return response
            continue
        except HttpError as err:
            reason = error_reason(err)
            if reason in QUOTA_REASONS:
                raise QuotaExceeded("videos.insert", reason) from None
            if _status(err) in (404, 410) and request.resumable_uri:
                log.warning("the upload session is gone (HTTP %d); starting again", _status(err))
                record.session_uri = None
                store.save(record)
                request = new_request()
                continue
            if not _retriable(err):
                raise PublishError(_failure_line("videos.insert", err)) from None
            line = _failure_line("videos.insert", err)
        except _transport_errors() as err:
            line = f"YouTube upload: {type(err).__name__}: {err}"
        finally:
            if request.resumable_uri and request.resumable_uri != record.session_uri:
                record.session_uri = request.resumable_uri
                store.save(record)
        if (request.resumable_uri, request.resumable_progress) != before:
            failures = 0  # the session opened or moved on: a new run of failures starts
        failures += 1
        if failures >= backoff.attempts:
            raise PublishServiceError(
                line, hint="The next attempt resumes the upload where it stopped"
            )
        log.warning("%s; retry %d of %d", line, failures, backoff.attempts - 1)
        backoff.wait(failures)
