"""``GET /metrics`` on a real receiver (uvicorn on loopback), parsed by prometheus_client.

Deliveries are real signed HTTP requests; the runs are real (tiny) Dagster runs of a
job with the render job's name on a throw-away instance; the sensor cursor is the
instance's stored sensor state, as the daemon leaves it.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    Failure,
    instance_for_test,
    job,
    op,
)
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.remote_origin import (
    RegisteredCodeLocationOrigin,
    RemoteInstigatorOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    SensorInstigatorData,
)
from prometheus_client.parser import text_string_to_metric_families

from repo2video_dagster.partitions import RENDER_JOB_NAME
from repo2video_dagster.receiver.access import ApiAccess
from repo2video_dagster.receiver.app import create_app
from repo2video_dagster.receiver.event_storage import sqlite_url
from repo2video_dagster.receiver.eventlog import EventLog
from repo2video_tests.loopback import github_headers, serve_app

SECRET = "metrics-secret"
TOKEN = "metrics-api-token-0c1d"
PAYLOADS = Path(__file__).parent / "fixtures" / "github"
REPOSITORY = RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("repo2video"), "__repository__")


@op
def work(context) -> None:  # noqa: ANN001 - Dagster's context
    time.sleep(float(context.run.tags.get("sleep", "0")))
    if context.run.tags.get("want") == "failure":
        raise Failure(description="no README")


@job(name=RENDER_JOB_NAME)
def fake_render() -> None:
    work()


def _star(name: str, kind: str = "star.created") -> bytes:
    payload = json.loads((PAYLOADS / f"{kind}.payload.json").read_text())
    payload["repository"]["full_name"] = f"metrics/{name}"
    payload["repository"]["html_url"] = f"https://github.com/metrics/{name}"
    return json.dumps(payload).encode()


def _post(port: int, event: str, body: bytes, headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        sent = headers or github_headers(event, str(uuid.uuid4()), body, SECRET)
        conn.request("POST", "/webhook", body=body, headers=sent)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheader("content-type") or "", response.read().decode()
    finally:
        conn.close()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _set_sensor_cursor(instance: DagsterInstance, cursor: str) -> None:
    """The state ``dagster-daemon`` stores for the webhook sensor after a tick."""
    origin = RemoteInstigatorOrigin(REPOSITORY, "github_events_sensor")
    state = InstigatorState(
        origin,
        InstigatorType.SENSOR,
        InstigatorStatus.RUNNING,
        SensorInstigatorData(cursor=cursor, sensor_type=None),
    )
    instance.add_instigator_state(state)


@pytest.fixture(scope="module")
def scraped(tmp_path_factory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("metrics")
    eventlog = EventLog(sqlite_url(tmp / "events.db"))
    with instance_for_test() as instance:
        for want, sleep in (("success", "0.3"), ("success", "0"), ("failure", "0")):
            fake_render.execute_in_process(
                instance=instance, tags={"want": want, "sleep": sleep}, raise_on_error=False
            )
        queued = DagsterRun(
            job_name=RENDER_JOB_NAME,
            status=DagsterRunStatus.QUEUED,
            remote_job_origin=RemoteJobOrigin(REPOSITORY, RENDER_JOB_NAME),
        )
        instance.add_run(queued)
        access = ApiAccess(token=TOKEN.encode())
        app = create_app(eventlog=eventlog, secret=SECRET, instance=instance, access=access)
        with serve_app(app) as port:
            statuses = [_post(port, "star", _star(f"r{i}")) for i in range(3)]
            body = _star("r0")
            delivery = github_headers("star", "dup-1", body, SECRET)
            statuses += [_post(port, "star", body, delivery), _post(port, "star", body, delivery)]
            statuses.append(_post(port, "star", _star("r9", "star.deleted")))
            statuses.append(_post(port, "ping", (PAYLOADS / "ping.payload.json").read_bytes()))
            statuses.append(
                _post(port, "star", body, {**delivery, "X-Hub-Signature-256": "sha256=" + "0" * 64})
            )
            statuses.append(_post(port, "star", body, {**delivery, "Content-Type": "text/plain"}))
            _set_sensor_cursor(instance, "1")
            anonymous = _get(port, "/metrics", {"x-forwarded-for": "203.0.113.9"})
            code, content_type, text = _get(port, "/metrics", {"authorization": f"Bearer {TOKEN}"})
        eventlog.close()
        yield {
            "statuses": statuses,
            "code": code,
            "content_type": content_type,
            "text": text,
            "samples": _samples(text),
            "anonymous": anonymous,
        }


def test_metrics_is_prometheus_text_behind_the_api_token(scraped: dict) -> None:
    assert scraped["statuses"] == [202, 202, 202, 202, 200, 200, 200, 401, 415]
    assert scraped["code"] == 200
    assert scraped["content_type"].startswith("text/plain; version=")
    assert "# TYPE repo2video_render_duration_seconds histogram" in scraped["text"]


def test_deliveries_by_outcome_and_reason(scraped: dict) -> None:
    s = scraped["samples"]
    count = "repo2video_webhook_deliveries_total"
    assert s[(count, (("outcome", "accepted"), ("reason", "star")))] == 4
    assert s[(count, (("outcome", "duplicate"), ("reason", "star")))] == 1
    assert s[(count, (("outcome", "ignored"), ("reason", "star")))] == 1
    assert s[(count, (("outcome", "pong"), ("reason", "ping")))] == 1
    assert s[(count, (("outcome", "rejected"), ("reason", "signature")))] == 1
    assert s[(count, (("outcome", "rejected"), ("reason", "content_type")))] == 1


def test_event_table_lag_behind_the_sensor_cursor(scraped: dict) -> None:
    s = scraped["samples"]
    assert s[("repo2video_event_table_last_id", ())] == 4
    assert s[("repo2video_event_sensor_lag", ())] == 3  # ids 2..4 are after cursor 1
    assert s[("repo2video_events_pending", ())] == 4  # none dispatched yet
    assert s[("repo2video_storage_up", (("storage", "event_table"),))] == 1
    assert s[("repo2video_storage_up", (("storage", "run_storage"),))] == 1


def test_runs_queue_and_histograms_from_run_storage(scraped: dict) -> None:
    s = scraped["samples"]
    assert s[("repo2video_runs", (("status", "success"),))] == 2
    assert s[("repo2video_runs", (("status", "failure"),))] == 1
    assert s[("repo2video_runs", (("status", "queued"),))] == 1
    assert s[("repo2video_queue_depth", ())] == 1
    assert s[("repo2video_render_duration_seconds_count", ())] == 3
    assert s[("repo2video_render_duration_seconds_sum", ())] >= 0.3  # one run slept 0.3 s
    assert s[("repo2video_render_duration_seconds_bucket", (("le", "+Inf"),))] == 3
    assert s[("repo2video_queue_wait_seconds_count", ())] == 3
    assert s[("repo2video_publishes_total", ())] == 0


def test_metrics_needs_the_token_from_elsewhere(scraped: dict) -> None:
    code, _, body = scraped["anonymous"]
    assert code in (401, 403), body
    assert "repo2video_" not in body
