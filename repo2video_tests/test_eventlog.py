"""The append-only event log: group commit, duplicates, durability, reads the sensor relies on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.receiver.event_storage import EVENTS_URL_ENV, default_events_url, sqlite_url
from repo2video_dagster.receiver.eventlog import EventLog, NewEvent


def ev(delivery: str, key: str = "octo__repo", commit: str | None = None) -> NewEvent:
    return NewEvent(
        delivery_id=delivery,
        event="star",
        action="created",
        repo_full_name="Octo/Repo",
        repo_url="https://github.com/Octo/Repo",
        partition_key=key,
        commit_sha=commit,
        reason="star created",
        summary={"sender": "octocat"},
    )


@pytest.fixture
def log(tmp_path: Path):
    el = EventLog(sqlite_url(tmp_path / "events.db"))
    yield el
    el.close()


def test_append_round_trips_fields_in_id_order(log: EventLog) -> None:
    for i in range(5):
        assert not log.append(ev(f"d{i}", commit="c" * 40 if i == 3 else None)).duplicate
    rows = log.read_since(0, 100)
    assert [r.delivery_id for r in rows] == [f"d{i}" for i in range(5)]
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert rows[3].commit_sha == "c" * 40
    assert rows[0].summary == {"sender": "octocat"}
    assert rows[0].repo_url == "https://github.com/Octo/Repo"
    assert rows[0].run_key is None
    assert [r.delivery_id for r in log.read_since(rows[2].id, 100)] == ["d3", "d4"]
    assert len(log.read_since(0, 2)) == 2
    assert log.max_id() == rows[-1].id


def test_duplicate_delivery_is_rejected_at_the_door(log: EventLog) -> None:
    assert not log.append(ev("same")).duplicate
    assert log.append(ev("same")).duplicate
    # Two copies in the same batch: exactly one is written.
    futures = [log.submit(ev("twin")), log.submit(ev("twin"))]
    assert sorted(f.result(10).duplicate for f in futures) == [False, True]
    assert [r.delivery_id for r in log.read_since(0, 10)] == ["same", "twin"]
    assert log.stats.duplicates == 2


def test_group_commit_uses_fewer_transactions_than_rows(log: EventLog) -> None:
    barrier = threading.Barrier(50)

    def one(i: int) -> bool:
        barrier.wait()
        return log.append(ev(f"g{i}")).duplicate

    with ThreadPoolExecutor(50) as pool:
        dups = list(pool.map(one, range(50)))
    assert dups == [False] * 50
    assert len(log.read_since(0, 100)) == 50
    assert log.stats.rows_written == 50
    assert log.stats.transactions < 50
    assert log.stats.largest_batch > 1


def test_sqlite_runs_in_wal_mode_with_full_sync(log: EventLog) -> None:
    with log.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


_KILL_SCRIPT = """
import os, signal, sys
from repo2video_dagster.receiver.eventlog import EventLog, NewEvent
log = EventLog(sys.argv[1])
futures = [log.submit(NewEvent(f"k{i}", "star", "created", "o/r", "https://github.com/o/r", "o__r"))
           for i in range(200)]
for f in futures:
    f.result(30)
print("acked", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_acknowledged_rows_survive_kill_9(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "events.db")
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_SCRIPT, url], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "acked" in proc.stdout
    reopened = EventLog(url)
    try:
        assert {r.delivery_id for r in reopened.read_since(0, 1000)} == {
            f"k{i}" for i in range(200)
        }
    finally:
        reopened.close()


def test_dispatch_mapping_and_pending(log: EventLog) -> None:
    for i in range(4):
        log.append(ev(f"p{i}"))
    rows = log.read_since(0, 10)
    assert log.pending_count() == 4
    assert log.record_dispatch([(rows[0].id, "p0", "p0"), (rows[1].id, "p1", "p0")]) == 2
    assert log.record_dispatch([(rows[0].id, "p0", "p0")]) == 0  # idempotent
    assert log.get("p1").run_key == "p0"
    assert log.get("p2").run_key is None
    assert log.get("missing") is None
    assert log.deliveries_for_run_key("p0") == ["p0", "p1"]
    assert log.pending_count() == 2
    assert [r.delivery_id for r in log.pending(limit=10)] == ["p3", "p2"]
    assert [r.delivery_id for r in log.pending(limit=10, before_id=rows[3].id)] == ["p2"]
    assert log.pending(limit=10, partition_key="other__repo") == []
    assert [r.delivery_id for r in log.read_undispatched(0, rows[2].id, 10)] == ["p2"]


def test_reopen_keeps_rows_and_closed_log_refuses_writes(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "sub" / "events.db")
    first = EventLog(url)
    first.append(ev("r1"))
    first.close()
    with pytest.raises(RuntimeError):
        first.submit(ev("r2"))
    second = EventLog(url)
    try:
        assert [r.delivery_id for r in second.read_since(0, 10)] == ["r1"]
        assert second.append(ev("r1")).duplicate
    finally:
        second.close()


def test_storage_failure_reaches_every_waiter(log: EventLog) -> None:
    log.append(ev("before"))
    with log.engine.begin() as conn:
        conn.execute(text("DROP TABLE repo2video_event_runs"))
        conn.execute(text("DROP TABLE repo2video_events"))
    futures = [log.submit(ev(f"x{i}")) for i in range(3)]
    for f in futures:
        with pytest.raises(Exception, match="repo2video_events"):
            f.result(10)
    assert log.stats.failures >= 1


def test_default_url_follows_env_then_dagster_home(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv(EVENTS_URL_ENV, raising=False)
    assert default_events_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/repo2video_events.db"
    monkeypatch.setenv(EVENTS_URL_ENV, "postgresql://db/events")
    assert default_events_url(tmp_path) == "postgresql://db/events"
    monkeypatch.delenv(EVENTS_URL_ENV)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(UserError, match="DAGSTER_HOME"):
        default_events_url()
    assert os.environ.get(EVENTS_URL_ENV) is None
