"""The event table's schema and the records read from and written to it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
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
)

from repo2video_dagster.receiver import fields as F

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
