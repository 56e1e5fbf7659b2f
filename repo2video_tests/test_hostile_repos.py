"""Hostile repositories: a verified video or one clear error, and nothing read from outside.

Cases already proven elsewhere (see also test_gitsource.py / test_profile.py):
symlinks become plain files (test_symlinks_become_plain_files_and_never_leak), hooks
never run through run_git (test_hooks_never_run), submodules and LFS pointers are
noted (test_submodules_and_lfs_pointers_are_noted), non-UTF-8 names and contents
(test_non_utf8_*), huge files not read (test_vendored_generated_and_huge_files_are_not_counted),
the blog escapes hostile profile text (test_blog.py::test_hostile_repository_text_is_inert).
This file combines them in one real repository and takes it (and a README-only
repository) through the real render, with the same cases the reliability runner counts.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from repo2video_dagster.lib.core.records import to_jsonable
from repo2video_dagster.lib.source.checkout import clone_snapshot
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.profile import build_profile
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_devtools.reliability import hostile, repos
from repo2video_devtools.reliability.checks import process_starts, reads_outside


@pytest.fixture
def outside(tmp_path: Path) -> repos.Outside:
    return repos.plant_outside(tmp_path / "planted")


@pytest.mark.parametrize("case", hostile.REPO_ERROR_CASES, ids=lambda c: c.name)
def test_unrenderable_repositories_give_one_clear_line(
    case: hostile.RepoErrorCase, tmp_path: Path, outside: repos.Outside
) -> None:
    result = hostile.repo_error_case(case, tmp_path, outside)
    assert result.outcome == "error", result.line()
    assert outside.executed() == []


def test_hostile_repository_is_profiled_from_inside_the_checkout_only(
    tmp_path: Path, outside: repos.Outside
) -> None:
    repo = repos.hostile_repo(tmp_path / "repo", outside)
    profile, events = hostile.profile_in_audit(repo, tmp_path / "ws")
    checkout = next(p for p in (tmp_path / "ws").iterdir() if not p.name.startswith("."))

    assert reads_outside(events, checkout) == []
    for _exe, args, *_ in process_starts(events):
        assert list(args[:3]) == ["git", "-c", "protocol.allow=never"]
        assert "core.hooksPath=/dev/null" in args and "core.fsmonitor=false" in args
    dumped = json.dumps(to_jsonable(profile), ensure_ascii=False)
    assert not [n for n in outside.needles if n.decode() in dumped]
    notes = " ".join(profile.notes)
    for expected in (
        "symbolic link",
        "submodule(s) not fetched: vendor/evil",
        "Git LFS pointer",
        "over 1000000 bytes not read: data/huge.txt",
        "binary file(s) not counted",
        "not valid UTF-8",
    ):
        assert expected in notes
    assert profile.description.startswith("A small command line tool that counts words")
    assert "alert" not in profile.description and "javascript" not in profile.readme_excerpt
    assert not (checkout / "vendor" / "evil").exists() or not any(
        (checkout / "vendor" / "evil").iterdir()
    )
    assert outside.executed() == []
    # Control: plain git in the source repository does run its hooks and config commands,
    # so the assertion above is about our git invocations, not about inert scripts.
    subprocess.run(["git", "status"], cwd=repo, capture_output=True, check=False)
    assert outside.executed()


@pytest.mark.slow
def test_many_tiny_files_under_a_raised_limit_stay_bounded(tmp_path: Path) -> None:
    repo = repos.many_files_repo(tmp_path / "many", hostile.MANY_FILES)
    policy = SourcePolicy(allow_local=True, max_files=150_000)
    started = time.monotonic()
    snapshot = clone_snapshot(parse_target(str(repo), policy), tmp_path / "ws", policy)
    profile = build_profile(snapshot)
    elapsed = time.monotonic() - started
    assert snapshot.file_count == hostile.MANY_FILES + 1
    assert profile.total_files == hostile.MANY_FILES + 1 and len(profile.tree) < 100
    assert elapsed < 60, f"{elapsed:.1f} s"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "build"), hostile.RENDER_CASES, ids=[n for n, _ in hostile.RENDER_CASES]
)
def test_hostile_repositories_render_a_verified_video(
    name: str, build, tmp_path: Path, outside: repos.Outside
) -> None:
    result = hostile.render_case(name, build, tmp_path, outside)
    assert result.outcome == "video", result.line()
