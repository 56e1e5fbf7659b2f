"""The receiver's event table on PostgreSQL, the production storage: a real server, a throw-away database.

Group commit works there as on SQLite; two receivers writing the same deliveries at
once store each exactly once (the unique key decides, the loser sees a duplicate); the
sensor's reads see what was committed; and with the server gone every waiting request
hears of it at once (the receiver answers 503), never a false success.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from repo2video_dagster.receiver.eventlog import EventLog, NewEvent
from repo2video_devtools.deploy.postgres import PostgresServer, server_for_tests
from repo2video_devtools.reliability.procs import free_port


def ev(delivery: str, key: str = "octo__repo", commit: str | None = None) -> NewEvent:
    return NewEvent(
        delivery_id=delivery,
        event="push" if commit else "star",
        action=None if commit else "created",
        repo_full_name="Octo/Repo",
        repo_url="https://github.com/Octo/Repo",
        partition_key=key,
        commit_sha=commit,
        reason="test",
        summary={"sender": "octocat", "text": "naïve – ünïcödé"},
    )


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with server_for_tests() as found:
        yield found


@pytest.fixture
def url(server: PostgresServer) -> Iterator[str]:
    with server.database() as db:
        yield db.url.replace("postgresql+psycopg2://", "postgresql://")


@pytest.fixture
def log(url: str) -> Iterator[EventLog]:
    el = EventLog(url)
    yield el
    el.close()


def test_a_bare_postgresql_url_uses_the_driver_in_the_lock(log: EventLog) -> None:
    assert log.url.startswith("postgresql://")
    assert log.engine.dialect.name == "postgresql"
    assert log.engine.dialect.driver == "psycopg2"
    with log.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_rows_round_trip_in_id_order(log: EventLog) -> None:
    for i in range(5):
        assert not log.append(ev(f"d{i}", commit="c" * 40 if i == 3 else None)).duplicate
    rows = log.read_since(0, 100)
    assert [r.delivery_id for r in rows] == [f"d{i}" for i in range(5)]
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert rows[3].commit_sha == "c" * 40
    assert rows[0].summary["text"] == "naïve – ünïcödé"
    assert [r.delivery_id for r in log.read_since(rows[2].id, 100)] == ["d3", "d4"]
    assert log.max_id() == rows[-1].id


def test_group_commit_on_postgres(log: EventLog) -> None:
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
    # Duplicates: in the same batch and against committed rows.
    twins = [log.submit(ev("twin")), log.submit(ev("twin"))]
    assert sorted(f.result(10).duplicate for f in twins) == [False, True]
    assert log.append(ev("g7")).duplicate


def test_two_receivers_store_each_delivery_once(url: str) -> None:
    """Two receiver processes' logs on one table: the unique key decides, nothing is lost or doubled."""
    first, second = EventLog(url), EventLog(url)
    try:
        ids = [f"race{i}" for i in range(120)]
        barrier = threading.Barrier(2)

        def flood(log: EventLog) -> list[bool]:
            barrier.wait()
            futures = [log.submit(ev(i)) for i in ids]
            return [f.result(30).duplicate for f in futures]

        with ThreadPoolExecutor(2) as pool:
            a, b = pool.map(flood, (first, second))
        # Exactly one of the two acknowledgements of each delivery is "new".
        assert [x != y for x, y in zip(a, b, strict=True)] == [True] * len(ids)
        rows = first.read_since(0, 1000)
        assert sorted(r.delivery_id for r in rows) == sorted(ids)
    finally:
        first.close()
        second.close()


def test_sensor_reads_and_dispatch_records(log: EventLog) -> None:
    for i in range(4):
        log.append(ev(f"p{i}", key="a__b" if i % 2 else "c__d"))
    rows = log.read_since(0, 10)
    assert log.pending_count() == 4
    assert log.record_dispatch([(rows[0].id, "p0", "p0"), (rows[2].id, "p2", "p0")]) == 2
    assert log.record_dispatch([(rows[0].id, "p0", "p0")]) == 0  # a re-evaluated tick
    assert log.get("p2").run_key == "p0"
    assert log.deliveries_for_run_key("p0") == ["p0", "p2"]
    assert log.pending_count() == 2
    assert [r.delivery_id for r in log.pending(limit=10)] == ["p3", "p1"]
    assert [r.delivery_id for r in log.pending(limit=10, partition_key="a__b")] == ["p3", "p1"]
    assert [r.delivery_id for r in log.read_undispatched(0, rows[3].id, 10)] == ["p1", "p3"]


def test_server_gone_fails_every_waiter_at_once() -> None:
    """Nothing listens on the port: each request gets the error quickly (the receiver's 503)."""
    gone = EventLog(f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere", create=False)
    try:
        futures = [gone.submit(ev(f"x{i}")) for i in range(5)]
        for f in futures:
            with pytest.raises(Exception, match="Connection refused|could not connect"):
                f.result(10)
        assert gone.stats.failures >= 1
        assert gone.stats.rows_written == 0
        with pytest.raises(Exception, match="Connection refused|could not connect"):
            gone.ping()
    finally:
        gone.close()
