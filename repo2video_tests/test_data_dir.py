"""The data directory given to Definitions is the one everything uses.

A webhook delivery goes through the code location's own sensor (which records the
repository's target), the render job (which reads that target back, checks the
repository out and writes its outputs) and ``/jobs`` (which reports the paths), with
``REPO2VIDEO_DATA_DIR`` pointing somewhere else: nothing may land there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import SensorResult, build_sensor_context, instance_for_test

from repo2video_dagster.definitions import build_definitions
from repo2video_dagster.launch import result_failure, run_render
from repo2video_dagster.lib.core.registry import SourceRegistry, registered_target
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_dagster.receiver.event_storage import DEFAULT_DB_NAME, EVENTS_URL_ENV, sqlite_url
from repo2video_dagster.receiver.eventlog import EventLog, NewEvent
from repo2video_dagster.receiver.jobs import get_job
from repo2video_dagster.resources import default_resources, with_overrides
from repo2video_devtools.reliability.repos import TINY_CODE, TINY_README
from repo2video_tests.repo_factory import head_sha, make_repo


def test_sensor_assets_and_jobs_use_the_data_dir_of_definitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoy = tmp_path / "from-the-environment"
    monkeypatch.setenv("REPO2VIDEO_DATA_DIR", str(decoy))
    monkeypatch.setenv("REPO2VIDEO_WARMUP", "0")
    monkeypatch.delenv(EVENTS_URL_ENV, raising=False)
    data_dir = (tmp_path / "configured").resolve()
    resources = default_resources()
    resources["storage"] = with_overrides(resources["storage"], data_dir=str(data_dir))
    resources["source"] = with_overrides(resources["source"], allow_local=True)
    defs = build_definitions(resources=resources)

    repo = make_repo(tmp_path / "tally", {"README.md": TINY_README, "tally/__init__.py": TINY_CODE})
    source = parse_target(str(repo), SourcePolicy(allow_local=True))
    sensor = defs.resolve_sensor_def("github_events_sensor")
    with instance_for_test() as instance:
        eventlog = EventLog(sqlite_url(Path(instance.root_directory) / DEFAULT_DB_NAME))
        try:
            eventlog.append(
                NewEvent(
                    delivery_id="d1",
                    event="push",
                    action=None,
                    repo_full_name="local/tally",
                    repo_url=registered_target(source),
                    partition_key=source.key,
                    commit_sha=head_sha(repo),
                )
            )
            # As the daemon evaluates a sensor: with the code location's resources it asks for.
            needed = {key: defs.resources[key] for key in sensor.required_resource_keys}
            with build_sensor_context(instance=instance, resources=needed) as context:
                result = sensor(context)
            assert isinstance(result, SensorResult)
            assert SourceRegistry(data_dir).get(source.key) == str(repo.resolve())
            for add in result.dynamic_partitions_requests:
                instance.add_dynamic_partitions(add.partitions_def_name, list(add.partition_keys))

            [request] = result.run_requests
            run = run_render(
                defs,
                instance,
                request.partition_key,
                tags=request.tags,
                assets=["repo_snapshot", "repo_profile"],
            )
            assert run.success, result_failure(run).line
            checkout = Path(run.output_for_node("repo_snapshot").checkout_dir)
            assert checkout.is_relative_to(data_dir / "workspace")

            job = get_job(instance, eventlog, "d1")
        finally:
            eventlog.close()
    assert job is not None and job["run_id"] == run.run_id
    assert job["outputs"]["checkout"] == str(checkout)
    assert not decoy.exists()
