"""Render runs as plain records (``lib/stats/history.RunFacts``), read from run storage.

One place that turns Dagster's run records and step statistics into the values the
``render_stats`` asset and the status page compute from, so neither needs dagster
below this line.
"""

from __future__ import annotations

from dagster import DagsterInstance, DagsterRunStatus, RunRecord, RunsFilter

from repo2video_dagster.launch import stored_failure
from repo2video_dagster.lib.stats.history import RunFacts
from repo2video_dagster.partitions import RENDER_JOB_NAME
from repo2video_dagster.priorities import PRIORITY_TAG
from repo2video_dagster.run_tags import PARTITION_TAG, TAG_REPO, TAG_TRIGGER

FINISHED = (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


def run_facts(
    instance: DagsterInstance, record: RunRecord, *, stages: bool = True, error: bool = False
) -> RunFacts:
    """One run; ``stages`` reads its step timings, ``error`` its failure line (a query each)."""
    run = record.dagster_run
    tags = run.tags
    timings: dict[str, float] = {}
    if stages and run.status in FINISHED:
        steps = sorted(instance.get_run_step_stats(run.run_id), key=lambda s: s.start_time or 0)
        for step in steps:
            if step.start_time and step.end_time and step.status and step.status.value == "SUCCESS":
                timings[step.step_key] = round(step.end_time - step.start_time, 3)
    try:
        priority = int(tags.get(PRIORITY_TAG, "0"))
    except ValueError:
        priority = 0
    failed = run.status == DagsterRunStatus.FAILURE
    return RunFacts(
        run_id=run.run_id,
        repository=tags.get(TAG_REPO) or tags.get(PARTITION_TAG),
        status=run.status.value.lower(),
        trigger=tags.get(TAG_TRIGGER),
        created=record.create_timestamp.timestamp(),
        started=record.start_time,
        ended=record.end_time,
        priority=priority,
        error=stored_failure(instance, run.run_id).line if error and failed else None,
        stages=timings,
    )


def render_history(
    instance: DagsterInstance, limit: int = 500, *, stages: bool = True
) -> list[RunFacts]:
    """The newest ``limit`` finished render runs, newest first; ``stages``: with stage
    timings (one query per run; the status page does without)."""
    records = instance.get_run_records(
        RunsFilter(job_name=RENDER_JOB_NAME, statuses=list(FINISHED)), limit=limit
    )
    return [run_facts(instance, r, stages=stages) for r in records]


def recent_renders(instance: DagsterInstance, limit: int = 30) -> list[RunFacts]:
    """The newest render runs in any state, with failure lines (for the status page)."""
    records = instance.get_run_records(RunsFilter(job_name=RENDER_JOB_NAME), limit=limit)
    return [run_facts(instance, r, stages=False, error=True) for r in records]


def queued_runs(instance: DagsterInstance, limit: int = 100) -> list[RunFacts]:
    """Runs waiting in the queue, in the order the coordinator takes them (priority, age)."""
    records = instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.QUEUED]), limit=limit)
    facts = [run_facts(instance, r, stages=False) for r in records]
    return sorted(facts, key=lambda f: (-f.priority, f.created))
