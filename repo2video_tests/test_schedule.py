"""refresh_schedule against a real temp instance and real git repositories."""

from __future__ import annotations

from pathlib import Path

from dagster import RunRequest, SkipReason, build_schedule_context, instance_for_test

from repo2video_dagster.lib.core.manifest import write_manifest
from repo2video_dagster.lib.core.registry import SourceRegistry
from repo2video_dagster.lib.core.settings import DataLayout
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_dagster.partitions import REPOSITORIES_PARTITIONS_NAME
from repo2video_dagster.resources import SourceResource, StorageResource
from repo2video_dagster.run_tags import TAG_COMMIT, TAG_TRIGGER
from repo2video_dagster.schedules import refresh_schedule
from repo2video_tests.repo_factory import add_commit, head_sha, make_repo


def test_only_repositories_whose_commit_moved_are_rendered(tmp_path: Path, monkeypatch) -> None:
    data_dir = tmp_path / "var"
    monkeypatch.setenv("REPO2VIDEO_DATA_DIR", str(data_dir))
    monkeypatch.setenv("REPO2VIDEO_ALLOW_LOCAL", "1")
    layout = DataLayout(data_dir)
    policy = SourcePolicy(allow_local=True)
    same = make_repo(tmp_path / "same", {"README.md": "# same\n\nUnchanged.\n"})
    moved = make_repo(tmp_path / "moved", {"README.md": "# moved\n\nWill change.\n"})
    keys = {}
    for repo in (same, moved):
        source = parse_target(str(repo), policy)
        keys[repo.name] = source.key
        SourceRegistry(data_dir).put(source.key, source.url)
        write_manifest(layout.output(source.key), {"key": source.key, "commit": head_sha(repo)})

    # The resources the code location would build from this environment.
    resources = {"storage": StorageResource(), "source": SourceResource()}

    def evaluate(instance):
        # Closed after the tick: the instance it opens from the ref must not outlive the test.
        with build_schedule_context(instance=instance, resources=resources) as context:
            return refresh_schedule(context)

    with instance_for_test() as instance:
        instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, list(keys.values()))
        result = evaluate(instance)
        assert isinstance(result, SkipReason)

        add_commit(moved, {"NEWS.md": "new\n"}, "Add news")
        requests = evaluate(instance)
        assert [type(r) for r in requests] == [RunRequest]
        request = requests[0]
        assert request.partition_key == keys["moved"]
        assert request.run_key == f"{keys['moved']}:{head_sha(moved)}"
        assert request.tags[TAG_COMMIT] == head_sha(moved)
        assert request.tags[TAG_TRIGGER] == "schedule"
