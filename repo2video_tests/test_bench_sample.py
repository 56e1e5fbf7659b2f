"""The benchmark's sample repository: the same content and shas every time, renamed on request."""

from __future__ import annotations

from pathlib import Path

from repo2video_dagster.lib.source.checkout import clone_snapshot
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.profile import build_profile
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_devtools.bench.sample import make_bench_repo
from repo2video_tests.repo_factory import git


def test_sample_is_reproducible_and_its_own_project(tmp_path: Path) -> None:
    first = make_bench_repo(tmp_path / "a")
    second = make_bench_repo(tmp_path / "b")
    assert git(first, "rev-parse", "HEAD") == git(second, "rev-parse", "HEAD")
    files = git(first, "ls-files").splitlines()
    assert "mdtoc/toc.py" in files and "mdtoc/cli.py" in files
    assert (first / "README.md").read_text().startswith("# mdtoc\n")
    authors = set(git(first, "log", "--format=%an").splitlines())
    assert authors == {"Lin Wei", "Sam Okafor", "Ana Ruiz"}


def test_renamed_sample_renames_package_readme_and_manifest(tmp_path: Path) -> None:
    repo = make_bench_repo(tmp_path / "r", name="mdtoc07")
    files = git(repo, "ls-files").splitlines()
    assert "mdtoc07/toc.py" in files
    assert not any(f.startswith("mdtoc/") for f in files)
    assert 'name = "mdtoc07"' in (repo / "pyproject.toml").read_text()
    local = SourcePolicy(allow_local=True)
    snapshot = clone_snapshot(parse_target(str(repo), local), tmp_path / "ws", local)
    profile = build_profile(snapshot)
    assert profile.name == "mdtoc07"
    assert profile.entry_points == ["mdtoc07"]
    assert any(f.startswith("mdtoc07/") for f in profile.key_files), profile.key_files
