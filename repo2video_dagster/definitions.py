"""The code location: every asset, check, job, sensor, schedule and resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import (
    AssetSelection,
    Definitions,
    colored_console_logger,
    define_asset_job,
    in_process_executor,
)

from repo2video_dagster.assets.languages import language_versions
from repo2video_dagster.assets.publication import publication
from repo2video_dagster.assets.publish import blog_post, catalog
from repo2video_dagster.assets.render import video, visuals
from repo2video_dagster.assets.script import video_script
from repo2video_dagster.assets.source import repo_profile, repo_snapshot
from repo2video_dagster.assets.speech import captions, narration
from repo2video_dagster.assets.stats import render_stats
from repo2video_dagster.dub_job import dub_repository_job
from repo2video_dagster.partitions import RENDER_JOB_NAME
from repo2video_dagster.progress import stage_progress_logger
from repo2video_dagster.repository_jobs import add_repository_job, retire_repository_job
from repo2video_dagster.resources import default_resources, with_overrides
from repo2video_dagster.run_tags import RENDER_JOB_TAGS
from repo2video_dagster.schedules import refresh_schedule
from repo2video_dagster.sensors.github_events import github_events_sensor
from repo2video_dagster.sensors.notifications import NotifyResource, build_notify_sensors
from repo2video_dagster.sensors.owner_watch import WatchResource, github_owner_watcher
from repo2video_dagster.sensors.publication import (
    deferred_publications,
    publish_after_render,
    publish_repository_job,
)
from repo2video_dagster.sensors.run_status import build_run_sensors
from repo2video_dagster.sensors.status_page import refresh_status_page

PARTITIONED_ASSETS = [
    repo_snapshot,
    repo_profile,
    video_script,
    narration,
    captions,
    visuals,
    video,
    blog_post,
    language_versions,
]
"""The render of one repository, stage by stage, in the order the stages run."""

STAGES = [asset.key.to_user_string() for asset in PARTITIONED_ASSETS]

render_repository_job = define_asset_job(
    RENDER_JOB_NAME,
    selection=AssetSelection.assets(*PARTITIONED_ASSETS),  # partitioned by repository
    tags=RENDER_JOB_TAGS,
    # One process per run: a process per step re-imports the code location (~60 s of a
    # 112 s daemon run on 2 cores) for stages that are sequential anyway; parallelism
    # comes from rendering several repositories at once (run coordinator).
    executor_def=in_process_executor,
    description="Render one repository (partition) end to end: checkout to blog post.",
)

CATALOG_JOB_NAME = "refresh_catalog"
refresh_catalog_job = define_asset_job(
    CATALOG_JOB_NAME,
    selection=AssetSelection.assets(catalog),
    executor_def=in_process_executor,
    description="Rebuild the catalog of every rendered repository (after each render).",
)

run_sensors = build_run_sensors(
    add_job=add_repository_job,
    render_job=render_repository_job,
    catalog_job=refresh_catalog_job,
    failing_jobs=[render_repository_job, add_repository_job, retire_repository_job],
    assets=STAGES,
)

notify_sensors = build_notify_sensors([render_repository_job])


def build_definitions(resources: Mapping[str, Any] | None = None) -> Definitions:
    """The code location with ``resources`` (default: from the environment, now)."""
    return Definitions(
        assets=[*PARTITIONED_ASSETS, catalog, publication, render_stats],
        jobs=[
            render_repository_job,
            add_repository_job,
            retire_repository_job,
            refresh_catalog_job,
            publish_repository_job,
            dub_repository_job,
        ],
        sensors=[
            github_events_sensor,
            *run_sensors,
            publish_after_render,
            *notify_sensors,
            github_owner_watcher,
            refresh_status_page,
        ],
        schedules=[refresh_schedule, deferred_publications],
        resources={
            "notify": with_overrides(NotifyResource()),
            "watch": with_overrides(WatchResource()),
            **(resources or default_resources()),
        },
        loggers={"console": colored_console_logger, "progress": stage_progress_logger(STAGES)},
    )


defs = build_definitions()
