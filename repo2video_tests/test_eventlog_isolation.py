"""One delivery that cannot be stored never fails the others committed with it (SQLite and PostgreSQL).

The PostgreSQL variants use the server at 127.0.0.1:5432 (user postgres,
database ``test``, or ``REPO2VIDEO_TEST_POSTGRES_URL``), each in a throw-away
schema so parallel runs do not meet; they skip, saying why, when no server answers.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from repo2video_dagster.receiver.app import create_app
from repo2video_dagster.receiver.event_storage import sqlite_url
from repo2video_dagster.receiver.eventlog import EventLog, NewEvent, RowRejected
from repo2video_devtools.deploy.postgres import PostgresServer, server_for_tests
from repo2video_tests.loopback import github_headers, http_json, serve_app

SECRET = "isolation-secret-a07d"
FIXTURES = Path(__file__).parent / "fixtures" / "github"


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    """The configured or machine's PostgreSQL, else a throw-away cluster (never a skip)."""
    with server_for_tests() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A SQLAlchemy URL whose tables land in a fresh schema, dropped afterwards."""
    schema = f"r2v_test_{uuid.uuid4().hex[:12]}"
    url = postgres_server.admin_url
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def events_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "events.db")
    return request.getfixturevalue("postgres_url")


def ev(delivery: str, **fields: Any) -> NewEvent:
    base: dict[str, Any] = {
        "event": "star",
        "action": "created",
        "repo_full_name": "octo/repo",
        "repo_url": "https://github.com/octo/repo",
        "partition_key": "octo__repo",
        "reason": "star created",
    }
    return NewEvent(delivery_id=delivery, **{**base, **fields})


class Unnormalised(NewEvent):
    """A row as a careless writer would build it: fields not cleaned or clipped.

    Stands for any row the database refuses (a new column, a future field), so
    the isolation itself is tested, not only the cleaning that prevents it.
    """

    def row(self) -> dict[str, Any]:
        row = super().row()
        row.update(repo_full_name=self.repo_full_name, ref=self.ref)
        return row


def test_a_refused_row_fails_alone(events_url: str, caplog) -> None:
    log = EventLog(events_url, linger_s=0.5)
    try:
        good = [ev(f"good-{i}") for i in range(20)]
        bad = [
            Unnormalised(**vars(ev("bad-surrogate", repo_full_name="pallets/\ud800"))),
            Unnormalised(**vars(ev("bad-nul", ref="refs/tags/a\x00b"))),
        ]
        if events_url.startswith("postgresql"):  # SQLite stores any length
            bad.append(Unnormalised(**vars(ev("bad-long", ref="refs/tags/" + "v" * 301))))
        batch = good[:10] + bad + good[10:]
        with caplog.at_level(logging.INFO):
            futures = [log.submit(e) for e in batch]
            outcomes = {}
            for e, fut in zip(batch, futures, strict=True):
                try:
                    outcomes[e.delivery_id] = fut.result(30)
                except RowRejected as exc:
                    outcomes[e.delivery_id] = exc
        assert log.stats.largest_batch == len(batch)  # they really shared one commit
        assert all(not outcomes[e.delivery_id].duplicate for e in good)
        stored = {r.delivery_id for r in log.read_since(0, 100)}
        assert {e.delivery_id for e in good} <= stored
        refused = [d for d, o in outcomes.items() if isinstance(o, RowRejected)]
        assert "bad-surrogate" in refused  # no driver can encode a lone surrogate
        assert not set(refused) & stored
        if events_url.startswith("postgresql"):
            assert set(refused) == {"bad-surrogate", "bad-nul", "bad-long"}
        assert log.stats.failures == 0
        assert log.engine.hide_parameters  # SQL errors never carry a row's values
        # The log names the delivery and the error class, never the row's values.
        assert "pallets/" not in caplog.text and "vvvvvvvv" not in caplog.text
    finally:
        log.close()


def test_cleaned_rows_store_the_same_on_every_database(events_url: str) -> None:
    log = EventLog(events_url)
    try:
        odd = ev(
            "odd",
            repo_full_name="pallets/\ud800",
            ref="refs/tags/" + "v" * 301,
            action="a\x00" * 100,
            reason="r" * 1000,
            summary={"tag": "t" * 10_000, "nested": {"a": 1}, "sender": "\udfff"},
        )
        assert not log.append(odd).duplicate
        row = log.get("odd")
        assert row.repo_full_name == "pallets/\ufffd"
        assert len(row.ref) == 255 and row.ref.endswith("…")
        assert len(row.action) == 64 and "\x00" not in row.action
        assert len(row.reason) == 255
        assert row.summary == {"tag": "t" * 199 + "…", "sender": "\ufffd"}
    finally:
        log.close()


def _release(tag: str) -> bytes:
    payload = json.loads((FIXTURES / "release.published.payload.json").read_text())
    payload["release"]["tag_name"] = tag
    return json.dumps(payload).encode()


def _star(full_name: str, with_url: bool = True) -> bytes:
    payload = json.loads((FIXTURES / "star.created.payload.json").read_text())
    payload["repository"]["full_name"] = full_name
    if not with_url:
        del payload["repository"]["html_url"]
    return json.dumps(payload).encode()


def test_hostile_deliveries_do_not_fail_their_neighbours_over_http(events_url: str) -> None:
    """The filed case: 54 good concurrent deliveries with a surrogate star and a 301-char tag."""
    log = EventLog(events_url, linger_s=0.05)
    good_body = (FIXTURES / "star.created.payload.json").read_bytes()
    hostile = [
        ("star", _star("pallets/\ud800")),
        ("star", _star("pallets/\ud800", with_url=False)),
        ("release", _release("v" * 301)),
        ("release", _release("x\ud800\x00" + "y" * 400)),
    ]
    jobs = [("star", good_body, True)] * 54 + [(e, b, False) for e, b in hostile]
    barrier = threading.Barrier(len(jobs))
    try:
        with serve_app(create_app(eventlog=log, secret=SECRET), lifespan="on") as port:

            def one(job: tuple[str, bytes, bool]) -> tuple[int, bool]:
                event, body, is_good = job
                headers = github_headers(event, str(uuid.uuid4()), body, SECRET)
                barrier.wait()
                return http_json(port, "POST", "/webhook", body, headers)[0], is_good

            with ThreadPoolExecutor(len(jobs)) as pool:
                results = list(pool.map(one, jobs))
        good_statuses = [s for s, is_good in results if is_good]
        hostile_statuses = [s for s, is_good in results if not is_good]
        assert good_statuses == [202] * 54
        assert all(s in (200, 202) or 400 <= s < 500 for s in hostile_statuses), hostile_statuses
        rows = log.read_since(0, 1000)
        assert len(rows) == 54 + hostile_statuses.count(202)
        for row in rows:
            for value in (row.repo_full_name, row.ref, row.reason, row.action):
                assert value is None or (len(value) <= 255 and "\x00" not in value)
                assert value is None or value.encode("utf-8")
    finally:
        log.close()
