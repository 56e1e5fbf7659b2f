"""``GET /metrics``: the service's health at a glance, in the Prometheus text format.

Two kinds of numbers, each from where it is true:

- **Deliveries**, counted by this receiver process as it answers them (an ASGI
  middleware around the whole app, so refusals by the request guard count too):
  ``repo2video_webhook_deliveries_total{outcome, reason}`` with ``outcome`` one of
  ``accepted``, ``duplicate``, ``ignored``, ``pong``, ``rejected``. ``reason`` is the
  GitHub event for the first four and a fixed word for refusals (``signature``,
  ``bad_request``, ``too_large``, ``content_type``, ``unstorable``, ``unavailable``,
  ``http_<status>``), so the label's values stay few whatever senders send.
- **Runs and the queue**, read from the event table and Dagster's storage when
  scraped (a handful of indexed queries): the event table's lag behind the
  ``github_events_sensor`` cursor, deliveries not yet dispatched, runs by status, queue
  depth, and histograms of render duration and queue wait over the most recent
  finished render runs (``RUN_WINDOW``); publish counts (0 until publishing exists).

Each app gets its own ``CollectorRegistry``, so several receivers in one process (the
tests) never clash. ``/metrics`` is read like ``/jobs``: loopback clients, or the API
token as a bearer token (Prometheus' ``authorization`` setting).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from repo2video_dagster.partitions import RENDER_JOB_NAME
from repo2video_dagster.receiver.access import ApiAccess
from repo2video_dagster.receiver.eventlog import EventLog

log = logging.getLogger(__name__)

SENSOR_NAME = "github_events_sensor"
RUN_WINDOW = 1000
"""Finished render runs (newest first) the duration and queue-wait histograms cover."""
DURATION_BUCKETS = (30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 900.0, 1800.0)
WAIT_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
_REFUSALS = {
    400: "bad_request",
    401: "signature",
    413: "too_large",
    414: "too_large",
    415: "content_type",
    422: "unstorable",
    431: "too_large",
    503: "unavailable",
}
_MAX_ANSWER_BYTES = 4096


def delivery_outcome(status: int, answer: bytes, event: str) -> tuple[str, str]:
    """``(outcome, reason)`` of one ``POST /webhook`` answer."""
    if status >= 300:
        return "rejected", _REFUSALS.get(status, f"http_{status}")
    try:
        said = json.loads(answer).get("status")
    except (ValueError, AttributeError):
        said = None
    outcome = said if said in ("accepted", "duplicate", "ignored", "pong") else "accepted"
    return outcome, event


class DeliveryCounter:
    """ASGI middleware: counts every ``POST /webhook`` answer by outcome and reason."""

    def __init__(self, app: ASGIApp, counter: Counter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != "/webhook" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        status = 500
        answer = bytearray()

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and len(answer) < _MAX_ANSWER_BYTES:
                answer.extend(message.get("body", b"")[:_MAX_ANSWER_BYTES])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            event = _header(scope, b"x-github-event")
            event = event if event.isascii() and event.replace("_", "").isalpha() else "unknown"
            outcome, reason = delivery_outcome(status, bytes(answer), event[:64].lower())
            self.counter.labels(outcome=outcome, reason=reason).inc()


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class ServiceCollector(Collector):
    """Event table, sensor cursor and run storage, read at scrape time."""

    def __init__(self, instance: DagsterInstance | None, eventlog: EventLog) -> None:
        self.instance = instance
        self.eventlog = eventlog

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "repo2video_storage_up", "1 when the storage answered this scrape", labels=["storage"]
        )
        try:
            yield from self._events()
            up.add_metric(["event_table"], 1)
        except Exception as exc:  # noqa: BLE001 - a scrape reports, never fails
            log.warning("metrics: event table unreadable (%s)", exc.__class__.__name__)
            up.add_metric(["event_table"], 0)
        if self.instance is not None:
            try:
                yield from self._runs(self.instance)
                up.add_metric(["run_storage"], 1)
            except Exception as exc:  # noqa: BLE001
                log.warning("metrics: run storage unreadable (%s)", exc.__class__.__name__)
                up.add_metric(["run_storage"], 0)
        yield up

    def _events(self) -> Iterator[Metric]:
        last = self.eventlog.max_id()
        cursor = self._sensor_cursor()
        yield GaugeMetricFamily(
            "repo2video_event_table_last_id", "id of the newest recorded delivery", value=last
        )
        if cursor is not None:
            yield GaugeMetricFamily(
                "repo2video_event_sensor_lag",
                "deliveries recorded after the github_events_sensor cursor (not read yet)",
                value=max(0, last - cursor),
            )
        yield GaugeMetricFamily(
            "repo2video_events_pending",
            "deliveries not yet turned into a run request",
            value=self.eventlog.pending_count(),
        )

    def _sensor_cursor(self) -> int | None:
        if self.instance is None:
            return None
        from dagster._core.definitions.run_request import InstigatorType

        states = self.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        for state in states:
            if state.instigator_name == SENSOR_NAME:
                cursor = getattr(state.instigator_data, "cursor", None) or ""
                return int(cursor) if cursor.isdigit() else 0
        return None

    def _runs(self, instance: DagsterInstance) -> Iterator[Metric]:
        by_status = GaugeMetricFamily(
            "repo2video_runs", "render runs in run storage by status", labels=["status"]
        )
        for status in DagsterRunStatus:
            count = instance.get_runs_count(RunsFilter(job_name=RENDER_JOB_NAME, statuses=[status]))
            by_status.add_metric([status.value.lower()], count)
        yield by_status
        yield GaugeMetricFamily(
            "repo2video_queue_depth",
            "runs of any job waiting in the run queue",
            value=instance.get_runs_count(RunsFilter(statuses=[DagsterRunStatus.QUEUED])),
        )
        records = instance.get_run_records(
            RunsFilter(
                job_name=RENDER_JOB_NAME,
                statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE],
            ),
            limit=RUN_WINDOW,
        )
        durations = [r.end_time - r.start_time for r in records if r.start_time and r.end_time]
        waits = [
            r.start_time - r.create_timestamp.timestamp()
            for r in records
            if r.start_time and r.create_timestamp
        ]
        yield _histogram(
            "repo2video_render_duration_seconds",
            f"start to end of the last {RUN_WINDOW} finished render runs",
            durations,
            DURATION_BUCKETS,
        )
        yield _histogram(
            "repo2video_queue_wait_seconds",
            f"creation to start of the last {RUN_WINDOW} finished render runs",
            [max(0.0, w) for w in waits],
            WAIT_BUCKETS,
        )


def _histogram(
    name: str, help_text: str, values: list[float], bounds: tuple[float, ...]
) -> HistogramMetricFamily:
    buckets = [(str(b), sum(1 for v in values if v <= b)) for b in bounds]
    buckets.append(("+Inf", len(values)))
    return HistogramMetricFamily(name, help_text, buckets=buckets, sum_value=sum(values))


class ReceiverMetrics:
    """The receiver's registry, its middleware and its ``/metrics`` route."""

    def __init__(self, instance: DagsterInstance | None, eventlog: EventLog) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "repo2video_webhook_deliveries",
            "POST /webhook answers by outcome and reason (event, or why refused)",
            ["outcome", "reason"],
            registry=self.registry,
        )
        self.publishes = Counter(
            "repo2video_publishes",
            "videos published to external platforms (0 until publishing exists)",
            registry=self.registry,
        )
        self.registry.register(ServiceCollector(instance, eventlog))

    def middleware(self) -> Middleware:
        return Middleware(DeliveryCounter, counter=self.deliveries)

    def route(self, access: ApiAccess) -> Route:
        async def metrics(request: Request) -> Response:
            allowed, status, reason = access.may_read(request.scope)
            if not allowed:
                headers = {"www-authenticate": "Bearer"} if status == 401 else None
                return JSONResponse({"error": reason}, status_code=status, headers=headers)
            body = await run_in_threadpool(generate_latest, self.registry)
            return Response(body, media_type=CONTENT_TYPE_LATEST)

        return Route("/metrics", metrics, methods=["GET"])
