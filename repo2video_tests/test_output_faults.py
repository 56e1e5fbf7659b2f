"""Faults in the output directory and kill -9 mid-encode: a clear failure, never a half success.

The upstream stages (checkout, profile, script, narration, captions, slides) run once
for the module with the data directory on a small tmpfs; then the ``video`` (and
``blog_post``) stages run against a read-only output directory, a full disk, and a
worker killed with SIGKILL while it encodes. Each must fail with one line (or die)
and leave the output path holding nothing or the previous good video: no partial
mp4, no manifest, no materialization.

Already proven at the function level in test_compose.py: an unwritable location is an
OutputError (test_unwritable_output_location_is_an_output_error) and a failure after
encoding leaves no partial file (test_failure_after_encoding_leaves_no_partial_file).
A run worker or the daemon killed under a real ``dagster-daemon`` (run retries, run
monitoring, the queue) is test_daemon_service.py; the reliability runner repeats those
kills during real renders. The receiver killed under load runs in the runner, and here
with REPO2VIDEO_HEAVY=1.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from repo2video_dagster.lib.core.manifest import MANIFEST_NAME
from repo2video_dagster.lib.render.media import video_info
from repo2video_dagster.receiver.jobs import step_attempts
from repo2video_devtools.reliability import faults, repos
from repo2video_devtools.reliability.render import RenderOutcome, render_in_process

pytestmark = pytest.mark.slow

UPSTREAM = ["repo_snapshot", "repo_profile", "video_script", "narration", "captions", "visuals"]
DOWNSTREAM = ["video", "blog_post"]


@dataclass
class Stage:
    repo: Path
    work: Path
    data_dir: Path

    def run(self, assets: list[str], *, reuse: bool = True) -> RenderOutcome:
        return render_in_process(
            str(self.repo),
            self.work,
            assets=assets,
            data_dir=self.data_dir,
            home=self.work / "home",
            reuse=reuse,
        )

    @property
    def out(self) -> Path:
        return next(p for p in (self.data_dir / "output").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def stage(tmp_path_factory) -> Iterator[Stage]:
    work = tmp_path_factory.mktemp("faults")
    reason = faults.can_mount(work / "probe")
    if reason:
        pytest.skip(f"disk-full and read-only checks need a tmpfs mount: {reason}")
    with faults.tmpfs(work / "var", 64) as data_dir:
        stage = Stage(repos.tiny_repo(work / "tiny"), work, data_dir)
        upstream = stage.run(UPSTREAM)
        assert upstream.ok, upstream.error
        yield stage


def assert_clean_failure(
    stage: Stage, outcome: RenderOutcome, *needles: str, attempts: int = 1
) -> None:
    assert not outcome.ok
    assert outcome.user_error, outcome.error  # a UserError's line, not a traceback
    line = outcome.error or ""
    assert "\n" not in line and any(n in line for n in needles), line
    out = stage.out
    assert not (out / "reel.mp4").exists()
    assert faults.partial_files(out) == []
    assert not (out / MANIFEST_NAME).exists()
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(outcome.home)) as instance:
        run_events = instance.all_logs(outcome.run_id)
        assert step_attempts(instance, outcome.run_id)["video"] == attempts
        materialized = {
            e.dagster_event.asset_key
            for e in run_events
            if e.dagster_event and e.dagster_event.is_step_materialization
        }
    assert AssetKey("video") not in materialized and AssetKey("blog_post") not in materialized


def test_read_only_output_directory_is_one_clear_failure(stage: Stage) -> None:
    with faults.read_only(stage.out) as kind:
        outcome = stage.run(DOWNSTREAM)
    reason = "Read-only file system" if kind == "EROFS" else "ermission denied"
    assert_clean_failure(stage, outcome, "Cannot write", reason)


def test_full_disk_is_one_clear_failure_then_recovers(stage: Stage) -> None:
    free = faults.fill(stage.data_dir, leave_bytes=200_000)
    try:
        assert free < 400_000
        outcome = stage.run(DOWNSTREAM)
    finally:
        faults.unfill(stage.data_dir)
    # a full disk is transient: retried (space may be freed), then one clear failure
    assert_clean_failure(stage, outcome, "No space left on device", attempts=3)
    again = stage.run(DOWNSTREAM)
    assert again.ok, again.error
    assert again.video_problems() == []
    assert (stage.out / MANIFEST_NAME).exists()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_worker_killed_mid_encode_leaves_the_previous_good_video(stage: Stage) -> None:
    reel = stage.out / "reel.mp4"
    if not reel.exists():
        assert stage.run(DOWNSTREAM).ok
    before = _sha(reel)
    code = (
        "import sys; from pathlib import Path;"
        "from repo2video_devtools.reliability.render import render_in_process;"
        "render_in_process(sys.argv[1], Path(sys.argv[2]), assets=['video'],"
        " data_dir=Path(sys.argv[3]), home=Path(sys.argv[2]) / 'home', reuse=False)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(stage.repo), str(stage.work), str(stage.data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # well into the encode: an encoder is writing frames (scene chunks come and go)
        deadline = time.monotonic() + 180
        while not faults.partial_files(stage.out, faults.MID_ENCODE_BYTES):
            assert proc.poll() is None, "the worker ended before it was writing frames"
            assert time.monotonic() < deadline, "the worker never started encoding"
            time.sleep(0.05)  # polling interval
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _sha(reel) == before
    info = video_info(reel)
    assert (info.vcodec, info.width, info.height) == ("h264", 1080, 1920)
    assert info.duration_s > 5
    # every scene chunk kept for reuse is a whole video: a killed encode leaves only
    # its temp file, which the next encode of that chunk removes
    chunks = [p for p in (stage.out / ".chunks" / "reel").glob("*.mp4") if p.name[0] != "."]
    assert chunks
    for chunk in chunks:
        assert video_info(chunk).frame_count > 0, chunk.name


@pytest.mark.heavy
def test_kill_9_receiver_under_load_loses_nothing(tmp_path: Path) -> None:
    from repo2video_devtools.reliability.loadtest import receiver_kill_test

    result = receiver_kill_test(tmp_path, rate=200, seconds=12, kill_after_s=5)
    assert result.passed, result.detail
