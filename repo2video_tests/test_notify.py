"""Notifications of finished runs: the real sensors, real runs, real servers on loopback.

Runs are real Dagster runs on a throw-away instance (a one-op job named like the render
job, failing with the kind of line a render fails with). The sensors are the code
location's own, invoked with Dagster's run-status context for those runs. The webhook
goes to an HTTP sink on 127.0.0.1 (one that fails twice before accepting, one that
refuses); email goes to aiosmtpd over STARTTLS with a certificate from a throw-away CA
and a login.
"""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import logging
import socket
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
)

from repo2video_dagster.launch import stored_failure
from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.notify.secrets import read_secret
from repo2video_dagster.lib.notify.webhook import (
    SIGNATURE_HEADER,
    NotifyDeliveryError,
    NotifyError,
    post_json,
)
from repo2video_dagster.sensors.notifications import TAG_NOTIFIED, NotifyResource
from repo2video_tests.git_https import LoopbackCA, make_test_ca
from repo2video_tests.notify_runs import REASON, evaluate, finished_run
from repo2video_tests.notify_servers import HttpSink, serve_http_sink, serve_smtp

SIGNING_KEY = "R2V-NOTIFY-SIGNING-KEY-4e1f"
SMTP_PASSWORD = "R2V-SMTP-PASSWORD-8c2d"
FAST = {"retry_delay_s": 0.01, "timeout_s": 5.0}


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> LoopbackCA:
    return make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpSink]:
    with serve_http_sink(HttpSink()) as server:
        monkeypatch.setenv("REPO2VIDEO_NOTIFY_WEBHOOK_URL", server.url)
        monkeypatch.setenv("REPO2VIDEO_NOTIFY_WEBHOOK_SECRET", SIGNING_KEY)
        yield server


def test_failure_is_posted_signed_after_two_refusals_and_only_once(
    instance: DagsterInstance, sink: HttpSink
) -> None:
    sink.statuses = [503, 502]
    run = finished_run(instance, "failure")
    notify = NotifyResource(public_url="https://r2v.example", ui_url="https://ui.example", **FAST)
    evaluate(instance, run, notify, "notify_on_failure")

    assert len(sink.requests) == 3, "two failures, then accepted"
    headers, body = sink.requests[-1]
    assert all(b == body for _, b in sink.requests)
    expected = "sha256=" + hmac.new(SIGNING_KEY.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER.lower()] == expected
    message = json.loads(body)
    line = stored_failure(instance, run.run_id).line
    assert line == REASON
    assert message["status"] == "failure" and message["repository"] == "octo__empty"
    assert message["error"] == REASON
    assert message["text"].startswith(f"repo2video: render of octo__empty failed: {REASON}")
    assert message["links"] == {
        "run": f"https://ui.example/runs/{run.run_id}",
        "video_page": "https://r2v.example/site/octo__empty/index.html",
        "job": "https://r2v.example/jobs/delivery-1",
    }
    assert instance.get_run_by_id(run.run_id).tags[TAG_NOTIFIED] == "webhook"

    # The sensor evaluated again for the same run (a restarted daemon, a reset cursor).
    evaluate(instance, run, notify, "notify_on_failure")
    assert len(sink.requests) == 3


def test_success_is_sent_only_when_asked(instance: DagsterInstance, sink: HttpSink) -> None:
    run = finished_run(instance, "success")
    evaluate(instance, run, NotifyResource(on_success=False, **FAST), "notify_on_success")
    assert sink.requests == []
    evaluate(instance, run, NotifyResource(on_success=True, **FAST), "notify_on_success")
    evaluate(instance, run, NotifyResource(on_success=True, **FAST), "notify_on_success")
    assert len(sink.requests) == 1
    message = json.loads(sink.requests[0][1])
    assert message["status"] == "success" and message["error"] is None
    assert message["text"] == (
        "repo2video: render of octo__empty succeeded\n"
        f"run: http://127.0.0.1:3000/runs/{run.run_id}\n"
        "video page: http://127.0.0.1:8787/site/octo__empty/index.html\n"
        "job: http://127.0.0.1:8787/jobs/delivery-1"
    )


def test_a_refusal_is_final_and_logged_without_the_address_path(
    instance: DagsterInstance, sink: HttpSink, caplog: pytest.LogCaptureFixture
) -> None:
    sink.statuses = [404]
    run = finished_run(instance, "failure")
    with caplog.at_level(logging.INFO):
        tick = evaluate(instance, run, NotifyResource(**FAST), "notify_on_failure")
    assert len(sink.requests) == 1, "a 404 is not retried"
    assert TAG_NOTIFIED not in instance.get_run_by_id(run.run_id).tags
    assert tick.skip_message == (
        f"run {run.run_id[:8]} (failure): webhook not sent: "
        f"notification webhook http://127.0.0.1:{sink.port} refused the message (HTTP 404)"
    )
    assert "sinktoken" not in caplog.text


def test_retry_after_is_respected_and_an_unreachable_hook_fails_with_one_line() -> None:
    waits: list[float] = []
    with serve_http_sink(HttpSink(statuses=[429], retry_after="0.25")) as sink:
        sent = post_json(sink.url, b"{}", delivery_id="d", retry_delay_s=5, sleep=waits.append)
    assert len(sink.requests) == 2
    assert sent.attempts == 2 and waits == [0.25]

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    port = closed.getsockname()[1]
    try:
        with pytest.raises(NotifyDeliveryError) as info:
            post_json(
                f"http://127.0.0.1:{port}/secret-path",
                b"{}",
                delivery_id="d",
                attempts=3,
                retry_delay_s=5,
                sleep=waits.append,
            )
    finally:
        closed.close()
    assert str(info.value) == (
        f"notification webhook http://127.0.0.1:{port} failed after 3 attempts (ConnectionRefusedError)"
    )
    assert waits[1:] == [5, 10], "backoff doubles"
    with pytest.raises(NotifyError, match="must be http"):
        post_json("file:///etc/passwd", b"{}", delivery_id="d")


def test_failure_email_over_starttls_with_login(
    instance: DagsterInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ca: LoopbackCA
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_file))  # the client trusts the test CA
    monkeypatch.delenv("REPO2VIDEO_NOTIFY_WEBHOOK_URL", raising=False)
    password_file = tmp_path / "smtp-password"
    password_file.write_text(SMTP_PASSWORD + "\n")
    monkeypatch.setenv("REPO2VIDEO_SMTP_PASSWORD_FILE", str(password_file))
    run = finished_run(instance, "failure")
    with serve_smtp(ca.server_context(), credentials=("r2v", SMTP_PASSWORD)) as smtp:
        notify = NotifyResource(
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_starttls=True,
            smtp_user="r2v",
            email_from="renders@r2v.example",
            email_to=["ops@r2v.example", "dev@r2v.example"],
            **FAST,
        )
        evaluate(instance, run, notify, "notify_on_failure")
        evaluate(instance, run, notify, "notify_on_failure")
    assert smtp.logins == [("r2v", SMTP_PASSWORD)]
    (envelope,) = smtp.messages
    assert envelope.rcpt_tos == ["ops@r2v.example", "dev@r2v.example"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "repo2video: render of octo__empty failed"
    assert message["From"] == "renders@r2v.example"
    text = message.get_content()
    assert REASON in text and f"/runs/{run.run_id}" in text
    assert instance.get_run_by_id(run.run_id).tags[TAG_NOTIFIED] == "email"


def test_a_wrong_smtp_password_is_one_line_without_the_password(
    instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch, caplog, ca: LoopbackCA
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_file))
    monkeypatch.delenv("REPO2VIDEO_NOTIFY_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("REPO2VIDEO_SMTP_PASSWORD", SMTP_PASSWORD)
    run = finished_run(instance, "failure")
    with serve_smtp(ca.server_context(), credentials=("r2v", "another")) as smtp:
        notify = NotifyResource(
            smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_user="r2v", email_to=["a@b.c"], **FAST
        )
        with caplog.at_level(logging.DEBUG):
            tick = evaluate(instance, run, notify, "notify_on_failure")
    assert smtp.messages == []
    assert tick.skip_message.endswith(
        f"email not sent: SMTP server 127.0.0.1:{smtp.port} refused the login of r2v (535)"
    )
    assert SMTP_PASSWORD not in caplog.text


def test_secret_files_are_read_and_their_errors_name_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(SIGNING_KEY + "\n")
    env = {"REPO2VIDEO_NOTIFY_WEBHOOK_SECRET_FILE": str(key_file)}
    assert read_secret("NOTIFY_WEBHOOK_SECRET", env) == SIGNING_KEY
    with pytest.raises(UserError) as info:
        read_secret(
            "NOTIFY_WEBHOOK_SECRET", {"REPO2VIDEO_NOTIFY_WEBHOOK_SECRET_FILE": str(tmp_path)}
        )
    assert str(tmp_path) in str(info.value) and "REPO2VIDEO_NOTIFY_WEBHOOK_SECRET_FILE" in str(
        info.value
    )


def test_an_unreadable_address_file_is_one_line_on_the_tick(
    instance: DagsterInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPO2VIDEO_NOTIFY_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("REPO2VIDEO_NOTIFY_WEBHOOK_URL_FILE", str(tmp_path / "missing"))
    run = finished_run(instance, "failure")
    tick = evaluate(instance, run, NotifyResource(**FAST), "notify_on_failure")
    assert tick.skip_message == (
        f"run {run.run_id[:8]} (failure): webhook not sent: Cannot read the secret file "
        f"{tmp_path / 'missing'} (No such file or directory). "
        "Fix REPO2VIDEO_NOTIFY_WEBHOOK_URL_FILE or set REPO2VIDEO_NOTIFY_WEBHOOK_URL"
    )
