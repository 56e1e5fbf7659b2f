"""The webhook receiver: a Starlette app with ``POST /webhook``, ``/jobs`` and ``/health``.

``POST /webhook`` answers within milliseconds: it checks headers and size
before reading, verifies the HMAC over the raw bytes, classifies the event, and
for an accepted one waits only for the event log's group commit. Rendering is
started later by the Dagster sensor, which reads the event log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from dagster import DagsterInstance
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.receiver import jobs as jobs_api
from repo2video_dagster.receiver.eventlog import EventLog, NewEvent
from repo2video_dagster.receiver.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    FORM_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    SIGNATURE_HEADER,
    Classification,
    PayloadError,
    classify_event,
    decode_payload,
    media_type,
    valid_delivery_id,
    verify_signature,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB
# Bodies above this are verified and parsed off the event loop so one big
# delivery does not stall the acknowledgements of the others.
_INLINE_BODY_BYTES = 256 * 1024
_EVENT_RE = re.compile(r"^[a-z_]{1,64}$")


def _error(status: int, message: str) -> JSONResponse:
    """One line, never any part of the payload."""
    return JSONResponse({"error": message}, status_code=status)


class _TooLarge(Exception):
    pass


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, counted while streaming so a lying or absent Content-Length cannot bypass the cap."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _verify_and_classify(
    secret: bytes | None,
    body: bytes,
    signature: str | None,
    content_type: str | None,
    event: str,
    allow_private: bool,
    policy: SourcePolicy,
) -> Classification | JSONResponse:
    if secret is not None and not verify_signature(secret, body, signature):
        return _error(401, f"missing or invalid {SIGNATURE_HEADER} signature")
    try:
        payload = decode_payload(body, content_type)
    except PayloadError as exc:
        return _error(400, str(exc))
    return classify_event(event, payload, allow_private=allow_private, policy=policy)


def create_app(
    *,
    eventlog: EventLog,
    secret: bytes | str | None,
    instance: DagsterInstance | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    allow_private: bool = False,
    policy: SourcePolicy | None = None,
    ack_timeout_s: float = 8.0,
    heartbeat_max_age_s: float = 120.0,
    close_eventlog: bool = False,
) -> Starlette:
    """Build the receiver. ``secret=None`` disables signature checks (insecure local dev only).

    ``instance`` backs ``/jobs`` and ``/health``; without it those answer 503.
    ``policy`` (default: from the environment) decides which repositories may be
    rendered; deliveries for others are answered "ignored" with the reason.
    """
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    source_policy = policy or SourcePolicy.from_env()

    def status_url(request: Request, delivery_id: str) -> str:
        return str(request.base_url).rstrip("/") + "/jobs/" + quote(delivery_id, safe="")

    async def webhook(request: Request) -> JSONResponse:
        delivery = request.headers.get(DELIVERY_HEADER)
        if not valid_delivery_id(delivery):
            return _error(400, f"missing or malformed {DELIVERY_HEADER} header")
        event = request.headers.get(EVENT_HEADER, "")
        if not _EVENT_RE.match(event):
            return _error(400, f"missing or malformed {EVENT_HEADER} header")
        content_type = request.headers.get("content-type")
        if media_type(content_type) not in (JSON_CONTENT_TYPE, FORM_CONTENT_TYPE):
            return _error(415, f"content type must be {JSON_CONTENT_TYPE} or {FORM_CONTENT_TYPE}")
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return _error(400, "invalid Content-Length header")
            if int(length) > max_body_bytes:
                return _error(413, f"body larger than {max_body_bytes} bytes")
        try:
            body = await _read_limited(request, max_body_bytes)
        except _TooLarge:
            return _error(413, f"body larger than {max_body_bytes} bytes")
        args = (
            key,
            body,
            request.headers.get(SIGNATURE_HEADER),
            content_type,
            event,
            allow_private,
            source_policy,
        )
        if len(body) > _INLINE_BODY_BYTES:
            outcome = await run_in_threadpool(_verify_and_classify, *args)
        else:
            outcome = _verify_and_classify(*args)
        if isinstance(outcome, JSONResponse):
            log.info("delivery %s refused: %s", delivery, outcome.status_code)
            return outcome
        return await _answer(request, delivery, outcome)

    async def _answer(request: Request, delivery: str, c: Classification) -> JSONResponse:
        if c.outcome == "pong":
            return JSONResponse({"status": "pong", "delivery_id": delivery})
        if not c.accepted:
            log.info("delivery %s (%s) ignored: %s", delivery, c.event, c.reason)
            return JSONResponse({"status": "ignored", "reason": c.reason, "delivery_id": delivery})
        new = NewEvent(
            delivery_id=delivery,
            event=c.event,
            action=c.action,
            repo_full_name=c.repo_full_name,
            repo_url=c.repo_url,
            partition_key=c.partition_key,
            commit_sha=c.commit_sha,
            ref=c.ref,
            reason=c.reason,
            summary=c.summary,
            received_at=time.time(),
        )
        try:
            # shield: a timeout here must not cancel the write itself.
            fut = asyncio.wrap_future(eventlog.submit(new))
            result = await asyncio.wait_for(asyncio.shield(fut), ack_timeout_s)
        except Exception as exc:  # noqa: BLE001 - GitHub shows the delivery as failed
            log.error("delivery %s not recorded: %s", delivery, exc.__class__.__name__)
            return _error(503, "could not record the delivery; redeliver it later")
        body = {
            "delivery_id": delivery,
            "status_url": status_url(request, delivery),
            "status": "duplicate" if result.duplicate else "accepted",
            "repo": c.partition_key,
            "reason": c.reason,
        }
        return JSONResponse(body, status_code=200 if result.duplicate else 202)

    def _need_instance() -> JSONResponse | None:
        if instance is None:
            return _error(503, "no Dagster instance configured")
        return None

    async def get_job(request: Request) -> JSONResponse:
        if (missing := _need_instance()) is not None:
            return missing
        job_id = request.path_params["job_id"]
        job = await run_in_threadpool(jobs_api.get_job, instance, eventlog, job_id)
        if job is None:
            return _error(404, f"no job with id {job_id!r}")
        job["status_url"] = status_url(request, job["job_id"])
        return JSONResponse(job)

    async def list_jobs(request: Request) -> JSONResponse:
        if (missing := _need_instance()) is not None:
            return missing
        q = request.query_params
        try:
            limit = int(q.get("limit", "20"))
            page = await run_in_threadpool(
                jobs_api.list_jobs,
                instance,
                eventlog,
                status=q.get("status") or None,
                repo=q.get("repo") or None,
                limit=limit,
                cursor=q.get("cursor") or None,
            )
        except ValueError as exc:
            return _error(400, str(exc).splitlines()[0])
        for job in page["jobs"]:
            job["status_url"] = status_url(request, job["job_id"])
        return JSONResponse(page)

    async def health(_request: Request) -> JSONResponse:
        if (missing := _need_instance()) is not None:
            return missing
        report: dict[str, Any] = await run_in_threadpool(
            jobs_api.health, instance, eventlog, max_heartbeat_age_s=heartbeat_max_age_s
        )
        stats = eventlog.stats
        report["writer"] = {
            "transactions": stats.transactions,
            "rows_written": stats.rows_written,
            "duplicates": stats.duplicates,
            "failures": stats.failures,
        }
        report["signature_check"] = key is not None
        return JSONResponse(report, status_code=200 if report["healthy"] else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if close_eventlog:
            await run_in_threadpool(eventlog.close)

    app = Starlette(
        routes=[
            Route("/webhook", webhook, methods=["POST"]),
            Route("/jobs", list_jobs, methods=["GET"]),
            Route("/jobs/{job_id}", get_job, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.eventlog = eventlog
    app.state.instance = instance
    return app
