"""Where the event table lives: URLs, engines (SQLite tuning, PostgreSQL timeouts), and
which database errors mean 'storage down' (503) rather than 'this row is bad'."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import (
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError

from repo2video_dagster.lib.core.errors import UserError

EVENTS_URL_ENV = "REPO2VIDEO_EVENTS_URL"
SQLITE_SYNC_ENV = "REPO2VIDEO_EVENTS_SYNC"
DEFAULT_DB_NAME = "repo2video_events.db"


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


def make_engine(url: str) -> Engine:
    """SQLite (WAL, the sync level chosen) or a database server, ready for the writer."""
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
            raise UserError(f"{SQLITE_SYNC_ENV}={sync!r} is not valid", hint="Use FULL or NORMAL")
        _configure_sqlite(engine, sync)
        return engine
    return _server_engine(url)


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
