"""Finished runs for the notification tests, and one evaluation of a notification sensor.

The runs are real: a one-op job with the render job's name and tags, executed on the
test's instance, failing (with the kind of line a render fails with) or succeeding as
its ``want`` tag says. The sensors are the code location's own, invoked with Dagster's
run-status context for such a run, as the daemon would.
"""

from __future__ import annotations

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    Failure,
    build_run_status_sensor_context,
    job,
    op,
)

from repo2video_dagster.definitions import notify_sensors
from repo2video_dagster.partitions import RENDER_JOB_NAME
from repo2video_dagster.run_tags import TAG_DELIVERY, TRIGGER_WEBHOOK, render_tags
from repo2video_dagster.sensors.notifications import NotifyResource

REASON = "repository octo/empty has no README. Add a README.md"


@op
def checkout(context) -> None:  # noqa: ANN001 - Dagster's context
    if context.run.tags.get("want") == "failure":
        raise Failure(description=REASON, allow_retries=False)


@job(name=RENDER_JOB_NAME)
def fake_render() -> None:
    checkout()


def finished_run(instance: DagsterInstance, outcome: str) -> DagsterRun:
    tags = {
        **render_tags("octo__empty", "https://github.com/octo/empty", TRIGGER_WEBHOOK),
        TAG_DELIVERY: "delivery-1",
        "want": outcome,
    }
    result = fake_render.execute_in_process(instance=instance, tags=tags, raise_on_error=False)
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.status.value.lower() == outcome
    return run


def evaluate(instance: DagsterInstance, run: DagsterRun, notify: NotifyResource, name: str):
    """One evaluation of the named sensor for ``run``, as the daemon makes it."""
    sensor = next(s for s in notify_sensors if s.name == name)
    kind = (
        DagsterEventType.RUN_FAILURE
        if name == "notify_on_failure"
        else DagsterEventType.RUN_SUCCESS
    )
    record = instance.get_records_for_run(run.run_id, of_type=kind).records[0]
    context = build_run_status_sensor_context(
        sensor_name=name,
        dagster_event=record.event_log_entry.dagster_event,
        dagster_instance=instance,
        dagster_run=run,
        resources={"notify": notify},
    )
    if name == "notify_on_failure":
        context = context.for_run_failure()
    return sensor(context)
