"""Adding and retiring repositories the way the Dagster UI does it: the add_repository and
retire_repository jobs, the sensors that follow runs, and what a URL typed into "Add
partition" gets. Real jobs on a temporary instance, real git repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    RunRequest,
    SkipReason,
    build_run_status_sensor_context,
    instance_for_test,
)

from repo2video_dagster.definitions import build_definitions
from repo2video_dagster.launch import register_repository, result_failure, run_render
from repo2video_dagster.lib.core.registry import SourceRegistry
from repo2video_dagster.lib.publish.blog import write_site_index
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.targets import parse_target, with_github_shorthand
from repo2video_dagster.partitions import REPOSITORIES_PARTITIONS_NAME
from repo2video_dagster.resources import default_resources, with_overrides
from repo2video_dagster.run_tags import (
    TAG_ADDED_BY,
    TAG_COMMIT,
    TAG_ERROR,
    TAG_REPO,
    TAG_TRIGGER,
    TRIGGER_CLI,
    TRIGGER_UI,
)
from repo2video_tests.repo_factory import head_sha, make_repo


@dataclass
class World:
    instance: DagsterInstance
    defs: Definitions
    data_dir: Path

    def launch(self, job: str, config: dict, source: dict | None = None):
        run_config: dict = {"ops": config}
        if source is not None:
            run_config["resources"] = {"source": {"config": source}}
        return self.defs.resolve_job_def(job).execute_in_process(
            instance=self.instance, run_config=run_config, raise_on_error=False
        )

    def partitions(self) -> list[str]:
        return list(self.instance.get_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME))

    def sensor(self, name: str, result):
        """Evaluate run sensor ``name`` for the run of ``result``, as the daemon would."""
        run = self.instance.get_run_by_id(result.run_id)
        kind = DagsterEventType.RUN_SUCCESS if result.success else DagsterEventType.RUN_FAILURE
        event = next(e for e in result.all_events if e.event_type == kind)
        context = build_run_status_sensor_context(
            sensor_name=name, dagster_event=event, dagster_instance=self.instance, dagster_run=run
        )
        return self.defs.resolve_sensor_def(name)(context)


@pytest.fixture()
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # As `make dev` runs: local paths refused unless the launchpad allows them.
    monkeypatch.delenv("REPO2VIDEO_ALLOW_LOCAL", raising=False)
    data_dir = tmp_path / "var"
    resources = default_resources()
    resources["storage"] = with_overrides(resources["storage"], data_dir=str(data_dir))
    resources["source"] = with_overrides(resources["source"], allow_local=False)
    with instance_for_test() as instance:
        yield World(instance, build_definitions(resources=resources), data_dir)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "src" / "Tiny Tool", {"README.md": "# Tiny Tool\n\nCounts.\n"})


def test_add_repository_registers_it_and_queues_its_render(world: World, repo: Path) -> None:
    result = world.launch(
        "add_repository", {"add": {"config": {"target": str(repo)}}}, {"allow_local": True}
    )
    assert result.success
    key = parse_target(str(repo), SourcePolicy(allow_local=True)).key
    assert world.partitions() == [key]
    assert SourceRegistry(world.data_dir).get(key) == str(repo.resolve())
    tags = world.instance.get_run_by_id(result.run_id).tags
    assert tags[TAG_REPO] == key and tags[TAG_COMMIT] == head_sha(repo)

    request = world.sensor("render_added_repository", result)
    assert isinstance(request, RunRequest)
    assert request.partition_key == key
    assert request.tags[TAG_TRIGGER] == TRIGGER_UI
    assert request.tags[TAG_COMMIT] == head_sha(repo)
    assert request.tags[TAG_ADDED_BY] == result.run_id
    # The render runs with the source settings the launchpad gave the add job.
    assert request.run_config == {"resources": {"source": {"config": {"allow_local": True}}}}


def test_a_refused_target_fails_at_once_with_the_launchpad_fix(world: World, repo: Path) -> None:
    result = world.launch("add_repository", {"add": {"config": {"target": str(repo)}}})
    assert not result.success
    ui_line = result_failure(result, "ui").line
    assert "local paths are disabled" in ui_line
    assert "resources.source.config.allow_local: true in the launchpad" in ui_line
    assert "REPO2VIDEO_ALLOW_LOCAL" not in ui_line and "--allow-local" not in ui_line
    cli_line = result_failure(result).line
    assert "REPO2VIDEO_ALLOW_LOCAL=1 or pass --allow-local" in cli_line
    assert world.partitions() == []
    failures = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert len(failures) == 1
    assert not any(e.event_type == DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)

    # The failure sensor puts the UI's line on the run, where the run page shows it.
    assert world.sensor("tag_failed_runs", result) is None
    assert world.instance.get_run_by_id(result.run_id).tags[TAG_ERROR] == ui_line


def test_owner_slash_name_means_github() -> None:
    assert with_github_shorthand(" pallets/click ") == "https://github.com/pallets/click"
    assert with_github_shorthand("./pallets/click") == "./pallets/click"
    assert with_github_shorthand("/srv/pallets/click") == "/srv/pallets/click"
    assert with_github_shorthand("https://github.com/a/b") == "https://github.com/a/b"


@pytest.mark.parametrize(
    ("typed", "needles"),
    [
        (
            "https://github.com/pallets/click",
            ["is a URL or path", "pallets__click", "add_repository", "retire_repository"],
        ),
        ("pallets/click", ["pallets__click", "add_repository"]),
        ("https://evil.example/x/y", ["not a repository key", "retire_repository"]),
        ("unknown-thing", ["no repository is registered", "add_repository"]),
    ],
)
def test_a_key_typed_into_add_partition_fails_once_with_the_right_form(
    world: World, typed: str, needles: list[str]
) -> None:
    world.instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, [typed])
    result = run_render(world.defs, world.instance, typed, assets=["repo_snapshot"])
    assert not result.success
    failure = result_failure(result)
    assert failure.users_to_fix
    for needle in needles:
        assert needle in failure.line, failure.line
    kinds = [e.event_type for e in result.all_events]
    assert kinds.count(DagsterEventType.STEP_FAILURE) == 1
    assert DagsterEventType.STEP_UP_FOR_RETRY not in kinds
    assert world.instance.get_run_by_id(result.run_id).tags[TAG_ERROR] == failure.line
    # The partition's page lists observations newer than its last materialization.
    [noted] = world.instance.fetch_observations(AssetKey("repo_snapshot"), limit=5).records
    assert noted.partition_key == typed
    assert noted.asset_observation.metadata["error"].value == failure.line


def _fake_outputs(data_dir: Path, key: str) -> list[Path]:
    out, work, page = (
        data_dir / "output" / key,
        data_dir / "workspace" / key,
        data_dir / "site" / key,
    )
    for folder in (out, work, page):
        folder.mkdir(parents=True)
    (out / "reel.mp4").write_bytes(b"mp4")
    (work / "README.md").write_text("# x\n")
    (page / "index.html").write_text("<h1>x</h1>")
    (page / "meta.json").write_text(json.dumps({"key": key, "title": "The Tool", "repo": key}))
    write_site_index(data_dir / "site")
    return [out, work, page]


def test_retire_repository_removes_partition_registry_outputs_and_page(
    world: World, repo: Path
) -> None:
    source = parse_target(str(repo), SourcePolicy(allow_local=True))
    register_repository(world.instance, world.data_dir, source)
    folders = _fake_outputs(world.data_dir, source.key)
    index = world.data_dir / "site" / "index.html"
    assert "The Tool" in index.read_text()

    # Named the way it was added (its path); nothing is fetched to find the key.
    result = world.launch("retire_repository", {"retire": {"config": {"repository": str(repo)}}})
    assert result.success
    assert world.partitions() == []
    assert SourceRegistry(world.data_dir).get(source.key) is None
    assert not any(folder.exists() for folder in folders)
    assert "The Tool" not in index.read_text()

    again = world.launch("retire_repository", {"retire": {"config": {"repository": source.key}}})
    assert not again.success
    assert "is registered" in result_failure(again, "ui").line


def test_a_bad_partition_can_be_retired(world: World) -> None:
    world.instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, ["https://x.example/a"])
    result = world.launch(
        "retire_repository", {"retire": {"config": {"repository": "https://x.example/a"}}}
    )
    assert result.success
    assert world.partitions() == []


def test_retire_waits_for_a_run_in_progress(world: World, repo: Path) -> None:
    source = parse_target(str(repo), SourcePolicy(allow_local=True))
    register_repository(world.instance, world.data_dir, source)
    run = world.instance.create_run_for_job(
        world.defs.resolve_job_def("render_repository"),
        tags={"dagster/partition": source.key},
        status=DagsterRunStatus.STARTED,
    )
    result = world.launch("retire_repository", {"retire": {"config": {"repository": source.key}}})
    assert not result.success
    assert run.run_id[:8] in result_failure(result).line
    assert world.partitions() == [source.key]


def test_the_catalog_refreshes_after_renders_not_started_by_the_cli(world: World) -> None:
    ok = world.defs.resolve_job_def("refresh_catalog").execute_in_process(instance=world.instance)
    assert ok.success
    request = world.sensor("refresh_catalog_after_render", ok)
    assert isinstance(request, RunRequest) and request.run_key == f"catalog:{ok.run_id}"

    world.instance.add_run_tags(ok.run_id, {TAG_TRIGGER: TRIGGER_CLI})
    assert isinstance(world.sensor("refresh_catalog_after_render", ok), SkipReason)

    world.instance.add_run_tags(ok.run_id, {TAG_TRIGGER: TRIGGER_UI})
    world.instance.create_run_for_job(
        world.defs.resolve_job_def("refresh_catalog"), status=DagsterRunStatus.NOT_STARTED
    )
    skipped = world.sensor("refresh_catalog_after_render", ok)
    assert isinstance(skipped, SkipReason) and "already queued" in str(skipped.skip_message)


def test_cli_retire(tmp_path: Path, repo: Path) -> None:
    home, data_dir = tmp_path / "home", tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPO2VIDEO_")}
    env.update(DAGSTER_HOME=str(home), REPO2VIDEO_DATA_DIR=str(data_dir))
    home.mkdir()
    source = parse_target(str(repo), SourcePolicy(allow_local=True))
    with DagsterInstance.from_config(str(home)) as instance:
        register_repository(instance, data_dir, source)
    folders = _fake_outputs(data_dir, source.key)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "repo2video_dagster.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = cli("retire", source.key)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"retired {source.key}: removed partition, registry entry")
    assert not any(folder.exists() for folder in folders)
    with DagsterInstance.from_config(str(home)) as instance:
        assert source.key not in instance.get_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME)
    again = cli("retire", "octo/missing")
    assert again.returncode == 2
    assert again.stderr.startswith("error: no repository 'octo/missing' is registered")
    assert "repo2video jobs" in again.stderr
