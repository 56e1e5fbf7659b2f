"""Hostile but signed payloads over real HTTP: one-line 400s, honest repositories, stored as sent.

Each body here is signed with the right secret, so it passes the signature
check and reaches the decoder and classifier, which is where these attacks land.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from repo2video_dagster.receiver.app import create_app
from repo2video_dagster.receiver.eventlog import EventLog
from repo2video_dagster.receiver.limits import ReceiverLimits
from repo2video_dagster.receiver.serve import server_options
from repo2video_dagster.receiver.webhooks import FORM_CONTENT_TYPE, PayloadError, classify_event
from repo2video_tests.loopback import github_headers, http_json, serve_app

SECRET = "payload-secret-31c8"
FIXTURES = Path(__file__).parent / "fixtures" / "github"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.payload.json").read_text(encoding="utf-8"))


@pytest.fixture
def port(eventlog: EventLog) -> Iterator[int]:
    limits = ReceiverLimits()
    app = create_app(eventlog=eventlog, secret=SECRET, limits=limits)
    with serve_app(app, lifespan="on", **server_options(limits)) as p:
        yield p


def deliver(
    port: int,
    body: bytes,
    event: str = "star",
    delivery: str | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict]:
    headers = github_headers(event, delivery or str(uuid.uuid4()), body, SECRET, content_type)
    return http_json(port, "POST", "/webhook", body, headers)


def _deep(levels: int) -> bytes:
    return b'{"a":' + b"[" * levels + b"]" * levels + b"}"


_LONG_INT = b"7" * 5000
MALFORMED: dict[str, tuple[bytes, str, str]] = {
    # name: (body, event, content type)
    "nested 5,000 levels (decoded in the event loop)": (_deep(5000), "star", "application/json"),
    "nested 100,000 levels (decoded in a child)": (_deep(100_000), "star", "application/json"),
    "integer of 5,000 digits": (b'{"action": ' + _LONG_INT + b"}", "star", "application/json"),
    "integer of 5,000 digits in a form payload": (
        urlencode({"payload": '{"zen": ' + _LONG_INT.decode() + "}"}).encode(),
        "ping",
        FORM_CONTENT_TYPE,
    ),
    "repository is a list in a push": (
        json.dumps({**fixture("push.with-new-branch"), "repository": [1]}).encode(),
        "push",
        "application/json",
    ),
    "full_name is a number": (
        json.dumps({"action": "created", "repository": {"full_name": 7}}).encode(),
        "star",
        "application/json",
    ),
    "form with a thousand fields": (b"&".join([b"a=1"] * 1000), "star", FORM_CONTENT_TYPE),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_payloads_are_400_with_one_line(
    port: int, eventlog: EventLog, name: str, caplog
) -> None:
    body, event, ctype = MALFORMED[name]
    with caplog.at_level(logging.INFO):
        status, answer = deliver(port, body, event, content_type=ctype)
    assert status == 400, answer
    assert len(answer["error"].splitlines()) == 1 and len(answer["error"]) < 200
    assert "Traceback" not in caplog.text
    assert eventlog.read_since(0, 10) == []


def test_full_name_must_match_html_url(port: int, eventlog: EventLog) -> None:
    payload = fixture("star.created")
    payload["repository"]["full_name"] = "torvalds/linux"
    payload["repository"]["html_url"] = "https://github.com/pallets/click"
    status, answer = deliver(port, json.dumps(payload).encode())
    assert (status, answer["status"]) == (200, "ignored")
    assert "does not match html_url" in answer["reason"]
    payload["repository"]["full_name"] = "Pallets/Click"  # case does not matter
    status, answer = deliver(port, json.dumps(payload).encode())
    assert (status, answer["repo"]) == (202, "pallets__click")
    [row] = eventlog.read_since(0, 10)
    assert row.repo_full_name == "pallets/click"  # as the URL spells it


def test_replayed_delivery_id_is_answered_with_the_stored_delivery(
    port: int, eventlog: EventLog
) -> None:
    delivery = str(uuid.uuid4())
    first = fixture("star.created")
    assert deliver(port, json.dumps(first).encode(), delivery=delivery)[0] == 202
    other = fixture("star.created")
    other["repository"]["full_name"] = "pallets/click"
    other["repository"]["html_url"] = "https://github.com/pallets/click"
    status, answer = deliver(port, json.dumps(other).encode(), delivery=delivery)
    assert (status, answer["status"]) == (200, "duplicate")
    assert answer["repo"] == "codertocat__hello-world" and answer["reason"] == "star created"
    assert [r.partition_key for r in eventlog.read_since(0, 10)] == ["codertocat__hello-world"]


def test_reasons_do_not_tell_whether_a_path_exists(port: int) -> None:
    existing = "repo2video_tests/fixtures"  # relative to the test's working directory
    assert Path(existing).is_dir()
    reasons = []
    for html_url in (existing, "no_such_dir_4b1e/x", "/etc", "../../etc"):
        payload = fixture("star.created")
        payload["repository"]["full_name"] = "o/x"
        payload["repository"]["html_url"] = html_url
        status, answer = deliver(port, json.dumps(payload).encode())
        assert (status, answer["status"]) == (200, "ignored")
        reasons.append(answer["reason"])
    assert len(set(reasons)) == 1, reasons
    assert reasons[0] == "repository refused: html_url is not a URL"


def test_summary_and_stored_fields_are_clipped_whatever_their_type(
    port: int, eventlog: EventLog
) -> None:
    payload = fixture("release.published")
    payload["release"]["tag_name"] = "v" + "9" * 10_000
    payload["release"]["target_commitish"] = {"nested": ["x" * 10_000]}
    payload["sender"]["login"] = ["x" * 10_000]
    status, answer = deliver(port, json.dumps(payload).encode(), "release")
    assert status == 202, answer
    assert len(answer["reason"]) <= 255
    [row] = eventlog.read_since(0, 10)
    assert len(row.ref) <= 255 and row.ref.endswith("…")
    assert len(row.reason) <= 255
    assert set(row.summary) == {"tag"} and len(row.summary["tag"]) <= 200
    assert len(json.dumps(row.summary)) < 1000


def test_lone_surrogates_never_reach_storage_or_answers(port: int, eventlog: EventLog) -> None:
    star = fixture("star.created")
    star["repository"]["full_name"] = "pallets/\ud800"
    status, answer = deliver(port, json.dumps(star).encode())
    assert (status, answer["status"]) == (200, "ignored")  # full_name disagrees with html_url
    push = fixture("push.with-new-branch")
    push["repository"]["default_branch"] = "b\ud800"
    push["ref"] = "refs/heads/b\ud800"
    push["sender"]["login"] = "\udfff"
    status, answer = deliver(port, json.dumps(push).encode(), "push")
    assert status == 202, answer
    [row] = eventlog.read_since(0, 10)
    assert row.ref == "refs/heads/b\ufffd" and row.summary["sender"] == "\ufffd"


def test_classifier_refuses_wrong_types_with_payload_error() -> None:
    payload = fixture("push.with-new-branch")
    payload["repository"] = [1]
    with pytest.raises(PayloadError, match="repository"):
        classify_event("push", payload)
