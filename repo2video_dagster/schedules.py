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
from repo2video_dagster.lib.core.settings import DataLayout, default_data_dir
from repo2video_dagster.lib.source.checkout import remote_head
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_dagster.partitions import (
    RENDER_JOB_NAME,
    REPOSITORIES_PARTITIONS_NAME,
    TAG_COMMIT,
    TAG_REPO,
    TAG_TARGET,
    TAG_TRIGGER,
)
from repo2video_dagster.resources import default_resources


def changed_repositories(context: ScheduleEvaluationContext) -> list[RunRequest]:
    """One run request per known repository whose remote HEAD differs from its last render."""
    layout = DataLayout(default_data_dir())
    registry = SourceRegistry(layout.root)
    policy = default_resources()["source"].policy()
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
                tags={TAG_REPO: key, TAG_TARGET: target, TAG_COMMIT: head, TAG_TRIGGER: "schedule"},
            )
        )
    return requests


@schedule(
    cron_schedule="0 4 * * *",
    job_name=RENDER_JOB_NAME,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily: `git ls-remote` every known repository and re-render those whose commit changed.",
)
def refresh_schedule(context: ScheduleEvaluationContext):
    requests = changed_repositories(context)
    return requests or SkipReason("no repository changed since its last render")
