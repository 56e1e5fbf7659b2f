"""Secrets never reach logs, run config, tags, event logs or outputs; errors never echo payloads.

Runs use a real Dagster instance in a temp directory (SQLite storage), so every byte
Dagster stored can be searched for the secrets afterwards. The LLM and the GitHub API
are fakes at the network edge (real HTTP servers on 127.0.0.1) that check the secret
really was sent, so "not stored" cannot pass because the secret was never used.
The daemon path (receiver + dagster-daemon + run worker as processes, with compute
log capture) is checked the same way by the reliability runner's service kill tests.
Generated HTML escaping repository text: test_hostile_repos.py renders a README full
of script tags and checks the post and site pages; test_blog.py covers it per field.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from repo2video_dagster.lib.source.checkout import clone_snapshot
from repo2video_dagster.lib.source.github_api import GitHubApiError, GitHubClient
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.profile import build_profile
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_devtools.reliability import repos
from repo2video_devtools.reliability.checks import find_leaks
from repo2video_devtools.reliability.render import render_in_process
from repo2video_tests.profiles import llm_script

LLM_KEY = "sk-R2V-LLM-KEY-5f3a9c"
GITHUB_TOKEN = "ghp_R2VGITHUBTOKEN7d21"
WEBHOOK_SECRET = "R2V-WEBHOOK-SECRET-93bd"
SECRETS = [LLM_KEY.encode(), GITHUB_TOKEN.encode(), WEBHOOK_SECRET.encode()]


@dataclass
class FakeApi:
    """Answers every request with ``status`` and ``body``; records the headers it got."""

    status: int = 200
    body: bytes = b"{}"
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


@contextlib.contextmanager
def serve(api: FakeApi) -> Iterator[FakeApi]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            api.headers.append(dict(self.headers))
            self.send_response(api.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(api.body)))
            self.end_headers()
            self.wfile.write(api.body)

        do_GET = do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def chat_answer(content: str) -> bytes:
    message = {"role": "assistant", "content": content}
    return json.dumps({"choices": [{"index": 0, "message": message}]}).encode()


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPO2VIDEO_LLM_API_KEY", LLM_KEY)
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    monkeypatch.setenv("REPO2VIDEO_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("REPO2VIDEO_WRITER", "llm")


def _script_run(tmp_path: Path, llm: FakeApi, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REPO2VIDEO_LLM_BASE_URL", llm.url + "/v1")
    repo = repos.tiny_repo(tmp_path / "tiny")
    return render_in_process(
        str(repo), tmp_path, assets=["repo_snapshot", "repo_profile", "video_script"]
    )


def _stored(home: Path) -> dict[str, Any]:
    """Run config, tags and every event message of every run in the instance."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        out = {}
        for run in instance.get_runs():
            events = [e.message or "" for e in instance.all_logs(run.run_id)]
            out[run.run_id] = {"config": run.run_config, "tags": dict(run.tags), "events": events}
        return out


def test_llm_key_is_sent_but_never_stored(
    tmp_path: Path, secret_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(FakeApi(body=chat_answer(json.dumps(llm_script())))) as llm:
        outcome = _script_run(tmp_path, llm, monkeypatch)
    assert outcome.ok, outcome.error
    assert llm.headers and llm.headers[0].get("Authorization") == f"Bearer {LLM_KEY}"
    stored = json.dumps(_stored(outcome.home), default=str)
    assert "video_script" in stored  # the search below looks at real run records
    assert not [s for s in SECRETS if s.decode() in stored]
    assert find_leaks([outcome.home, outcome.data_dir], SECRETS) == []


def test_a_server_that_echoes_the_key_does_not_put_it_in_the_failure(
    tmp_path: Path, secret_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps({"error": {"message": f"Incorrect API key provided: {LLM_KEY}"}}).encode()
    with serve(FakeApi(status=401, body=body)) as llm:
        outcome = _script_run(tmp_path, llm, monkeypatch)
    assert not outcome.ok and outcome.user_error
    assert "401" in (outcome.error or "") and LLM_KEY not in (outcome.error or "")
    assert llm.headers[0].get("Authorization") == f"Bearer {LLM_KEY}"
    assert find_leaks([outcome.home, outcome.data_dir], SECRETS) == []


def test_github_token_never_appears_in_errors(tmp_path: Path) -> None:
    echo = json.dumps({"message": f"Bad credentials {GITHUB_TOKEN}"}).encode()
    for status in (401, 403, 500):
        with serve(FakeApi(status=status, body=echo)) as api:
            client = GitHubClient(base_url=api.url, token=GITHUB_TOKEN, timeout_s=5)
            with pytest.raises(GitHubApiError) as info:
                client.repo_info("octo", "repo")
        assert api.headers[0].get("Authorization") == f"Bearer {GITHUB_TOKEN}"
        assert GITHUB_TOKEN not in str(info.value) and GITHUB_TOKEN not in repr(client)


def test_profile_and_records_hold_no_environment_secrets(tmp_path: Path, secret_env: None) -> None:
    repo = repos.tiny_repo(tmp_path / "tiny")
    policy = SourcePolicy(allow_local=True)
    snapshot = clone_snapshot(parse_target(str(repo), policy), tmp_path / "ws", policy)
    dumped = repr(build_profile(snapshot)) + repr(snapshot)
    assert not [s for s in SECRETS if s.decode() in dumped]
    assert find_leaks([tmp_path / "ws"], SECRETS) == []


# ---------------------------------------------------------------------- receiver

PAYLOAD_MARK = "R2V-PAYLOAD-PRIVATE-b71e"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_receiver_errors_never_echo_the_payload_and_logs_never_hold_the_secret(
    tmp_path: Path,
) -> None:
    from starlette.testclient import TestClient

    from repo2video_dagster.receiver.app import create_app
    from repo2video_dagster.receiver.event_storage import sqlite_url
    from repo2video_dagster.receiver.eventlog import EventLog
    from repo2video_dagster.receiver.webhooks import compute_signature

    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    eventlog = EventLog(sqlite_url(tmp_path / "events.db"))
    app = create_app(eventlog=eventlog, secret=WEBHOOK_SECRET, max_body_bytes=4096)
    secret_payload = json.dumps(
        {"action": "created", "token": PAYLOAD_MARK, "repository": {"full_name": "o/n"}}
    ).encode()
    cases = [
        ("bad signature", secret_payload, "application/json", "sha256=" + "0" * 64),
        ("no signature", secret_payload, "application/json", None),
        ("not JSON", PAYLOAD_MARK.encode() + b"{", "application/json", "sign"),
        ("JSON list", json.dumps([PAYLOAD_MARK]).encode(), "application/json", "sign"),
        (
            "form without payload",
            f"x={PAYLOAD_MARK}".encode(),
            "application/x-www-form-urlencoded",
            "sign",
        ),
        ("bad form", b"%zz" + PAYLOAD_MARK.encode(), "application/x-www-form-urlencoded", "sign"),
        ("wrong type", secret_payload, "text/plain", "sign"),
        ("too large", PAYLOAD_MARK.encode() * 400, "application/json", "sign"),
    ]
    try:
        with TestClient(app) as client:
            for name, body, ctype, sig in cases:
                headers = {
                    "Content-Type": ctype,
                    "X-GitHub-Event": "star",
                    "X-GitHub-Delivery": f"d-{abs(hash(name))}",
                }
                if sig == "sign":
                    headers["X-Hub-Signature-256"] = compute_signature(WEBHOOK_SECRET, body)
                elif sig:
                    headers["X-Hub-Signature-256"] = sig
                resp = client.post("/webhook", content=body, headers=headers)
                assert resp.status_code >= 400, (name, resp.status_code)
                assert PAYLOAD_MARK not in resp.text, name
                assert WEBHOOK_SECRET not in resp.text, name
                assert len(resp.json()["error"].splitlines()) == 1
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        eventlog.close()
    logged = "\n".join(handler.lines)
    assert "refused" in logged  # the receiver did log these deliveries
    assert WEBHOOK_SECRET not in logged and PAYLOAD_MARK not in logged
    assert find_leaks([tmp_path], [WEBHOOK_SECRET.encode(), PAYLOAD_MARK.encode()]) == []


def test_secret_file_errors_name_the_file_not_its_content(tmp_path: Path) -> None:
    from repo2video_dagster.lib.core.errors import UserError
    from repo2video_dagster.receiver.serve import load_secret

    secret_file = tmp_path / "secret"
    secret_file.write_text(WEBHOOK_SECRET + "\n")
    assert (
        load_secret({"REPO2VIDEO_WEBHOOK_SECRET_FILE": str(secret_file)}) == WEBHOOK_SECRET.encode()
    )
    with pytest.raises(UserError) as info:
        load_secret({"REPO2VIDEO_WEBHOOK_SECRET_FILE": str(tmp_path)})  # a directory
    assert str(tmp_path) in str(info.value) and WEBHOOK_SECRET not in str(info.value)


NOTIFY_SIGNING_KEY = "R2V-NOTIFY-SIGNING-KEY-b71e"
SMTP_PASSWORD = "R2V-SMTP-PASSWORD-2a9f"
HOOK_TOKEN = "R2VHOOKTOKEN5d0c"
"""The path of a Slack-style incoming webhook address is its token."""


def test_notification_secrets_are_used_but_never_stored_logged_or_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Signing key, SMTP password and webhook token: sent to the loopback servers, absent
    from run storage (tags, config, event logs), from logs and from the sensors' lines,
    also when the webhook fails once and the SMTP login is refused."""
    from dagster import instance_for_test

    from repo2video_dagster.sensors.notifications import NotifyResource
    from repo2video_tests.git_https import make_test_ca
    from repo2video_tests.notify_runs import evaluate, finished_run
    from repo2video_tests.notify_servers import HttpSink, serve_http_sink, serve_smtp

    ca = make_test_ca(tmp_path / "ca")
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "smtp").write_text(SMTP_PASSWORD)
    (secrets_dir / "key").write_text(NOTIFY_SIGNING_KEY)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_file))
    monkeypatch.setenv("REPO2VIDEO_SMTP_PASSWORD_FILE", str(secrets_dir / "smtp"))
    monkeypatch.setenv("REPO2VIDEO_NOTIFY_WEBHOOK_SECRET_FILE", str(secrets_dir / "key"))
    home = tmp_path / "home"
    home.mkdir()
    needles = [s.encode() for s in (NOTIFY_SIGNING_KEY, SMTP_PASSWORD, HOOK_TOKEN)]
    lines = []
    with (
        instance_for_test(temp_dir=str(home)) as instance,
        serve_http_sink(HttpSink(statuses=[500])) as sink,
        serve_smtp(ca.server_context(), credentials=("r2v", "not-the-password")) as smtp,
        caplog.at_level(logging.DEBUG),
    ):
        monkeypatch.setenv(
            "REPO2VIDEO_NOTIFY_WEBHOOK_URL", f"http://127.0.0.1:{sink.port}/hook/{HOOK_TOKEN}"
        )
        notify = NotifyResource(
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_user="r2v",
            email_to=["ops@r2v.example"],
            retry_delay_s=0.01,
            on_success=True,
        )
        for outcome, sensor in (("failure", "notify_on_failure"), ("success", "notify_on_success")):
            run = finished_run(instance, outcome)
            lines.append(evaluate(instance, run, notify, sensor).skip_message)
        stored = {run.run_id: (run.run_config, dict(run.tags)) for run in instance.get_runs()}
    assert len(sink.requests) == 3 and set(smtp.logins) == {("r2v", SMTP_PASSWORD)}  # all used
    assert all(NOTIFY_SIGNING_KEY.encode() not in body for _, body in sink.requests)
    assert any("email not sent" in line for line in lines), lines
    reported = json.dumps([lines, stored]) + caplog.text
    assert not [n for n in needles if n.decode() in reported]
    assert find_leaks([home], needles) == []
