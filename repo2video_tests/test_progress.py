"""The CLI's per-stage progress lines reach the terminal even while fd 2 is captured.

Dagster's compute-log capture redirects fd 2 through a tee that can drop a run's
last lines; the progress logger writes to its own duplicate of the terminal's fd.
"""

from __future__ import annotations

import os
import sys

from dagster import DagsterInstance, Definitions, asset, define_asset_job

from repo2video_dagster.assets.common import TRANSIENT_RETRY, user_failure
from repo2video_dagster.definitions import defs as code_location
from repo2video_dagster.lib.core.errors import SourceUnavailableError


@asset
def repo_snapshot() -> int:
    return 1


@asset
def blog_post(repo_snapshot: int) -> int:
    return repo_snapshot + 1


def test_progress_lines_go_to_the_given_fd_not_to_redirected_stderr() -> None:
    read_end, write_end = os.pipe()
    saved_stderr = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)  # what compute-log capture does to fd 2
        defs = Definitions(
            assets=[repo_snapshot, blog_post],
            jobs=[define_asset_job("both")],
            # The product's progress logger, which numbers stages by the render's asset list.
            loggers={"progress": code_location.loggers["progress"]},
        )
        # An instance of its own: resolving a job reads the current instance's state
        # storage, and an earlier test's may already be gone.
        with DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("both").execute_in_process(
                instance=instance,
                run_config={"loggers": {"progress": {"config": {"fd": write_end}}}},
            )
    finally:
        sys.stderr.flush()
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)
        os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as lines:
        text = lines.read()
    assert result.success
    assert "[1/9] repo_snapshot done in" in text, text
    assert "[8/9] blog_post done in" in text, text  # the last step of this run
    assert text.index("repo_snapshot …") < text.index("blog_post …")


_ATTEMPTS: list[int] = []


@asset(name="repo_snapshot", retry_policy=TRANSIENT_RETRY)
def flaky_snapshot() -> int:
    _ATTEMPTS.append(1)
    if len(_ATTEMPTS) == 1:
        raise user_failure(SourceUnavailableError("cannot reach github.com: no route"))
    return 1


def test_a_retried_stage_says_why() -> None:
    read_end, write_end = os.pipe()
    defs = Definitions(
        assets=[flaky_snapshot],
        jobs=[define_asset_job("flaky")],
        loggers={"progress": code_location.loggers["progress"]},
    )
    try:
        result = defs.resolve_job_def("flaky").execute_in_process(
            run_config={"loggers": {"progress": {"config": {"fd": write_end}}}}
        )
    finally:
        os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as lines:
        text = lines.read()
    assert result.success and len(_ATTEMPTS) == 2
    assert "[1/9] repo_snapshot failed, retrying: cannot reach github.com: no route" in text, text
    assert "[1/9] repo_snapshot done in" in text, text
