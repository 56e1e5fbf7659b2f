"""Sensors that act when a run ends, whatever started it (UI, backfill, webhook, schedule).

- ``render_added_repository``: after ``add_repository`` succeeds, queue the render of
  the partition it registered, with the source settings its launchpad gave (a local
  path added with ``allow_local: true`` is rendered with it too).
- ``refresh_catalog_after_render``: after a render succeeds, refresh ``catalog``; one
  refresh waiting in the queue serves every render that ends before it starts. (The
  CLI refreshes the catalog in its own process, so its runs are skipped here.)
- ``tag_failed_runs``: put a failed run's one-line reason on it as the
  ``repo2video/error`` tag, which the UI shows in the runs list, and on the failed
  asset partition's page (``launch.record_failure``).

The jobs are arguments (``build_run_sensors``) because they are defined next to the
code location, which imports this module.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    SensorDefinition,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
)

from repo2video_dagster.launch import record_failure
from repo2video_dagster.run_tags import (
    TAG_ADDED_BY,
    TAG_COMMIT,
    TAG_ERROR,
    TAG_REPO,
    TAG_TARGET,
    TAG_TRIGGER,
    TRIGGER_CLI,
    TRIGGER_UI,
    render_tags,
)

WAITING = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED]


def render_request(run_id: str, tags: dict[str, str], run_config: dict[str, Any]) -> RunRequest:
    """The render of the partition an ``add_repository`` run registered."""
    key = tags[TAG_REPO]
    source_config = (run_config.get("resources") or {}).get("source")
    return RunRequest(
        run_key=f"added:{run_id}",
        partition_key=key,
        tags={
            **render_tags(key, tags.get(TAG_TARGET, ""), TRIGGER_UI, commit=tags.get(TAG_COMMIT)),
            TAG_ADDED_BY: run_id,
        },
        run_config={"resources": {"source": source_config}} if source_config else {},
    )


def build_run_sensors(
    *,
    add_job: Any,
    render_job: Any,
    catalog_job: Any,
    failing_jobs: list[Any],
    assets: Collection[str],
) -> list[SensorDefinition]:
    """The three sensors; ``assets`` are the names of the stages a failure is noted on."""

    @run_status_sensor(
        name="render_added_repository",
        run_status=DagsterRunStatus.SUCCESS,
        monitored_jobs=[add_job],
        request_job=render_job,
        minimum_interval_seconds=5,
        default_status=DefaultSensorStatus.RUNNING,
        description="Queues the render of a repository the add_repository job registered.",
    )
    def render_added_repository(context: RunStatusSensorContext) -> RunRequest | SkipReason:
        run = context.dagster_run
        if TAG_REPO not in run.tags:
            return SkipReason(f"run {run.run_id[:8]} registered no repository")
        return render_request(run.run_id, dict(run.tags), dict(run.run_config or {}))

    refresh_catalog_after_render = catalog_refresh_sensor(render_job, catalog_job)

    @run_failure_sensor(
        name="tag_failed_runs",
        monitored_jobs=failing_jobs,
        minimum_interval_seconds=5,
        default_status=DefaultSensorStatus.RUNNING,
        description="Puts a failed run's one-line reason on it as the repo2video/error tag.",
    )
    def tag_failed_runs(context: RunFailureSensorContext) -> None:
        if TAG_ERROR not in context.dagster_run.tags:
            record_failure(context.instance, context.dagster_run.run_id, assets)

    return [render_added_repository, refresh_catalog_after_render, tag_failed_runs]


def catalog_refresh_sensor(render_job: Any, catalog_job: Any) -> SensorDefinition:
    """``refresh_catalog_after_render``: a ``catalog_job`` run after each successful
    ``render_job`` run not started by the CLI (the daemon tests run it on their own jobs)."""

    @run_status_sensor(
        name="refresh_catalog_after_render",
        run_status=DagsterRunStatus.SUCCESS,
        monitored_jobs=[render_job],
        request_job=catalog_job,
        minimum_interval_seconds=15,
        default_status=DefaultSensorStatus.RUNNING,
        description="Refreshes the catalog after every successful render (UI, backfill, "
        "webhook, schedule).",
    )
    def refresh_catalog_after_render(context: RunStatusSensorContext) -> RunRequest | SkipReason:
        run = context.dagster_run
        if run.tags.get(TAG_TRIGGER) == TRIGGER_CLI:
            return SkipReason("repo2video render refreshes the catalog itself")
        waiting = context.instance.get_run_records(
            RunsFilter(job_name=catalog_job.name, statuses=WAITING), limit=1
        )
        if waiting:
            return SkipReason("a catalog refresh is already queued")
        return RunRequest(run_key=f"catalog:{run.run_id}")

    return refresh_catalog_after_render
