"""The webhook receiver: a Starlette app with ``POST /webhook``, ``/jobs``, ``/health``, ``/metrics``.

``POST /webhook`` answers within milliseconds: it checks headers and size
before reading, refuses a missing or malformed signature before reading the
body, computes the HMAC over the raw bytes while they arrive (large bodies go to
a temporary file, see :mod:`.body`), and only then decodes and classifies the
event (large bodies in a child process, see :mod:`.decoding`). An accepted one
waits only for the event log's group commit. Rendering is started later by the
Dagster sensor, which reads the event log.

``/jobs`` and the detail of ``/health`` are for the operator (see :mod:`.access`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from dagster import DagsterInstance
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from repo2video_dagster.lib.core.settings import default_data_dir
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.receiver import jobs as jobs_api
from repo2video_dagster.receiver.access import ApiAccess
from repo2video_dagster.receiver.body import (
    BodyTooLarge,
    ReceivedBody,
    SpoolBudget,
    SpoolFull,
    read_body,
)
from repo2video_dagster.receiver.decoding import PayloadDecoder, warm_up
from repo2video_dagster.receiver.eventlog import AppendResult, EventLog, NewEvent, RowRejected
from repo2video_dagster.receiver.guard import RequestGuard
from repo2video_dagster.receiver.job_view import public_job
from repo2video_dagster.receiver.limits import ReceiverLimits
from repo2video_dagster.receiver.metrics import ReceiverMetrics
from repo2video_dagster.receiver.site import site_routes
from repo2video_dagster.receiver.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    FORM_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    SIGNATURE_HEADER,
    Classification,
    PayloadError,
    media_type,
    signature_matches,
    signature_well_formed,
    valid_delivery_id,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = ReceiverLimits().max_body_bytes  # GitHub caps payloads at 25 MB
_EVENT_RE = re.compile(r"^[a-z_]{1,64}$")


def _error(status: int, message: str, *, close: bool = False) -> JSONResponse:
    """One line, never any part of the payload; ``close`` when the body was not read."""
    headers = {"connection": "close"} if close else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def create_app(
    *,
    eventlog: EventLog,
    secret: bytes | str | None,
    instance: DagsterInstance | None = None,
    max_body_bytes: int | None = None,
    allow_private: bool = False,
    policy: SourcePolicy | None = None,
    ack_timeout_s: float = 8.0,
    heartbeat_max_age_s: float = 120.0,
    close_eventlog: bool = False,
    limits: ReceiverLimits | None = None,
    access: ApiAccess | None = None,
    data_dir: Path | None = None,
) -> Starlette:
    """Build the receiver. ``secret=None`` disables signature checks (insecure local dev only).

    ``instance`` backs ``/jobs`` and ``/health``; without it those answer 503.
    ``policy`` (default: from the environment) decides which repositories may be
    rendered; deliveries for others are answered "ignored" with the reason.
    ``limits`` and ``access`` default to the environment (``REPO2VIDEO_WEBHOOK_*``,
    ``REPO2VIDEO_API_TOKEN`` ...); ``max_body_bytes`` overrides the body limit.
    ``data_dir`` (default ``REPO2VIDEO_DATA_DIR``) is what job outputs are shown relative to.
    """
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    source_policy = policy or SourcePolicy.from_env()
    limits = limits or ReceiverLimits.from_env()
    body_limit = max_body_bytes or limits.max_body_bytes
    access = access or ApiAccess.from_env()
    data_dir = data_dir or default_data_dir()
    budget = SpoolBudget(limits.spool_bytes)
    decoder = PayloadDecoder(
        allow_private=allow_private,
        policy=source_policy,
        timeout_s=limits.decode_timeout_s,
        workers=limits.decode_workers,
    )

    async def webhook(request: Request) -> JSONResponse:
        delivery = request.headers.get(DELIVERY_HEADER)
        if not valid_delivery_id(delivery):
            return _error(400, f"missing or malformed {DELIVERY_HEADER} header", close=True)
        event = request.headers.get(EVENT_HEADER, "")
        if not _EVENT_RE.match(event):
            return _error(400, f"missing or malformed {EVENT_HEADER} header", close=True)
        content_type = request.headers.get("content-type")
        if media_type(content_type) not in (JSON_CONTENT_TYPE, FORM_CONTENT_TYPE):
            return _error(
                415,
                f"content type must be {JSON_CONTENT_TYPE} or {FORM_CONTENT_TYPE}",
                close=True,
            )
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return _error(400, "invalid Content-Length header", close=True)
            if int(length) > body_limit:
                return _error(413, f"body larger than {body_limit} bytes", close=True)
        signature = request.headers.get(SIGNATURE_HEADER)
        if key is not None and not signature_well_formed(signature):
            log.info("delivery %s refused: 401 (no valid signature header)", delivery)
            return _error(401, f"missing or invalid {SIGNATURE_HEADER} signature", close=True)
        try:
            body = await read_body(
                request.stream(),
                key=key,
                limit=body_limit,
                memory_limit=limits.memory_body_bytes,
                budget=budget,
            )
        except BodyTooLarge:
            return _error(413, f"body larger than {body_limit} bytes", close=True)
        except SpoolFull:
            log.warning(
                "delivery %s refused: 503 (large bodies in flight fill the spool)", delivery
            )
            return _error(503, "too many large deliveries at once; redeliver later", close=True)
        except ClientDisconnect:
            log.info("delivery %s: the client disconnected before sending the whole body", delivery)
            return _error(400, "client disconnected")
        try:
            outcome = await _verify_and_classify(body, signature, content_type, event)
        finally:
            body.close()
        if isinstance(outcome, JSONResponse):
            log.info("delivery %s refused: %s", delivery, outcome.status_code)
            return outcome
        return await _answer(request, delivery, outcome)

    async def _verify_and_classify(
        body: ReceivedBody, signature: str | None, content_type: str | None, event: str
    ) -> Classification | JSONResponse:
        expected = body.signature()
        if expected is not None and not signature_matches(expected, signature):
            return _error(401, f"missing or invalid {SIGNATURE_HEADER} signature")
        try:
            return await decoder.classify(body, content_type, event)
        except PayloadError as exc:
            return _error(400, str(exc))

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
            result: AppendResult = await asyncio.wait_for(asyncio.shield(fut), ack_timeout_s)
        except RowRejected as exc:
            return _error(422, f"delivery cannot be stored: {exc}")
        except Exception as exc:  # noqa: BLE001 - GitHub shows the delivery as failed
            log.error("delivery %s not recorded: %s", delivery, exc.__class__.__name__)
            return _error(503, "could not record the delivery; redeliver it later")
        # For a replayed id the answer describes the delivery stored first, not this body.
        body = {
            "delivery_id": delivery,
            "status_url": access.status_url(request.scope, delivery),
            "status": "duplicate" if result.duplicate else "accepted",
            "repo": result.partition_key,
            "reason": result.reason,
        }
        return JSONResponse(body, status_code=200 if result.duplicate else 202)

    def _refused(request: Request) -> JSONResponse | None:
        allowed, status, reason = access.may_read(request.scope)
        if allowed:
            return None
        headers = {"www-authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"error": reason}, status_code=status, headers=headers)

    def _need_instance() -> JSONResponse | None:
        if instance is None:
            return _error(503, "no Dagster instance configured")
        return None

    def _shown(request: Request, job: dict[str, Any]) -> dict[str, Any]:
        shown = public_job(job, data_dir)
        shown["status_url"] = access.status_url(request.scope, job["job_id"])
        return shown

    async def get_job(request: Request) -> JSONResponse:
        if (refused := _refused(request)) is not None:
            return refused
        if (missing := _need_instance()) is not None:
            return missing
        job_id = request.path_params["job_id"]
        if not valid_delivery_id(job_id):
            return _error(400, "malformed job id")
        try:
            job = await run_in_threadpool(jobs_api.get_job, instance, eventlog, job_id)
        except jobs_api.AmbiguousJobId as exc:
            return _error(400, str(exc))
        if job is None:
            return _error(404, f"no job with id {job_id!r}")
        return JSONResponse(_shown(request, job))

    async def list_jobs(request: Request) -> JSONResponse:
        if (refused := _refused(request)) is not None:
            return refused
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
            return _error(400, (str(exc).splitlines() or ["bad query"])[0][:200])
        page["jobs"] = [_shown(request, job) for job in page["jobs"]]
        return JSONResponse(page)

    async def health(request: Request) -> JSONResponse:
        if not access.may_read(request.scope)[0]:
            return JSONResponse({"status": "ok"})  # liveness only: no detail for strangers
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

    metrics = ReceiverMetrics(instance, eventlog)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(warm_up)
        yield
        if close_eventlog:
            await run_in_threadpool(eventlog.close)

    app = Starlette(
        routes=[
            Route("/webhook", webhook, methods=["POST"]),
            Route("/jobs", list_jobs, methods=["GET"]),
            Route("/jobs/{job_id}", get_job, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            metrics.route(access),
            *site_routes(),
        ],
        middleware=[metrics.middleware(), Middleware(RequestGuard, limits=limits, access=access)],
        lifespan=lifespan,
    )
    app.state.eventlog = eventlog
    app.state.instance = instance
    app.state.limits = limits
    app.state.decoder = decoder
    app.state.spool = budget
    return app
