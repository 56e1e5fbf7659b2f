"""The code location loads, and it holds what the product promises."""

from __future__ import annotations

import subprocess
import sys

from dagster import AssetKey, DefaultSensorStatus, Definitions, DynamicPartitionsDefinition

from repo2video_dagster.definitions import PARTITIONED_ASSETS, defs
from repo2video_dagster.partitions import RENDER_JOB_NAME, REPOSITORIES_PARTITIONS_NAME


def test_definitions_validate_loadable() -> None:
    Definitions.validate_loadable(defs)


def test_every_stage_is_partitioned_by_repository() -> None:
    graph = defs.resolve_asset_graph()
    for asset in PARTITIONED_ASSETS:
        for key in asset.keys:
            partitions = graph.get(key).partitions_def
            assert isinstance(partitions, DynamicPartitionsDefinition)
            assert partitions.name == REPOSITORIES_PARTITIONS_NAME
    assert graph.get(AssetKey("catalog")).partitions_def is None


def test_assets_are_described_grouped_and_versioned() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, key
        assert node.group_name != "default", key
        assert node.code_version, key
        assert node.kinds, key


def test_asset_checks_exist() -> None:
    names = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert names >= {"video_streams", "loudness", "caption_alignment", "recognition_wer"}


def test_a_broken_video_blocks_the_blog_post_and_the_rest_warn() -> None:
    graph = defs.resolve_asset_graph()
    blocking = {key.name for key in graph.asset_check_keys if graph.get_check_spec(key).blocking}
    assert blocking == {"video_streams"}


def test_job_sensor_and_schedule() -> None:
    job = defs.resolve_job_def(RENDER_JOB_NAME)
    assert job.tags.get("dagster/max_runtime") == "1800"
    assert defs.resolve_sensor_def("github_events_sensor").job_name == RENDER_JOB_NAME
    assert defs.resolve_schedule_def("refresh_schedule").job_name == RENDER_JOB_NAME


def test_the_ui_can_add_and_retire_repositories_and_runs_are_followed() -> None:
    for name in ("add_repository", "retire_repository", "refresh_catalog"):
        assert not defs.resolve_job_def(name).partitions_def, name
    running = DefaultSensorStatus.RUNNING
    for name in ("render_added_repository", "refresh_catalog_after_render", "tag_failed_runs"):
        assert defs.resolve_sensor_def(name).default_status == running, name
    # The catalog follows renders through a sensor, not the (stopped) automation sensor.
    assert graph_node("catalog").automation_condition is None


def graph_node(name: str):
    return defs.resolve_asset_graph().get(AssetKey(name))


def test_workspace_yaml_loads_the_code_location(tmp_path) -> None:
    """`dagster definitions validate` is what `make dev` relies on."""
    proc = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        capture_output=True,
        text=True,
        env={"DAGSTER_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
