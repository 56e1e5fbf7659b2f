"""Job views: one webhook delivery (or run) as the user sees it, read from Dagster run storage.

A "job" is identified by a delivery id (what the receiver answered with) or a
run id, whole or a unique prefix of at least 8 characters (the UI shows the first 8).
A delivery goes through: recorded by the receiver ("accepted"), read by
the sensor (mapped to a run key in the event log), then a Dagster run exists
(tagged with the run key as ``TAG_DELIVERY``). Several deliveries may map to
one run when the sensor coalesced them; every one of them finds that run.

These functions take the instance and the event log explicitly so the CLI can
use them without the HTTP server.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    RunRecord,
    RunsFilter,
)

from repo2video_dagster.launch import stored_failed_checks, stored_failure
from repo2video_dagster.lib.core.errors import CLI, UI, UserError
from repo2video_dagster.lib.core.settings import ui_url
from repo2video_dagster.partitions import RENDER_JOB_NAME
from repo2video_dagster.priorities import PRIORITY_TAG, priority_for
from repo2video_dagster.receiver.eventlog import EventLog, EventRow
from repo2video_dagster.receiver.job_publication import publication_lines, publication_of
from repo2video_dagster.receiver.webhooks import github_partition_key, repo_source
from repo2video_dagster.run_tags import (
    PARTITION_TAG,
    RETRY_NUMBER_TAG,
    ROOT_RUN_TAG,
    TAG_COMMIT,
    TAG_DELIVERY,
    TAG_EVENT,
    TAG_REPO,
    TAG_TRIGGER,
    TRIGGER_UI,
    TRIGGER_WEBHOOK,
)

ACCEPTED = "accepted"
STATUS_MAP: dict[DagsterRunStatus, str] = {
    DagsterRunStatus.QUEUED: "queued",
    DagsterRunStatus.NOT_STARTED: "queued",
    DagsterRunStatus.MANAGED: "started",
    DagsterRunStatus.STARTING: "started",
    DagsterRunStatus.STARTED: "started",
    DagsterRunStatus.SUSPENDED: "started",
    DagsterRunStatus.CANCELING: "started",
    DagsterRunStatus.SUCCESS: "success",
    DagsterRunStatus.FAILURE: "failure",
    DagsterRunStatus.CANCELED: "canceled",
}
JOB_STATUSES = (ACCEPTED, "queued", "started", "success", "failure", "canceled")
MIN_RUN_ID_PREFIX = 8
_RUN_ID_CHARS = frozenset("0123456789abcdef-")


class AmbiguousJobId(ValueError):
    """A short run id that more than one run starts with (answered with 400)."""


# Metadata keys whose text values are outputs even without a path/url type.
_OUTPUT_SUFFIXES = ("_path", "_url", "_html", "_file", "_dir", "_uri")
_OUTPUT_PREFIXES = ("/", "file://", "http://", "https://", "s3://", "gs://")


def _iso(ts: float | datetime | None) -> str | None:
    if ts is None:
        return None
    if isinstance(ts, datetime):
        return ts.astimezone(UTC).isoformat()
    return datetime.fromtimestamp(float(ts), UTC).isoformat()


def normalize_repo(repo: str) -> str:
    """Accept ``owner/name``, a repository URL, or a partition key; return the key.

    Raises ValueError when it is none of these (answered with 400).
    """
    repo = repo.strip()
    if "/" not in repo:
        return repo
    try:
        if "://" in repo:
            return repo_source(repo).key
        return github_partition_key(repo)
    except UserError as err:
        raise ValueError(f"repo filter: {err}") from err


# ---- run -> job -------------------------------------------------------------------


def _output_value(key: str, value: Any) -> str | None:
    """The path or URL a metadata entry carries, or None when it is not an output."""
    raw = getattr(value, "value", value)
    kind = type(value).__name__
    if kind == "PathMetadataValue":
        return str(getattr(value, "path", raw))
    if kind == "UrlMetadataValue":
        return str(getattr(value, "url", raw))
    if isinstance(raw, str) and (
        key.endswith(_OUTPUT_SUFFIXES) or raw.startswith(_OUTPUT_PREFIXES) or key == "url"
    ):
        return raw
    return None


def _results(instance: DagsterInstance, run_id: str) -> dict[str, dict[str, str]]:
    """Path/URL-valued materialization metadata of the run, per asset."""
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
    ).records
    out: dict[str, dict[str, str]] = {}
    for rec in records:
        mat = rec.event_log_entry.asset_materialization
        if mat is None:
            continue
        values = {}
        for key, value in (mat.metadata or {}).items():
            found = _output_value(key, value)
            if found is not None:
                values[key] = found
        if values:
            out.setdefault(mat.asset_key.to_user_string(), {}).update(values)
    return out


def _retries(instance: DagsterInstance, record: RunRecord) -> int:
    tags = record.dagster_run.tags
    if RETRY_NUMBER_TAG in tags:
        try:
            return int(tags[RETRY_NUMBER_TAG])
        except ValueError:
            pass
    root = tags.get(ROOT_RUN_TAG)
    if root:
        return max(0, instance.get_runs_count(RunsFilter(tags={ROOT_RUN_TAG: root})))
    return 0


def step_attempts(instance: DagsterInstance, run_id: str) -> dict[str, int]:
    """How often each step of the run was attempted: its start plus one per retry
    (``STEP_RESTARTED``). A step that met a transient failure and was retried shows 2
    or 3; a permanent error shows 1."""
    records = instance.get_records_for_run(
        run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_RESTARTED}
    ).records
    attempts: dict[str, int] = {}
    for rec in records:
        ev = rec.event_log_entry.dagster_event
        if ev is not None and ev.step_key:
            attempts[ev.step_key] = attempts.get(ev.step_key, 0) + 1
    return attempts


def _priority(value: str | None) -> int:
    """The run's queue priority (Dagster's default, 0, when untagged or unreadable)."""
    try:
        return int(value or 0)
    except ValueError:
        return 0


def run_summary(record: RunRecord) -> dict[str, Any]:
    """The fields of a job that come from the run record alone (cheap: used by listings)."""
    run = record.dagster_run
    tags = run.tags
    return {
        "job_id": tags.get(TAG_DELIVERY) or run.run_id,
        "run_id": run.run_id,
        "repo": tags.get(TAG_REPO) or tags.get(PARTITION_TAG),
        "partition_key": tags.get(PARTITION_TAG),
        "status": STATUS_MAP.get(run.status, run.status.value.lower()),
        "dagster_status": run.status.value,
        "trigger": tags.get(TAG_TRIGGER),
        "event": tags.get(TAG_EVENT),
        "commit": tags.get(TAG_COMMIT),
        "priority": _priority(tags.get(PRIORITY_TAG)),
        "created_at": _iso(record.create_timestamp),
        "started_at": _iso(record.start_time),
        "ended_at": _iso(record.end_time),
        "run_url": f"{ui_url()}/runs/{run.run_id}",
    }


def run_details(instance: DagsterInstance, record: RunRecord) -> dict[str, Any]:
    """Summary plus retries, error summary and outputs (reads the run's event log)."""
    job = run_summary(record)
    run_id = record.dagster_run.run_id
    job["retries"] = _retries(instance, record)
    job["attempts"] = step_attempts(instance, run_id)
    status = record.dagster_run.status
    # The line for where the run was started: the one ``repo2video render`` printed (its
    # fix a variable or flag), the webhook's or schedule's (a variable), or, for runs
    # started in the Dagster UI, the launchpad key to set there.
    trigger = record.dagster_run.tags.get(TAG_TRIGGER)
    place = UI if trigger in (None, TRIGGER_UI) else CLI
    job["error"] = (
        stored_failure(instance, run_id, place).line if status == DagsterRunStatus.FAILURE else None
    )
    job["checks_failed"] = [c.as_dict() for c in stored_failed_checks(instance, run_id)]
    assets = _results(instance, run_id)
    job["result"] = assets
    job["outputs"] = {k: v for values in assets.values() for k, v in values.items()}
    job["publication"] = publication_of(instance, run_id)
    return job


def _accepted_job(row: EventRow) -> dict[str, Any]:
    return {
        "job_id": row.delivery_id,
        "run_id": None,
        "repo": row.partition_key,
        "partition_key": row.partition_key,
        "repo_full_name": row.repo_full_name,
        "status": ACCEPTED,
        "dagster_status": None,
        "trigger": TRIGGER_WEBHOOK,
        "event": row.event,
        "commit": row.commit_sha,
        "priority": priority_for(TRIGGER_WEBHOOK, [row.event]),
        "created_at": _iso(row.received_at),
        "started_at": None,
        "ended_at": None,
        "retries": 0,
        "attempts": {},
        "error": None,
        "checks_failed": [],
        "result": {},
        "outputs": {},
    }


def _latest_run_for_key(instance: DagsterInstance, run_key: str) -> RunRecord | None:
    """The newest run tagged with the delivery (retries carry the same tag)."""
    records = instance.get_run_records(RunsFilter(tags={TAG_DELIVERY: run_key}), limit=1)
    return records[0] if records else None


def get_job(instance: DagsterInstance, eventlog: EventLog, job_id: str) -> dict[str, Any] | None:
    """The job for a delivery id or a run id; None when neither is known."""
    row = eventlog.get(job_id)
    if row is not None:
        record = _latest_run_for_key(instance, row.run_key) if row.run_key else None
        if record is None:
            job = _accepted_job(row)
            job["coalesced_into"] = row.run_key if row.run_key and row.run_key != job_id else None
            return job
        job = run_details(instance, record)
        job["job_id"] = row.delivery_id
        job["repo_full_name"] = row.repo_full_name
        job["coalesced_into"] = row.run_key if row.run_key != row.delivery_id else None
        job["deliveries"] = eventlog.deliveries_for_run_key(row.run_key)
        return job
    record = instance.get_run_record_by_id(job_id)
    if record is None:
        record = _latest_run_for_key(instance, job_id) or _run_by_prefix(instance, job_id)
        if record is None:
            return None
    job = run_details(instance, record)
    key = record.dagster_run.tags.get(TAG_DELIVERY)
    job["deliveries"] = eventlog.deliveries_for_run_key(key) if key else []
    return job


def _run_by_prefix(instance: DagsterInstance, prefix: str) -> RunRecord | None:
    """The one run whose id starts with ``prefix`` (≥ 8 characters, as the UI shows ids).

    Raises :class:`AmbiguousJobId` when several do. Run storage has no prefix query, so
    this pages through the run ids, newest first (ids only: cheap).
    """
    prefix = prefix.lower()
    if not MIN_RUN_ID_PREFIX <= len(prefix) < 36 or not set(prefix) <= _RUN_ID_CHARS:
        return None
    found: list[str] = []
    cursor = None
    while True:
        page = instance.get_run_ids(cursor=cursor, limit=1000)
        found += [run_id for run_id in page if run_id.startswith(prefix)]
        if len(found) > 1:
            raise AmbiguousJobId(
                f"{len(found)} or more runs start with {prefix!r}; give more of the run id"
            )
        if len(page) < 1000:
            break
        cursor = page[-1]
    return instance.get_run_record_by_id(found[0]) if found else None


# ---- listing -----------------------------------------------------------------------


def _encode_cursor(phase: str, position: str | int) -> str:
    raw = json.dumps({"p": phase, "k": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_CURSOR_MAX_CHARS = 512
_RUN_ID_RE = re.compile(r"^[0-9a-f-]{1,64}$")
_MAX_EVENT_ID = 2**63 - 1


def _decode_cursor(cursor: str) -> tuple[str, Any]:
    """The (phase, position) a ``next_cursor`` holds; ValueError for anything we did not issue.

    The position reaches SQL and Dagster's run storage, so its type and range are
    checked here: an event id is an int within BIGINT, a run id a run id string
    (or None: the run listing from its start).
    """
    if len(cursor) > _CURSOR_MAX_CHARS:
        raise ValueError("invalid cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        phase, position = data["p"], data["k"]
    except (ValueError, KeyError, TypeError, RecursionError, binascii.Error) as exc:
        raise ValueError("invalid cursor") from exc
    if phase == "a" and type(position) is int and 0 <= position <= _MAX_EVENT_ID:
        return phase, position
    if phase == "r" and (
        position is None or isinstance(position, str) and _RUN_ID_RE.match(position)
    ):
        return phase, position
    raise ValueError("invalid cursor")


def _run_statuses(status: str | None) -> Sequence[DagsterRunStatus] | None:
    if status is None:
        return None
    return [s for s, name in STATUS_MAP.items() if name == status]


def list_jobs(
    instance: DagsterInstance,
    eventlog: EventLog,
    status: str | None = None,
    repo: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Jobs newest first: deliveries still waiting for the sensor, then render runs.

    ``cursor`` is the opaque ``next_cursor`` of the previous page. Raises
    ValueError for an unknown status, a bad limit or a bad cursor.
    """
    if status is not None and status not in JOB_STATUSES:
        raise ValueError(f"unknown status {status!r} (one of {', '.join(JOB_STATUSES)})")
    if not 1 <= limit <= 500:
        raise ValueError("limit must be between 1 and 500")
    key = normalize_repo(repo) if repo else None
    phase, position = _decode_cursor(cursor) if cursor else ("a", None)
    jobs: list[dict[str, Any]] = []
    next_cursor: str | None = None

    if phase == "a":
        if status in (None, ACCEPTED):
            rows = eventlog.pending(limit=limit + 1, before_id=position, partition_key=key)
            jobs.extend(_accepted_job(r) for r in rows[:limit])
            if len(rows) > limit:
                return {"jobs": jobs, "next_cursor": _encode_cursor("a", rows[limit - 1].id)}
        phase, position = "r", None

    if phase == "r" and status != ACCEPTED:
        want = limit - len(jobs)
        filters = RunsFilter(
            job_name=RENDER_JOB_NAME,
            statuses=_run_statuses(status) or [],
            tags={PARTITION_TAG: key} if key else {},
        )
        records = instance.get_run_records(filters, limit=want + 1, cursor=position)
        jobs.extend(run_summary(r) for r in records[:want])
        if len(records) > want:
            last = records[want - 1].dagster_run.run_id if want else position
            next_cursor = _encode_cursor("r", last)
    return {"jobs": jobs, "next_cursor": next_cursor}


OK = "ok"


def health(
    instance: DagsterInstance,
    eventlog: EventLog,
    *,
    max_heartbeat_age_s: float = 120.0,
    now: float | None = None,
) -> dict[str, Any]:
    """Each component the service relies on, with its status; ``healthy`` only when all are ok.

    Components: the receiver's delivery log, Dagster's run storage and its event log
    storage (one cheap query each), and every daemon this instance's dagster.yaml makes
    required (with the project's: sensors, schedules, the run queue, run monitoring, the
    event log consumer that launches run retries, backfills, asset automation,
    freshness). A daemon is judged by
    its last heartbeat: ``missing`` (never ran), ``stale`` (older than
    ``max_heartbeat_age_s``) or ``failing`` (it reported errors in the last five minutes: Dagster keeps each error in
    the daemon's heartbeats for that long, so a daemon stays ``failing`` that long after a
    short database outage).
    ``problems`` names each component that is not ok, one line each. Every check is one
    indexed query or less, so the answer stays cheap enough for a liveness probe.
    """
    now = time.time() if now is None else now
    checks: dict[str, Any] = {"receiver": {"status": OK}}
    depth: dict[str, int | None] = {"events_unread": None, "runs_queued": None}

    def storage(name: str, probe: Callable[[], object]) -> None:
        try:
            probe()
            checks[name] = {"status": OK}
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks[name] = {"status": "failing", "error": exc.__class__.__name__}

    def event_storage() -> None:
        eventlog.ping()
        depth["events_unread"] = eventlog.pending_count()

    def run_storage() -> None:
        depth["runs_queued"] = instance.get_runs_count(
            RunsFilter(statuses=[DagsterRunStatus.QUEUED])
        )

    storage("event_storage", event_storage)
    storage("run_storage", run_storage)
    storage("event_log_storage", instance.event_log_storage.get_maximum_record_id)
    checks["daemons"] = _daemon_checks(instance, now, max_heartbeat_age_s)

    problems = [
        f"{name}: {check['status']}" + (f" ({check['error']})" if check.get("error") else "")
        for name, check in checks.items()
        if name != "daemons" and check["status"] != OK
    ]
    problems += [
        f"daemon {name}: {check['status']}"
        + (f" ({check['detail']})" if check.get("detail") else "")
        for name, check in checks["daemons"].items()
        if check["status"] != OK
    ]
    return {"healthy": not problems, "checks": checks, "problems": problems, "queue_depth": depth}


def _daemon_checks(instance: DagsterInstance, now: float, max_age: float) -> dict[str, Any]:
    """``{daemon type: {"status", "age_s", ...}}`` for every daemon the instance requires."""
    try:
        required = list(instance.get_required_daemon_types())
        beats: Mapping[str, Any] = instance.get_daemon_heartbeats()
    except Exception as exc:  # noqa: BLE001 - the storage is down: every daemon is unknown
        return {
            "heartbeats": {"status": "failing", "detail": exc.__class__.__name__, "age_s": None}
        }
    out: dict[str, Any] = {}
    for daemon in required:
        beat = beats.get(daemon)
        if beat is None:
            out[daemon] = {
                "status": "missing",
                "detail": "no heartbeat (is dagster-daemon running?)",
                "age_s": None,
            }
            continue
        age = round(now - float(beat.timestamp), 1)
        if age > max_age:
            out[daemon] = {
                "status": "stale",
                "detail": f"last heartbeat {age:.0f} s ago, limit {max_age:.0f} s",
                "age_s": age,
            }
        elif beat.errors:
            message = (getattr(beat.errors[0], "message", "") or "error").strip().splitlines()
            out[daemon] = {
                "status": "failing",
                "detail": (message[0] if message else "error")[:200],
                "age_s": age,
            }
        else:
            out[daemon] = {"status": OK, "age_s": age}
    return out


# ---- terminal output (``repo2video jobs``) -------------------------------------------


def _job_line(job: dict[str, Any]) -> str:
    when = (job.get("created_at") or "")[:19].replace("T", " ")
    run = (job.get("run_id") or "-")[:8]
    return (
        f"{job['job_id'][:36]:<36}  {job['status']:<9} {run:<8}  {job.get('priority', 0):>3}  "
        f"{when:<19}  {job.get('repo') or '-'}"
    )


def format_job(job: dict[str, Any]) -> str:
    """A job as a few ``key: value`` lines for humans."""
    lines = [
        f"job:      {job['job_id']}",
        f"status:   {job['status']}",
        f"repo:     {job.get('repo') or '-'}",
        f"priority: {job.get('priority', 0)}",
        f"run:      {job.get('run_id') or '- (not started by the sensor yet)'}",
        f"created:  {job.get('created_at') or '-'}",
    ]
    if job.get("started_at"):
        lines.append(f"started:  {job['started_at']}")
    if job.get("ended_at"):
        lines.append(f"ended:    {job['ended_at']}")
    if job.get("retries"):
        lines.append(f"retries:  {job['retries']}")
    if retried := {k: n for k, n in (job.get("attempts") or {}).items() if n > 1}:
        lines.append("attempts: " + ", ".join(f"{k} {n}" for k, n in retried.items()))
    if job.get("coalesced_into"):
        lines.append(f"shares the run of delivery {job['coalesced_into']}")
    if job.get("error"):
        lines.append(f"error:    {job['error']}")
    for check in job.get("checks_failed") or []:
        what = f": {check['description']}" if check.get("description") else ""
        lines.append(
            f"check:    {check['check']} ({check['asset']}) failed "
            f"[{check['severity'].lower()}]{what}"
        )
    if job.get("run_url"):
        lines.append(f"ui:       {job['run_url']}")
    for key, value in (job.get("outputs") or {}).items():
        lines.append(f"{key + ':':<10}{value}")
    lines += publication_lines(job.get("publication"))
    return "\n".join(lines)


def print_jobs(
    job_id: str | None = None,
    status: str | None = None,
    repo: str | None = None,
    limit: int = 20,
    as_json: bool = False,
    *,
    instance: DagsterInstance | None = None,
    eventlog: EventLog | None = None,
) -> int:
    """What ``repo2video jobs [ID]`` prints; returns the exit code (1: no such job).

    Without ``instance``/``eventlog`` it opens the ones DAGSTER_HOME (and
    REPO2VIDEO_EVENTS_URL) name. Bad filters raise UserError.
    """
    from repo2video_dagster.receiver.event_storage import default_events_url

    own_instance = instance is None
    own_log = eventlog is None
    instance = instance or DagsterInstance.get()
    eventlog = eventlog or EventLog(default_events_url())
    try:
        if job_id:
            try:
                job = get_job(instance, eventlog, job_id)
            except AmbiguousJobId as exc:
                raise UserError(str(exc)) from None
            if job is None:
                print(f"no job with id {job_id}", file=sys.stderr)
                return 1
            print(json.dumps(job, indent=2) if as_json else format_job(job))
            return 0
        try:
            page = list_jobs(instance, eventlog, status=status, repo=repo, limit=limit)
        except ValueError as exc:
            raise UserError(str(exc), hint="See `repo2video jobs --help`") from exc
        if as_json:
            print(json.dumps(page, indent=2))
        elif not page["jobs"]:
            print("no jobs")
        else:
            print(f"{'JOB':<36}  {'STATUS':<9} {'RUN':<8}  {'PRI':>3}  {'CREATED (UTC)':<19}  REPO")
            for job in page["jobs"]:
                print(_job_line(job))
        return 0
    finally:
        if own_log:
            eventlog.close()
        if own_instance:
            instance.dispose()
