"""Append-only log of accepted webhook deliveries, written with group commit.

Why not Dagster's own event storage: ``report_runless_asset_event`` on SQLite
managed ~130 writes/s (p50 7 ms) and degraded under concurrency, while the
receiver must acknowledge 200 deliveries/s with p99 <= 20 ms, and only after the
delivery is durable (GitHub does not retry failed deliveries by itself).

So the receiver owns one small table. Requests hand their row to a single
writer thread; the writer takes everything that queued up while the previous
commit was running (up to ``max_batch`` rows, lingering ``linger_s`` for
stragglers) and commits it in ONE transaction, then resolves every request's
future. N concurrent requests cost one commit instead of N.

The Dagster sensor reads the table in id order with an integer cursor and
records, per event, the run key it was mapped to (``repo2video_event_runs``),
which is how ``/jobs/<delivery id>`` finds the run of a coalesced event.

Storage: any SQLAlchemy URL (``REPO2VIDEO_EVENTS_URL``, e.g. Postgres);
by default a SQLite file ``$DAGSTER_HOME/repo2video_events.db`` in WAL mode.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError, StatementError
from sqlalchemy.sql import Select

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.receiver import fields as F

log = logging.getLogger(__name__)

EVENTS_URL_ENV = "REPO2VIDEO_EVENTS_URL"
SQLITE_SYNC_ENV = "REPO2VIDEO_EVENTS_SYNC"
DEFAULT_DB_NAME = "repo2video_events.db"

# How far below the sensor cursor to look for rows that committed late (ids are
# allocated before commit, so with several writers an older id can appear after a
# newer one was read). Rows in that window without a dispatch record are picked up.
LOOKBACK_IDS = 5000

_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrement needs INTEGER

metadata = MetaData()

events_table = Table(
    "repo2video_events",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("delivery_id", String(F.DELIVERY_ID_MAX), nullable=False, unique=True),
    Column("event", String(F.EVENT_MAX), nullable=False),
    Column("action", String(F.ACTION_MAX)),
    Column("repo_full_name", String(F.REPO_FULL_NAME_MAX)),
    Column("repo_url", String(F.REPO_URL_MAX)),
    Column("partition_key", String(F.PARTITION_KEY_MAX), index=True),
    Column("commit_sha", String(F.COMMIT_SHA_MAX)),
    Column("ref", String(F.REF_MAX)),
    Column("reason", String(F.REASON_MAX)),
    Column("summary", Text),
    Column("received_at", Float, nullable=False),
)

dispatch_table = Table(
    "repo2video_event_runs",
    metadata,
    Column("event_id", _ID, ForeignKey("repo2video_events.id"), primary_key=True),
    Column("delivery_id", String(F.DELIVERY_ID_MAX), nullable=False, unique=True),
    Column("run_key", String(F.DELIVERY_ID_MAX), nullable=False, index=True),
    Column("dispatched_at", Float, nullable=False),
)


@dataclass(frozen=True)
class NewEvent:
    """An accepted delivery, as the receiver hands it to the writer."""

    delivery_id: str
    event: str
    action: str | None
    repo_full_name: str | None
    repo_url: str | None
    partition_key: str | None
    commit_sha: str | None = None
    ref: str | None = None
    reason: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    received_at: float = field(default_factory=time.time)

    def row(self) -> dict[str, Any]:
        """The table row: every text valid UTF-8 without NUL and within its column's length.

        The same on SQLite (which would store anything) and PostgreSQL (which refuses
        a longer ``varchar`` or a NUL), so one odd delivery cannot fail the batch.
        The delivery id is not clipped (two ids must never become one); the writer
        refuses an invalid one instead.
        """
        cleaned = {F.clean_text(str(k), 64): F.clean_scalar(v) for k, v in self.summary.items()}
        summary = {k: v for k, v in cleaned.items() if v is not None}
        return {
            "delivery_id": self.delivery_id,
            "event": F.clean_text(self.event, F.EVENT_MAX),
            "action": F.clean_optional(self.action, F.ACTION_MAX),
            "repo_full_name": F.clean_optional(self.repo_full_name, F.REPO_FULL_NAME_MAX),
            "repo_url": F.clean_optional(self.repo_url, F.REPO_URL_MAX),
            "partition_key": F.clean_optional(self.partition_key, F.PARTITION_KEY_MAX),
            "commit_sha": F.clean_optional(self.commit_sha, F.COMMIT_SHA_MAX),
            "ref": F.clean_optional(self.ref, F.REF_MAX),
            "reason": F.clean_text(self.reason or "", F.REASON_MAX),
            "summary": json.dumps(summary, sort_keys=True),
            "received_at": float(self.received_at),
        }


@dataclass(frozen=True)
class EventRow:
    """A stored event, with the run key the sensor mapped it to (None: not read yet)."""

    id: int
    delivery_id: str
    event: str
    action: str | None
    repo_full_name: str | None
    repo_url: str | None
    partition_key: str | None
    commit_sha: str | None
    ref: str | None
    reason: str | None
    summary: dict[str, Any]
    received_at: float
    run_key: str | None = None


@dataclass(frozen=True)
class AppendResult:
    """What the table holds for the delivery id: the new row, or the one stored before.

    For a duplicate the fields are those of the stored delivery, so a replayed id
    with another body is answered with what was recorded, not with the new body.
    """

    delivery_id: str
    duplicate: bool
    event: str | None = None
    partition_key: str | None = None
    reason: str | None = None


class RowRejected(Exception):
    """The database refused this one row (the others of its batch were written).

    Answered 4xx: redelivering the same body would fail the same way.
    """


_STORED = ("delivery_id", "event", "partition_key", "reason")


@dataclass
class WriterStats:
    """Counters of the writer thread, read by tests and /health."""

    transactions: int = 0
    rows_written: int = 0
    duplicates: int = 0
    largest_batch: int = 0
    failures: int = 0


def default_events_url(dagster_home: str | os.PathLike[str] | None = None) -> str:
    """``REPO2VIDEO_EVENTS_URL``, else the SQLite file under DAGSTER_HOME."""
    url = os.environ.get(EVENTS_URL_ENV, "").strip()
    if url:
        return url
    home = dagster_home or os.environ.get("DAGSTER_HOME", "").strip()
    if not home:
        raise UserError(
            "No event log location: DAGSTER_HOME is not set",
            hint=f"Set DAGSTER_HOME (the instance directory) or {EVENTS_URL_ENV}",
        )
    return sqlite_url(Path(home) / DEFAULT_DB_NAME)


def sqlite_url(path: str | os.PathLike[str]) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    """WAL, busy timeout, and explicit BEGIN so writers can take the lock up front.

    Durability: in WAL mode a commit has been written to the WAL file (not only
    to process memory) when it returns, so a ``kill -9`` of the receiver loses
    nothing it acknowledged, with synchronous=NORMAL as with FULL. NORMAL skips
    the fsync per commit, so an OS crash or power cut can lose the last commits;
    FULL (the default here) fsyncs the WAL on every commit, which group commit
    makes affordable: one fsync per batch, not per request.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock at BEGIN: a deferred transaction that reads
        # and then writes fails with SQLITE_BUSY (no wait) if another writer got in
        # between; IMMEDIATE waits on busy_timeout instead.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


# The PostgreSQL driver in requirements.lock (dagster-postgres needs it too).
POSTGRES_DRIVER = "psycopg2"
CONNECT_TIMEOUT_S = 5


def _server_engine(url: str) -> Engine:
    """A database server (PostgreSQL in production): bounded connects, stale links replaced.

    A bare ``postgresql://`` URL means psycopg2, the driver the lock installs
    (SQLAlchemy 2.1 would pick psycopg 3). ``connect_timeout`` bounds a connect to
    an unreachable host well inside the receiver's acknowledgement timeout, so the
    answer is a prompt 503; ``pool_pre_ping`` replaces connections a server restart
    broke, so the first requests after it come back succeed.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername=f"postgresql+{POSTGRES_DRIVER}")
    connect_args: dict[str, Any] = {}
    if parsed.drivername == f"postgresql+{POSTGRES_DRIVER}":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    return create_engine(
        parsed, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args
    )


_STOP = object()


def _result(row: dict[str, Any], *, duplicate: bool) -> AppendResult:
    return AppendResult(
        row["delivery_id"], duplicate, row["event"], row["partition_key"], row["reason"]
    )


def _check_delivery_id(delivery_id: str) -> None:
    if not delivery_id or len(delivery_id) > F.DELIVERY_ID_MAX:
        raise RowRejected("the delivery id is empty or too long")
    if F.clean_text(delivery_id, F.DELIVERY_ID_MAX) != delivery_id:
        raise RowRejected("the delivery id is not valid text")


def _storage_down(exc: BaseException) -> bool:
    """True when the storage failed (not one row): connection, lock, schema or pool errors.

    Other DBAPI errors (IntegrityError, DataError ...), StatementError (SQLAlchemy
    could not bind a value) and plain Python errors a driver raised while encoding
    one row's values (UnicodeEncodeError ...) belong to that row.
    """
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or exc.__class__.__name__ in _STORAGE_ERRORS
    if isinstance(exc, StatementError):
        return False
    return isinstance(exc, SQLAlchemyError)


_STORAGE_ERRORS = frozenset(
    {"OperationalError", "InterfaceError", "InternalError", "ProgrammingError", "NotSupportedError"}
)


def _error_kind(exc: BaseException) -> str:
    """The error's class, and the driver's class under it (never the SQL parameters)."""
    orig = getattr(exc, "orig", None)
    return f"{exc.__class__.__name__}/{orig.__class__.__name__}" if orig else exc.__class__.__name__


def _error_line(exc: BaseException) -> str:
    """One line naming the error; the message's first line (parameters are hidden)."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{_error_kind(exc)}: {first[:300]}"


class EventLog:
    """The event table plus the group-commit writer (started on first :meth:`submit`)."""

    def __init__(
        self,
        url: str,
        *,
        max_batch: int = 256,
        linger_s: float = 0.002,
        create: bool = True,
    ) -> None:
        self.url = url
        self.max_batch = max_batch
        self.linger_s = linger_s
        self.stats = WriterStats()
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.engine = self._make_engine(url)
        if create:
            metadata.create_all(self.engine)

    @staticmethod
    def _make_engine(url: str) -> Engine:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url,
                connect_args={"timeout": 10, "check_same_thread": False},
                hide_parameters=True,
            )
            sync = os.environ.get(SQLITE_SYNC_ENV, "FULL").strip().upper()
            if sync not in ("FULL", "NORMAL", "EXTRA"):
                raise UserError(
                    f"{SQLITE_SYNC_ENV}={sync!r} is not valid", hint="Use FULL or NORMAL"
                )
            _configure_sqlite(engine, sync)
            return engine
        return _server_engine(url)

    def _write_conn(self) -> Connection:
        return self.engine.connect().execution_options(sqlite_begin="IMMEDIATE")

    # ---- writing -----------------------------------------------------------------

    def submit(self, new: NewEvent) -> Future[AppendResult]:
        """Queue one event; the future resolves once its transaction has committed."""
        fut: Future[AppendResult] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("event log is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._writer_loop, name="eventlog-writer", daemon=True
                )
                self._thread.start()
            self._queue.put((new, fut))
        return fut

    def append(self, new: NewEvent, timeout: float | None = 30) -> AppendResult:
        """Blocking :meth:`submit` (CLI, tests)."""
        return self.submit(new).result(timeout)

    def _writer_loop(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is _STOP:
                break
            batch = [item]
            deadline = time.monotonic() + self.linger_s
            while len(batch) < self.max_batch:
                wait = deadline - time.monotonic()
                try:
                    nxt = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._commit_batch(batch)

    def _commit_batch(self, batch: list[tuple[NewEvent, Future[AppendResult]]]) -> None:
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        events = [ev for ev, _ in batch]
        outcomes: list[AppendResult | Exception]
        try:
            outcomes = list(self._insert_batch(events))
        except Exception as exc:  # noqa: BLE001 - sorted out below
            if _storage_down(exc):
                self.stats.failures += 1
                log.error("event log commit of %d rows failed: %s", len(batch), _error_line(exc))
                outcomes = [exc] * len(batch)
            else:
                # One row the database refuses (or a concurrent insert of the same id)
                # must not fail its neighbours: write each row on its own.
                outcomes = self._insert_one_by_one(events)
        for (_ev, fut), outcome in zip(batch, outcomes, strict=True):
            # A waiter that gave up cancelled its future; the row is committed anyway.
            if not fut.set_running_or_notify_cancel():
                continue
            if isinstance(outcome, Exception):
                fut.set_exception(outcome)
            else:
                fut.set_result(outcome)

    def _stored(self, conn: Connection, ids: list[str]) -> dict[str, AppendResult]:
        """The rows already in the table for these delivery ids."""
        e = events_table
        stmt = select(*(e.c[name] for name in _STORED)).where(e.c.delivery_id.in_(ids))
        return {
            m["delivery_id"]: AppendResult(
                m["delivery_id"], True, m["event"], m["partition_key"], m["reason"]
            )
            for m in conn.execute(stmt).mappings()
        }

    def _insert_batch(self, events: list[NewEvent]) -> list[AppendResult]:
        """Insert new delivery ids in one transaction; a duplicate gets the stored row's fields."""
        for ev in events:
            _check_delivery_id(ev.delivery_id)
        ids = list({ev.delivery_id for ev in events})
        with self._write_conn() as conn, conn.begin():
            existing = self._stored(conn, ids)
            first: dict[str, dict[str, Any]] = {}
            rows, results = [], []
            for ev in events:
                if ev.delivery_id in existing:
                    results.append(existing[ev.delivery_id])
                    continue
                if ev.delivery_id in first:
                    results.append(_result(first[ev.delivery_id], duplicate=True))
                    continue
                row = ev.row()
                first[ev.delivery_id] = row
                rows.append(row)
                results.append(_result(row, duplicate=False))
            if rows:
                conn.execute(events_table.insert(), rows)
        self.stats.transactions += 1
        self.stats.rows_written += len(rows)
        self.stats.duplicates += sum(r.duplicate for r in results)
        return results

    def _insert_one_by_one(self, events: list[NewEvent]) -> list[AppendResult | Exception]:
        """Each row in its own transaction; a refused row gets :class:`RowRejected`.

        When the storage itself fails (connection lost, database locked past the busy
        timeout), that row and every later one get the error at once instead of each
        waiting out its own timeout.
        """
        out: list[AppendResult | Exception] = []
        down: Exception | None = None
        for ev in events:
            if down is not None:
                out.append(down)
                continue
            try:
                out.append(self._insert_one(ev))
            except RowRejected as exc:
                log.warning("delivery %s not stored: %s", ev.delivery_id, exc)
                out.append(exc)
            except Exception as exc:  # noqa: BLE001 - sorted out here
                if _storage_down(exc):
                    self.stats.failures += 1
                    log.error("event log write failed: %s", _error_line(exc))
                    down = exc
                    out.append(exc)
                    continue
                rejected = RowRejected(f"the database refused the row ({_error_kind(exc)})")
                log.warning("delivery %s not stored: %s", ev.delivery_id, rejected)
                out.append(rejected)
            finally:
                self.stats.transactions += 1
        return out

    def _insert_one(self, ev: NewEvent) -> AppendResult:
        _check_delivery_id(ev.delivery_id)
        row = ev.row()
        try:
            with self._write_conn() as conn, conn.begin():
                existing = self._stored(conn, [ev.delivery_id])
                if not existing:
                    conn.execute(events_table.insert(), [row])
        except IntegrityError:
            # Another process inserted the same id between our check and insert.
            with self.engine.connect() as conn:
                existing = self._stored(conn, [ev.delivery_id])
            if not existing:
                raise
        if existing:
            self.stats.duplicates += 1
            return existing[ev.delivery_id]
        self.stats.rows_written += 1
        return _result(row, duplicate=False)

    def record_dispatch(self, items: Iterable[tuple[int, str, str]]) -> int:
        """Remember which run key each event went to (``(event_id, delivery_id, run_key)``).

        Idempotent: a sensor tick that is evaluated again after a crash writes the
        same mapping, and rows already present are left alone.
        """
        items = list(items)
        if not items:
            return 0
        now = time.time()
        written = 0
        with self._write_conn() as conn, conn.begin():
            for start in range(0, len(items), 500):
                part = items[start : start + 500]
                have = set(
                    conn.execute(
                        select(dispatch_table.c.event_id).where(
                            dispatch_table.c.event_id.in_([i for i, _, _ in part])
                        )
                    ).scalars()
                )
                rows = [
                    {"event_id": i, "delivery_id": d, "run_key": k, "dispatched_at": now}
                    for i, d, k in part
                    if i not in have
                ]
                if rows:
                    conn.execute(dispatch_table.insert(), rows)
                    written += len(rows)
        return written

    def close(self) -> None:
        """Stop the writer after it has committed everything already queued."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout=30)
        self.engine.dispose()

    # ---- reading -----------------------------------------------------------------

    def _select(self) -> Select[Any]:
        e, d = events_table, dispatch_table
        return select(e, d.c.run_key).select_from(e.outerjoin(d, d.c.event_id == e.c.id))

    @staticmethod
    def _to_row(m: Any) -> EventRow:
        summary = json.loads(m["summary"]) if m["summary"] else {}
        return EventRow(
            id=int(m["id"]),
            delivery_id=m["delivery_id"],
            event=m["event"],
            action=m["action"],
            repo_full_name=m["repo_full_name"],
            repo_url=m["repo_url"],
            partition_key=m["partition_key"],
            commit_sha=m["commit_sha"],
            ref=m["ref"],
            reason=m["reason"],
            summary=summary,
            received_at=float(m["received_at"]),
            run_key=m["run_key"],
        )

    def _fetch(self, stmt: Any) -> list[EventRow]:
        with self.engine.connect() as conn:
            return [self._to_row(m) for m in conn.execute(stmt).mappings()]

    def read_since(self, after_id: int, limit: int) -> list[EventRow]:
        """Events with id > ``after_id`` in id order (the sensor's cursor read)."""
        e = events_table
        return self._fetch(self._select().where(e.c.id > after_id).order_by(e.c.id).limit(limit))

    def read_undispatched(self, low_id: int, high_id: int, limit: int) -> list[EventRow]:
        """Events in (low_id, high_id] that no sensor tick has mapped to a run yet."""
        e, d = events_table, dispatch_table
        stmt = (
            self._select()
            .where(e.c.id > low_id, e.c.id <= high_id, d.c.event_id.is_(None))
            .order_by(e.c.id)
            .limit(limit)
        )
        return self._fetch(stmt)

    def get(self, delivery_id: str) -> EventRow | None:
        rows = self._fetch(self._select().where(events_table.c.delivery_id == delivery_id))
        return rows[0] if rows else None

    def deliveries_for_run_key(self, run_key: str) -> list[str]:
        with self.engine.connect() as conn:
            stmt = (
                select(dispatch_table.c.delivery_id)
                .where(dispatch_table.c.run_key == run_key)
                .order_by(dispatch_table.c.event_id)
            )
            return list(conn.execute(stmt).scalars())

    def pending(
        self, *, limit: int, before_id: int | None = None, partition_key: str | None = None
    ) -> list[EventRow]:
        """Accepted events the sensor has not mapped to a run, newest first."""
        e, d = events_table, dispatch_table
        stmt = self._select().where(d.c.event_id.is_(None))
        if before_id is not None:
            stmt = stmt.where(e.c.id < before_id)
        if partition_key:
            stmt = stmt.where(e.c.partition_key == partition_key)
        return self._fetch(stmt.order_by(e.c.id.desc()).limit(limit))

    def pending_count(self) -> int:
        """Events not yet read by the sensor (bounded scan above the dispatch high-water mark)."""
        e, d = events_table, dispatch_table
        with self.engine.connect() as conn:
            high = conn.execute(select(func.coalesce(func.max(d.c.event_id), 0))).scalar_one()
            stmt = (
                select(func.count())
                .select_from(e.outerjoin(d, d.c.event_id == e.c.id))
                .where(e.c.id > int(high) - LOOKBACK_IDS, d.c.event_id.is_(None))
            )
            return int(conn.execute(stmt).scalar_one())

    def max_id(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.coalesce(func.max(events_table.c.id), 0))).scalar_one()
            )

    def ping(self) -> None:
        """Raises if the storage cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(select(1)).scalar_one()
