"""``github_events_sensor``: turns recorded webhook deliveries into render runs.

The receiver only appends to its event log; this sensor reads the log with an
integer cursor (the row id), a bounded chunk per tick so a backlog of thousands
of deliveries never runs into the sensor timeout, and in the same tick:

- adds the repositories it has not seen as dynamic partitions (and records
  their targets in the SourceRegistry of the ``storage`` resource's data
  directory, where ``repo_snapshot`` looks them up);
- requests one run per (repository, commit): deliveries in the tick for the
  same repository and commit coalesce, and so do deliveries for a repository
  whose webhook run is still queued (it has not started, so it will render the
  newest state anyway);
- records, for every delivery, the run key it went to, so ``/jobs/<delivery>``
  finds the run of a coalesced delivery.

``run_key`` is the (first) delivery id, so a redelivery or a re-evaluated tick
never makes a second run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from repo2video_dagster.launch import record_targets
from repo2video_dagster.lib.core.settings import env_number
from repo2video_dagster.partitions import RENDER_JOB_NAME, repositories_partitions
from repo2video_dagster.receiver.event_storage import (
    DEFAULT_DB_NAME,
    EVENTS_URL_ENV,
    default_events_url,
    sqlite_url,
)
from repo2video_dagster.receiver.eventlog import LOOKBACK_IDS, EventLog, EventRow
from repo2video_dagster.resources import StorageResource
from repo2video_dagster.run_tags import (
    PARTITION_TAG,
    TAG_COALESCED,
    TAG_COMMIT,
    TAG_DELIVERY,
    TAG_EVENT,
    TAG_REF,
    TAG_TRIGGER,
    TRIGGER_WEBHOOK,
    render_tags,
)

DEFAULT_CHUNK = 500
"""Deliveries read per tick; ``REPO2VIDEO_SENSOR_CHUNK`` changes it."""

_eventlogs: dict[str, EventLog] = {}
_eventlogs_lock = threading.Lock()


def _eventlog(url: str) -> EventLog:
    """One EventLog (engine and pool) per URL for the life of the code server."""
    with _eventlogs_lock:
        if url not in _eventlogs:
            _eventlogs[url] = EventLog(url)
        return _eventlogs[url]


def _events_url(context: SensorEvaluationContext) -> str:
    """Env override, else the log next to the instance (the receiver uses the same home)."""
    if os.environ.get(EVENTS_URL_ENV, "").strip():
        return default_events_url()
    root = getattr(context.instance, "root_directory", None)
    if root:
        return sqlite_url(Path(root) / DEFAULT_DB_NAME)
    return default_events_url()


def _group_key(row: EventRow) -> tuple[str, str]:
    return (row.partition_key or "", row.commit_sha or "")


def _queued_webhook_runs(context: SensorEvaluationContext) -> dict[tuple[str, str], str]:
    """(partition, commit) -> run key of webhook runs that have not started yet."""
    records = context.instance.get_run_records(
        RunsFilter(
            job_name=RENDER_JOB_NAME,
            statuses=[DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED],
            tags={TAG_TRIGGER: TRIGGER_WEBHOOK},
        ),
        limit=1000,
    )
    out: dict[tuple[str, str], str] = {}
    for rec in records:
        tags = rec.dagster_run.tags
        if tags.get(TAG_DELIVERY) and tags.get(PARTITION_TAG):
            out.setdefault((tags[PARTITION_TAG], tags.get(TAG_COMMIT, "")), tags[TAG_DELIVERY])
    return out


def _run_request(primary: EventRow, members: Sequence[EventRow]) -> RunRequest:
    tags = {
        **render_tags(
            primary.partition_key or "",
            primary.repo_url or "",
            TRIGGER_WEBHOOK,
            commit=primary.commit_sha,
            events=[m.event for m in members],
        ),
        TAG_DELIVERY: primary.delivery_id,
        TAG_EVENT: primary.event,
        **({TAG_REF: primary.ref} if primary.ref else {}),
        TAG_COALESCED: str(len(members)),
    }
    return RunRequest(
        run_key=primary.delivery_id,
        partition_key=primary.partition_key,
        tags=tags,
        job_name=RENDER_JOB_NAME,
    )


def plan_tick(
    rows: Sequence[EventRow], queued: dict[tuple[str, str], str]
) -> tuple[list[RunRequest], list[tuple[int, str, str]]]:
    """Coalesce one chunk into run requests and the delivery -> run key mapping.

    A row that already has a run key (a tick evaluated again after the daemon
    lost its result) keeps it, so the same run is requested again and the daemon's
    run-key check drops the copy.
    """
    groups: dict[tuple[str, str], list[EventRow]] = {}
    for row in rows:
        groups.setdefault(_group_key(row), []).append(row)
    requests: list[RunRequest] = []
    mapping: list[tuple[int, str, str]] = []
    for key, members in groups.items():
        run_key = next((r.run_key for r in members if r.run_key), None)
        run_key = run_key or queued.get(key) or members[0].delivery_id
        mapping.extend((r.id, r.delivery_id, run_key) for r in members)
        primary = next((r for r in members if r.delivery_id == run_key), None)
        if primary is not None:
            requests.append(_run_request(primary, members))
    return requests, mapping


def _read_chunk(eventlog: EventLog, cursor: int, chunk: int) -> tuple[list[EventRow], int]:
    """Rows after the cursor plus late-committed rows below it; the next cursor."""
    fresh = eventlog.read_since(cursor, chunk)
    late = (
        eventlog.read_undispatched(max(0, cursor - LOOKBACK_IDS), cursor, chunk) if cursor else []
    )
    next_cursor = fresh[-1].id if fresh else cursor
    seen = {r.id for r in fresh}
    return [r for r in late if r.id not in seen] + fresh, next_cursor


def evaluate_events(
    context: SensorEvaluationContext,
    eventlog: EventLog,
    data_dir: Path,
    chunk: int,
) -> SensorResult:
    """One tick: read a chunk, record targets, add partitions, request runs, advance the cursor."""
    cursor = int(context.cursor) if (context.cursor or "").isdigit() else 0
    rows, next_cursor = _read_chunk(eventlog, cursor, chunk)
    rows = [r for r in rows if r.partition_key]
    if not rows:
        return SensorResult(skip_reason="no new webhook deliveries", cursor=str(next_cursor))

    new_keys = record_targets(
        context.instance, data_dir, [(r.partition_key or "", r.repo_url) for r in rows]
    )
    requests, mapping = plan_tick(rows, _queued_webhook_runs(context))
    eventlog.record_dispatch(mapping)
    context.log.info(
        f"{len(rows)} deliveries -> {len(requests)} run requests, "
        f"{len(new_keys)} new repositories, cursor {cursor} -> {next_cursor}"
    )
    dynamic = [repositories_partitions.build_add_request(new_keys)] if new_keys else []
    return SensorResult(
        run_requests=requests, dynamic_partitions_requests=dynamic, cursor=str(next_cursor)
    )


def build_github_events_sensor(
    *,
    name: str = "github_events_sensor",
    events_url: str | None = None,
    chunk_size: int | None = None,
    minimum_interval_seconds: int = 5,
) -> SensorDefinition:
    """The sensor; arguments override the environment (tests, or a second instance).

    The data directory (where targets are recorded) is the ``storage`` resource's, the
    same one the assets write to.
    """

    @sensor(
        name=name,
        job_name=RENDER_JOB_NAME,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Starts renders for GitHub webhook deliveries recorded by the receiver.",
    )
    def _sensor(context: SensorEvaluationContext, storage: StorageResource) -> SensorResult:
        eventlog = _eventlog(events_url or _events_url(context))
        chunk = chunk_size or env_number("SENSOR_CHUNK", DEFAULT_CHUNK) or DEFAULT_CHUNK
        return evaluate_events(context, eventlog, storage.layout.root, chunk)

    return _sensor


github_events_sensor = build_github_events_sensor()
