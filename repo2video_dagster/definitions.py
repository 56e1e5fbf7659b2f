"""The code location: every asset, check, job, sensor, schedule and resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor
from dagster._loggers import colored_console_logger

from repo2video_dagster.assets.publish import blog_post, catalog
from repo2video_dagster.assets.render import video, visuals
from repo2video_dagster.assets.script import video_script
from repo2video_dagster.assets.source import repo_profile, repo_snapshot
from repo2video_dagster.assets.speech import captions, narration
from repo2video_dagster.partitions import RENDER_JOB_NAME, repositories_partitions
from repo2video_dagster.progress import progress_logger
from repo2video_dagster.resources import default_resources

PARTITIONED_ASSETS = [
    repo_snapshot,
    repo_profile,
    video_script,
    narration,
    captions,
    visuals,
    video,
    blog_post,
]

# Per-run timeout (the system this replaces used 30 minutes), enforced by run monitoring.
RUN_TAGS = {"dagster/max_runtime": "1800"}

render_repository_job = define_asset_job(
    RENDER_JOB_NAME,
    selection=AssetSelection.assets(*PARTITIONED_ASSETS),
    partitions_def=repositories_partitions,
    tags=RUN_TAGS,
    # One process per run: the default multiprocess executor starts a process per
    # step, each importing the code location (measured: ~60 s of a 112 s daemon run
    # on 2 cores), while the stages are sequential anyway. Parallelism comes from
    # running several repositories at once (run coordinator), not steps.
    executor_def=in_process_executor,
    description="Render one repository (partition) end to end: checkout to blog post.",
)


def build_definitions(resources: Mapping[str, Any] | None = None) -> Definitions:
    from repo2video_dagster.schedules import refresh_schedule
    from repo2video_dagster.sensors import github_events_sensor

    return Definitions(
        assets=[*PARTITIONED_ASSETS, catalog],
        jobs=[render_repository_job],
        sensors=[github_events_sensor],
        schedules=[refresh_schedule],
        resources=dict(resources or default_resources()),
        loggers={"console": colored_console_logger, "progress": progress_logger},
    )


defs = build_definitions()
