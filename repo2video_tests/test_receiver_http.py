"""The receiver over real HTTP on 127.0.0.1 (uvicorn in a thread, and as its own process)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from repo2video_dagster.receiver.app import create_app
from repo2video_dagster.receiver.event_storage import sqlite_url
from repo2video_dagster.receiver.eventlog import EventLog
from repo2video_dagster.receiver.serve import require_secret
from repo2video_dagster.receiver.webhooks import compute_signature
from repo2video_devtools.reliability.procs import bound_port
from repo2video_tests.loopback import serve_app

FIXTURES = Path(__file__).parent / "fixtures" / "github"
SECRET = "It's a Secret to Everybody"


def fixture_body(name: str) -> bytes:
    return (FIXTURES / f"{name}.payload.json").read_bytes()


def running(app):
    return serve_app(app, lifespan="on")


def post(
    port: int,
    body: bytes,
    *,
    event: str | None = "star",
    delivery: str | None = None,
    secret: str | None = SECRET,
    signature: str | None = None,
    content_type: str = "application/json",
    chunked: bool = False,
) -> tuple[int, dict]:
    headers = {"Content-Type": content_type}
    if event is not None:
        headers["X-GitHub-Event"] = event
    if delivery != "":
        headers["X-GitHub-Delivery"] = delivery or str(uuid.uuid4())
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    elif secret is not None:
        headers["X-Hub-Signature-256"] = compute_signature(secret, body)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if chunked:

            def parts() -> Iterator[bytes]:
                for i in range(0, len(body), 1 << 20):
                    yield body[i : i + (1 << 20)]

            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                conn.request("POST", "/webhook", body=parts(), headers=headers, encode_chunked=True)
        else:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                conn.request("POST", "/webhook", body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


@pytest.fixture
def port(eventlog: EventLog) -> Iterator[int]:
    with running(create_app(eventlog=eventlog, secret=SECRET)) as p:
        yield p


def test_star_created_is_recorded_then_answered_202(port: int, eventlog: EventLog) -> None:
    delivery = str(uuid.uuid4())
    status, body = post(port, fixture_body("star.created"), delivery=delivery)
    assert status == 202, body
    assert body["delivery_id"] == delivery
    assert body["status_url"] == f"http://127.0.0.1:{port}/jobs/{delivery}"
    row = eventlog.get(delivery)
    assert row is not None and row.partition_key == "codertocat__hello-world"
    assert row.event == "star" and row.action == "created"


def test_replayed_delivery_answers_200_duplicate(port: int, eventlog: EventLog) -> None:
    delivery = str(uuid.uuid4())
    assert post(port, fixture_body("watch.started"), event="watch", delivery=delivery)[0] == 202
    status, body = post(port, fixture_body("watch.started"), event="watch", delivery=delivery)
    assert (status, body["status"]) == (200, "duplicate")
    assert len(eventlog.read_since(0, 10)) == 1


def test_bad_and_missing_signature_are_401_without_echo(port: int, eventlog: EventLog) -> None:
    body = fixture_body("star.created")
    for kwargs in ({"secret": "wrong"}, {"secret": None}, {"signature": "sha256=00"}):
        status, answer = post(port, body, **kwargs)
        assert status == 401
        text = json.dumps(answer)
        assert "\n" not in answer["error"] and "Codertocat" not in text
    assert eventlog.read_since(0, 10) == []


def test_missing_headers_are_400(port: int) -> None:
    body = fixture_body("star.created")
    assert post(port, body, delivery="")[0] == 400
    assert post(port, body, event=None)[0] == 400


def test_ping_unknown_and_deleted_events_are_2xx_with_reason(port: int, eventlog: EventLog) -> None:
    status, body = post(port, fixture_body("ping"), event="ping")
    assert (status, body["status"]) == (200, "pong")
    status, body = post(port, fixture_body("issues.opened"), event="issues")
    assert (status, body["status"]) == (200, "ignored")
    assert "issues" in body["reason"]
    status, body = post(port, fixture_body("star.deleted"))
    assert (status, body["status"]) == (200, "ignored")
    assert "deleted" in body["reason"]
    assert eventlog.read_since(0, 10) == []


def test_tag_push_ignored_default_branch_push_accepted(port: int, eventlog: EventLog) -> None:
    status, body = post(port, fixture_body("push"), event="push")
    assert (status, body["status"]) == (200, "ignored")
    assert "refs/tags/" in body["reason"]
    delivery = str(uuid.uuid4())
    status, _ = post(port, fixture_body("push.with-new-branch"), event="push", delivery=delivery)
    assert status == 202
    assert eventlog.get(delivery).commit_sha == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"


def test_other_accepted_events(port: int) -> None:
    assert post(port, fixture_body("release.published"), event="release")[0] == 202
    assert post(port, fixture_body("repository.created"), event="repository")[0] == 202
    dispatch = json.loads(fixture_body("repository_dispatch"))
    dispatch["action"] = "render"
    dispatch["repository"]["private"] = False
    body = json.dumps(dispatch).encode()
    assert post(port, body, event="repository_dispatch")[0] == 202


def test_body_limit_by_length_and_while_streaming(eventlog: EventLog) -> None:
    app = create_app(eventlog=eventlog, secret=SECRET, max_body_bytes=4096)
    big = json.dumps({"pad": "x" * 10_000}).encode()
    with running(app) as p:
        assert post(p, big)[0] == 413
        assert post(p, big, chunked=True)[0] == 413  # no Content-Length: counted while reading
        assert post(p, b'{"a": 1}')[0] == 200  # small bodies still pass
    assert eventlog.read_since(0, 10) == []


def test_real_body_over_25mb_is_413(port: int) -> None:
    body = b'{"pad": "' + b"x" * (25 * 1024 * 1024 + 10) + b'"}'
    start = time.perf_counter()
    assert post(port, body)[0] == 413
    assert post(port, body, chunked=True)[0] == 413
    assert time.perf_counter() - start < 20


def test_malformed_body_400_and_unsupported_type_415(port: int) -> None:
    assert post(port, b"{oops")[0] == 400
    assert post(port, b"[]")[0] == 400
    assert post(port, fixture_body("star.created"), content_type="text/plain")[0] == 415
    assert post(port, fixture_body("star.created"), content_type="application/xml")[0] == 415


def test_form_encoded_payload_is_accepted(port: int, eventlog: EventLog) -> None:
    form = urlencode({"payload": fixture_body("star.created").decode()}).encode()
    delivery = str(uuid.uuid4())
    status, _ = post(
        port, form, delivery=delivery, content_type="application/x-www-form-urlencoded"
    )
    assert status == 202
    assert eventlog.get(delivery).repo_full_name == "Codertocat/Hello-World"


def test_insecure_app_accepts_unsigned(eventlog: EventLog) -> None:
    with running(create_app(eventlog=eventlog, secret=None)) as p:
        assert post(p, fixture_body("star.created"), secret=None)[0] == 202


def test_group_commit_50_concurrent_requests(port: int, eventlog: EventLog) -> None:
    body = fixture_body("star.created")
    ids = [str(uuid.uuid4()) for _ in range(50)]
    before = eventlog.stats.transactions
    barrier = threading.Barrier(50)

    def one(delivery: str) -> int:
        barrier.wait()
        return post(port, body, delivery=delivery)[0]

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(one, ids))
    assert statuses == [202] * 50
    assert {r.delivery_id for r in eventlog.read_since(0, 100)} == set(ids)
    assert eventlog.stats.transactions - before < 50


def test_refuses_to_start_without_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPO2VIDEO_WEBHOOK")}
    env["DAGSTER_HOME"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "repo2video_dagster.receiver.serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "REPO2VIDEO_WEBHOOK_SECRET" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "repo2video_events.db").exists()


def test_secret_sources(tmp_path: Path, capsys) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")
    assert require_secret(insecure=False, env={"REPO2VIDEO_WEBHOOK_SECRET": "x"}) == b"x"
    env = {"REPO2VIDEO_WEBHOOK_SECRET_FILE": str(secret_file)}
    assert require_secret(insecure=False, env=env) == b"from-file"
    assert require_secret(insecure=True, env={}) is None
    assert "signature checks are OFF" in capsys.readouterr().err


@pytest.mark.slow
def test_server_process_burst_latency_and_kill_9(tmp_path: Path) -> None:
    """200 req/s against the real `serve()` process; then kill -9 loses no acknowledged row."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "REPO2VIDEO_WEBHOOK_SECRET": SECRET}
    env.pop("REPO2VIDEO_EVENTS_URL", None)
    log = tmp_path / "receiver.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "repo2video_dagster.receiver.serve", "--port", "0"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    try:
        port = bound_port(proc, 60, "the receiver", log.read_text)
        body = fixture_body("star.created")
        total, rate = 600, 200.0
        ids = [str(uuid.uuid4()) for _ in range(total)]
        latencies: list[float] = []
        statuses: list[int] = []
        start = time.perf_counter()

        def one(i: int) -> None:
            wait = start + i / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)  # the point: pacing the load at `rate` requests per second
            t0 = time.perf_counter()
            status, _ = post(port, body, delivery=ids[i])
            latencies.append(time.perf_counter() - t0)
            statuses.append(status)

        with ThreadPoolExecutor(32) as pool:
            list(pool.map(one, range(total)))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        latencies.sort()
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(f"\nack latency at {rate:.0f} req/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        assert statuses == [202] * total
        # The spec's target is p99 <= 20 ms; this bound leaves room for a shared CI box.
        assert p99 < 250, f"p99 {p99:.1f} ms"
        log = EventLog(sqlite_url(tmp_path / "repo2video_events.db"))
        try:
            assert {r.delivery_id for r in log.read_since(0, 10_000)} == set(ids)
        finally:
            log.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
