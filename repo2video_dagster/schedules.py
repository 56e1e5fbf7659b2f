"""Daily refresh: re-render only repositories whose default branch moved."""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.manifest import read_manifest
from repo2video_dagster.lib.core.registry import SourceRegistry
from repo2video_dagster.lib.source.checkout import remote_head
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_dagster.partitions import RENDER_JOB_NAME, REPOSITORIES_PARTITIONS_NAME
from repo2video_dagster.resources import SourceResource, StorageResource
from repo2video_dagster.run_tags import TRIGGER_SCHEDULE, render_tags


def changed_repositories(
    context: ScheduleEvaluationContext, storage: StorageResource, source: SourceResource
) -> list[RunRequest]:
    """One run request per known repository whose remote HEAD differs from its last render."""
    layout = storage.layout
    registry = SourceRegistry(layout.root)
    policy = source.policy()
    requests: list[RunRequest] = []
    for key in context.instance.get_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME):
        target = registry.target_for(key)
        if not target:
            continue
        try:
            head = remote_head(parse_target(target, policy), policy)
        except UserError as err:
            context.log.warning(f"{key}: {err}")
            continue
        rendered = (read_manifest(layout.output(key)) or {}).get("commit")
        if head == rendered:
            continue
        requests.append(
            RunRequest(
                run_key=f"{key}:{head}",
                partition_key=key,
                tags=render_tags(key, target, TRIGGER_SCHEDULE, commit=head),
            )
        )
    return requests


@schedule(
    cron_schedule="0 4 * * *",
    job_name=RENDER_JOB_NAME,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily: `git ls-remote` every known repository and re-render those whose commit changed.",
)
def refresh_schedule(
    context: ScheduleEvaluationContext, storage: StorageResource, source: SourceResource
):
    requests = changed_repositories(context, storage, source)
    return requests or SkipReason("no repository changed since its last render")
