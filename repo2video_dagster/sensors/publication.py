"""When publications run: after every successful render, and after the quota reset.

- ``publish_repository`` is the publication's own job (one partition), so a render
  never waits for an upload and a deferred publication re-runs without a render.
- ``publish_after_render``: a run-status sensor that asks for a publication run
  when a render run succeeds, carrying the render's event, commit and ref tags (a
  ``release`` render gets release assets). It asks nothing while publishing is off.
- ``deferred_publications``: a schedule at 00:15 Pacific (just after YouTube's
  daily quota reset) that re-requests every partition whose last publication was
  deferred to a time now past.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunStatusSensorContext,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    run_status_sensor,
    schedule,
)

from repo2video_dagster.assets.publication import publication
from repo2video_dagster.lib.publish.record import read_publication
from repo2video_dagster.partitions import RENDER_JOB_NAME, REPOSITORIES_PARTITIONS_NAME
from repo2video_dagster.resources import PublishResource, StorageResource
from repo2video_dagster.run_tags import (
    PARTITION_TAG,
    TAG_COMMIT,
    TAG_EVENT,
    TAG_REF,
    TAG_RENDER_RUN,
    TAG_REPO,
    TAG_TARGET,
    TAG_TRIGGER,
)

PUBLISH_JOB_NAME = "publish_repository"
TRIGGER_RENDER = "render"
TRIGGER_DEFERRED = "deferred"

publish_repository_job = define_asset_job(
    PUBLISH_JOB_NAME,
    selection=AssetSelection.assets(publication),
    executor_def=in_process_executor,
    description="Publish one repository's last render (YouTube, GitHub) as REPO2VIDEO_PUBLISH says.",
)

CARRIED_TAGS = (TAG_REPO, TAG_TARGET, TAG_COMMIT, TAG_EVENT, TAG_REF)


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    request_job=publish_repository_job,
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=15,
    description="After a successful render, publish it (only while REPO2VIDEO_PUBLISH names targets).",
)
def publish_after_render(context: RunStatusSensorContext, publish: PublishResource):
    run = context.dagster_run
    if run.job_name != RENDER_JOB_NAME or not run.tags.get(PARTITION_TAG):
        return SkipReason("not a render run")
    if not publish.targets:
        return SkipReason("publishing is off (REPO2VIDEO_PUBLISH is empty)")
    tags = {k: run.tags[k] for k in CARRIED_TAGS if k in run.tags}
    return RunRequest(
        run_key=f"publish:{run.run_id}",
        partition_key=run.tags[PARTITION_TAG],
        tags={**tags, TAG_TRIGGER: TRIGGER_RENDER, TAG_RENDER_RUN: run.run_id},
    )


def deferred_requests(
    context: ScheduleEvaluationContext, storage: StorageResource, now: datetime | None = None
) -> list[RunRequest]:
    """One run request per partition whose publication is deferred to a time now past."""
    now = now or datetime.now(UTC)
    requests = []
    for key in context.instance.get_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME):
        record = read_publication(storage.layout.output(key))
        if record is None or record.status != "deferred" or not record.until:
            continue
        if datetime.fromisoformat(record.until) > now:
            continue
        requests.append(
            RunRequest(
                run_key=f"deferred:{key}:{record.until}",
                partition_key=key,
                tags={TAG_REPO: key, TAG_TRIGGER: TRIGGER_DEFERRED},
            )
        )
    return requests


@schedule(
    cron_schedule="15 0 * * *",
    execution_timezone="America/Los_Angeles",
    job=publish_repository_job,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily, just after YouTube's quota reset (midnight Pacific): publish deferred publications.",
)
def deferred_publications(context: ScheduleEvaluationContext, storage: StorageResource):
    requests = deferred_requests(context, storage)
    return requests or SkipReason("no deferred publications are due")
