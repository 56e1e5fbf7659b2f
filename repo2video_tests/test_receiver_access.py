"""Who may read /jobs and /health, which client address is believed, which URLs are handed out."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, instance_for_test

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.receiver.access import (
    ApiAccess,
    load_token,
    parse_networks,
    parse_public_url,
)
from repo2video_dagster.receiver.app import create_app
from repo2video_dagster.receiver.eventlog import EventLog
from repo2video_dagster.receiver.job_view import shown_output
from repo2video_dagster.receiver.limits import ReceiverLimits
from repo2video_dagster.receiver.serve import server_options
from repo2video_tests.loopback import github_headers, http_json, serve_app

SECRET = "access-secret-90e2"
TOKEN = "access-token-1c77"
FIXTURES = Path(__file__).parent / "fixtures" / "github"
LOOPBACK_PROXY = parse_networks("127.0.0.1")


@pytest.fixture(scope="module")
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as inst:
        yield inst


def serve(eventlog: EventLog, instance: DagsterInstance, access: ApiAccess, **options):
    app = create_app(eventlog=eventlog, secret=SECRET, instance=instance, access=access)
    return serve_app(app, **server_options(ReceiverLimits()), **options)


def get(port: int, path: str, **headers: str) -> tuple[int, dict]:
    return http_json(port, "GET", path, headers=headers)


# ---- the job API -------------------------------------------------------------------


def test_token_is_required_when_configured(eventlog: EventLog, instance) -> None:
    with serve(eventlog, instance, ApiAccess(token=TOKEN.encode())) as port:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            status, answer = get(port, "/jobs", **headers)
            assert status == 401 and "REPO2VIDEO_API_TOKEN" in answer["error"]
            assert get(port, "/jobs/some-delivery", **headers)[0] == 401
        status, page = get(port, "/jobs", Authorization=f"Bearer {TOKEN}")
        assert status == 200 and page["jobs"] == []
        assert get(port, "/health") == (200, {"status": "ok"})  # liveness, no detail
        status, report = get(port, "/health", Authorization=f"bearer {TOKEN}")
        assert "checks" in report and "writer" in report and status == 503  # no daemon


def test_without_a_token_only_loopback_clients_read_the_api(eventlog: EventLog, instance) -> None:
    remote = {"X-Forwarded-For": "203.0.113.9"}
    with serve(eventlog, instance, ApiAccess()) as port:
        assert get(port, "/jobs")[0] == 200
        # Forwarding headers from an untrusted peer: maybe a local proxy relaying anyone.
        status, answer = get(port, "/jobs", **remote)
        assert status == 403 and "loopback" in answer["error"]
        assert get(port, "/health", **remote) == (200, {"status": "ok"})
    with serve(eventlog, instance, ApiAccess(trusted_proxies=LOOPBACK_PROXY)) as port:
        assert get(port, "/jobs", **remote)[0] == 403  # the proxy says: a remote client
        assert get(port, "/jobs", **{"X-Forwarded-For": "127.0.0.1"})[0] == 200
        assert "checks" in get(port, "/health")[1]


def _access_log_clients(port_factory, headers: dict[str, str], caplog) -> str:
    with port_factory() as port:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            get(port, "/health", **headers)
    return " ".join(str(r.args[0]) for r in caplog.records if r.name == "uvicorn.access")


def test_forwarded_for_is_believed_only_from_trusted_proxies(
    eventlog: EventLog, instance, caplog
) -> None:
    headers = {"X-Forwarded-For": "203.0.113.9"}
    untrusted = _access_log_clients(
        lambda: serve(eventlog, instance, ApiAccess(), log_config=None), headers, caplog
    )
    assert untrusted.startswith("127.0.0.1:") and "203.0.113.9" not in untrusted
    trusted = _access_log_clients(
        lambda: serve(
            eventlog, instance, ApiAccess(trusted_proxies=LOOPBACK_PROXY), log_config=None
        ),
        headers,
        caplog,
    )
    assert trusted.startswith("203.0.113.9")


def test_resolve_client_takes_the_right_most_untrusted_hop() -> None:
    access = ApiAccess(trusted_proxies=parse_networks("127.0.0.1, 10.0.0.0/8"))
    scope = {
        "client": ("127.0.0.1", 5000),
        "headers": [(b"x-forwarded-for", b"198.51.100.1, 203.0.113.9, 10.1.2.3")],
    }
    access.resolve_client(scope)
    assert scope["client"] == ("203.0.113.9", 0)
    garbage = {"client": ("127.0.0.1", 5000), "headers": [(b"x-forwarded-for", b"<script>")]}
    access.resolve_client(garbage)
    assert garbage["client"] == ("127.0.0.1", 5000)
    stranger = {"client": ("192.0.2.7", 5000), "headers": [(b"x-forwarded-for", b"127.0.0.1")]}
    access.resolve_client(stranger)
    assert stranger["client"] == ("192.0.2.7", 5000)


# ---- links ---------------------------------------------------------------------------


def _star(port: int, **extra: str) -> dict:
    body = (FIXTURES / "star.created.payload.json").read_bytes()
    headers = {**github_headers("star", str(uuid.uuid4()), body, SECRET), **extra}
    status, answer = http_json(port, "POST", "/webhook", body, headers)
    assert status == 202, answer
    return answer


def test_status_url_never_comes_from_the_host_header(eventlog: EventLog, instance) -> None:
    with serve(eventlog, instance, ApiAccess()) as port:
        answer = _star(port, Host="evil.example")
        assert answer["status_url"].startswith(f"http://127.0.0.1:{port}/jobs/")
        status, job = get(port, f"/jobs/{answer['delivery_id']}", Host="evil.example")
        assert status == 200 and "evil" not in job["status_url"]
    public = ApiAccess(public_url=parse_public_url("https://hooks.example.com/r2v/"))
    with serve(eventlog, instance, public) as port:
        answer = _star(port, Host="evil.example")
        assert answer["status_url"] == f"https://hooks.example.com/r2v/jobs/{answer['delivery_id']}"


def test_outputs_are_shown_relative_to_the_data_directory() -> None:
    data = Path("/srv/r2v/var")
    assert shown_output("/srv/r2v/var/output/o__n/reel.mp4", data) == "output/o__n/reel.mp4"
    assert shown_output("file:///srv/r2v/var/site/o__n.html", data) == "site/o__n.html"
    assert shown_output("/home/someone/elsewhere/reel.mp4", data) == "reel.mp4"
    assert shown_output("/srv/r2v/var/../../../etc/passwd", data) == "passwd"
    assert shown_output("https://cdn.example.com/o__n/reel.mp4", data).startswith("https://")


# ---- configuration ----------------------------------------------------------------


def test_access_configuration_from_the_environment(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    assert load_token({"REPO2VIDEO_API_TOKEN_FILE": str(token_file)}) == TOKEN.encode()
    assert load_token({"REPO2VIDEO_API_TOKEN": "x", "REPO2VIDEO_API_TOKEN_FILE": "/nope"}) == b"x"
    assert load_token({}) is None
    with pytest.raises(UserError) as info:
        load_token({"REPO2VIDEO_API_TOKEN_FILE": str(tmp_path / "missing")})
    assert "missing" in str(info.value)
    access = ApiAccess.from_env(
        {
            "REPO2VIDEO_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16",
            "REPO2VIDEO_PUBLIC_URL": "https://hooks.example.com",
        }
    )
    assert len(access.trusted_proxies) == 2 and access.public_url == "https://hooks.example.com"
    for bad in ({"REPO2VIDEO_TRUSTED_PROXIES": "everyone"}, {"REPO2VIDEO_PUBLIC_URL": "ftp://x"}):
        with pytest.raises(UserError):
            ApiAccess.from_env(bad)


def test_limits_from_the_environment() -> None:
    limits = ReceiverLimits.from_env(
        {"REPO2VIDEO_WEBHOOK_HEADER_TIMEOUT_S": "2.5", "REPO2VIDEO_WEBHOOK_MAX_HEADERS": "40"}
    )
    assert limits.header_timeout_s == 2.5 and limits.max_headers == 40
    assert limits.max_body_bytes == 25 * 1024 * 1024
    for bad in ("abc", "0", "-1"):
        with pytest.raises(UserError, match="REPO2VIDEO_WEBHOOK_MAX_CONNECTIONS"):
            ReceiverLimits.from_env({"REPO2VIDEO_WEBHOOK_MAX_CONNECTIONS": bad})
    options = server_options(limits)
    assert options["proxy_headers"] is False and options["ws"] == "none"
