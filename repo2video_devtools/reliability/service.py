"""``kill -9`` of the daemon and of a run's worker while real renders run.

The whole service runs as processes on a temp instance: ``repo2video webhook serve``
and ``dagster-daemon run`` with the project's workspace and dagster.yaml (run
retries, run monitoring; only the monitoring poll interval is shortened). A signed
star delivery for a local repository starts each render, as in production.

- daemon: killed while the run is rendering, then started again. The run must end
  SUCCESS (or FAILURE with a reason and a successful retry); none left in progress.
- worker: the run worker and everything under it (step processes, ffmpeg) killed
  while the video is being encoded, with the previous render's video in place. The
  output path must still hold that previous, valid video; the run must be marked
  failed with a reason, and the automatic retry must finish the render.

Afterwards every byte under the instance, the data directory and the process logs is
searched for the webhook secret, the LLM key and the GitHub token, which were all
set in the processes' environment.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repo2video_dagster.lib.render.media import video_info
from repo2video_dagster.receiver.webhooks import compute_signature
from repo2video_devtools.reliability import faults, repos
from repo2video_devtools.reliability.checks import find_leaks
from repo2video_devtools.reliability.loadtest import KillResult
from repo2video_devtools.reliability.procs import (
    Service,
    descendants,
    instance_home,
    kill9,
    request,
    running,
    service_env,
    wait_for,
)

SECRETS = {
    "REPO2VIDEO_WEBHOOK_SECRET": "r2v-svc-webhook-secret-4c1d",
    "REPO2VIDEO_LLM_API_KEY": "sk-r2v-svc-llm-key-88e0",
    "GITHUB_TOKEN": "ghp_r2vsvcgithubtoken51aa",
}
MONITORING = {"run_monitoring": {"poll_interval_seconds": 5}}
RENDER_STEPS = {"narration", "captions", "visuals", "video", "blog_post"}
_PID_RE = re.compile(r"Started process for run \(pid: (\d+)\)")


@dataclass
class ServiceReport:
    results: list[KillResult]
    leaks: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    """Hidden temp files a killed encoder left beside the output (never the output itself)."""


def deliver_star(port: int, repo: Path) -> str:
    payload = {
        "action": "created",
        "starred_at": "2024-03-01T10:00:00Z",
        "repository": {
            "full_name": f"local/{repo.name}",
            "html_url": repo.as_uri(),
            "clone_url": repo.as_uri(),
            "private": False,
            "default_branch": "main",
        },
        "sender": {"login": "octocat"},
    }
    body = json.dumps(payload).encode()
    delivery = str(uuid.uuid4())
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "star",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": compute_signature(SECRETS["REPO2VIDEO_WEBHOOK_SECRET"], body),
    }
    status, answer = request(port, "POST", "/webhook", body, headers)
    if status != 202:
        raise RuntimeError(f"delivery refused: {status} {answer}")
    return delivery


class Runs:
    """Read-only views of the instance's runs for one delivery."""

    def __init__(self, instance: Any) -> None:
        self.instance = instance

    def for_delivery(self, delivery: str) -> list[Any]:
        from dagster import RunsFilter

        from repo2video_dagster.run_tags import TAG_DELIVERY

        runs = self.instance.get_runs(RunsFilter(tags={TAG_DELIVERY: delivery}))
        return sorted(runs, key=lambda r: int(r.tags.get("dagster/retry_number", "0")))

    def original(self, delivery: str) -> Any | None:
        runs = [r for r in self.for_delivery(delivery) if "dagster/parent_run_id" not in r.tags]
        return runs[0] if runs else None

    def steps_started(self, run_id: str) -> set[str]:
        from dagster import DagsterEventType

        records = self.instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)
        return {r.dagster_event.step_key for r in records if r.dagster_event}

    def worker_pid(self, run_id: str) -> int | None:
        from dagster import DagsterEventType

        for record in self.instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
            if match := _PID_RE.search(record.message or ""):
                return int(match.group(1))
        return None

    def failure_reason(self, run_id: str) -> str:
        """The run's failure message and any engine event that explains the crash."""
        from dagster import DagsterEventType

        lines = []
        for record in self.instance.all_logs(run_id):
            event = record.dagster_event
            text = (record.message or "").strip()
            if event is None or not text:
                continue
            if event.event_type == DagsterEventType.RUN_FAILURE or (
                event.event_type == DagsterEventType.ENGINE_EVENT
                and re.search(r"signal|terminated|crash|exited", text, re.I)
            ):
                lines.append(text.splitlines()[0])
        return " | ".join(lines)

    def in_progress(self) -> list[Any]:
        from dagster import DagsterRunStatus, RunsFilter

        busy = [
            DagsterRunStatus.QUEUED,
            DagsterRunStatus.NOT_STARTED,
            DagsterRunStatus.STARTING,
            DagsterRunStatus.STARTED,
            DagsterRunStatus.CANCELING,
        ]
        return list(self.instance.get_runs(RunsFilter(statuses=busy)))

    def settled(self, delivery: str) -> list[Any] | None:
        """All runs of the delivery once the newest is finished and no retry is pending."""
        runs = self.for_delivery(delivery)
        if not runs or not runs[-1].is_finished:
            return None
        if runs[-1].status.value == "FAILURE" and _retry_expected(runs[-1]):
            return None
        return runs


def _retry_expected(run: Any) -> bool:
    """Whether the daemon will (or has yet to decide to) retry this failed run.

    The run-retry daemon tags each failed run ``dagster/will_retry``; until it has,
    the decision is pending.
    """
    return run.tags.get("dagster/will_retry", "pending") != "false"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _valid_reel(path: Path) -> str | None:
    """None when ``path`` is a complete reel, else what is wrong with it."""
    try:
        info = video_info(path)
    except Exception as exc:  # a truncated file fails to probe
        return f"{path.name} does not probe: {exc}"
    if (info.vcodec, info.acodec, info.width, info.height) != ("h264", "aac", 1080, 1920):
        return f"{path.name}: {info.vcodec}/{info.acodec} {info.width}x{info.height}"
    if info.duration_s < 5:
        return f"{path.name}: only {info.duration_s:.1f} s"
    return None


def _daemon_kill(service: Service, env: dict[str, str], runs: Runs, port: int, repo: Path,
                 state: dict[str, Any]) -> KillResult:  # fmt: skip
    started = time.monotonic()
    problems: list[str] = []
    delivery = deliver_star(port, repo)
    run = wait_for(
        lambda: (
            (r := runs.original(delivery)) and RENDER_STEPS & runs.steps_started(r.run_id) and r
        ),
        300,
        "the first run to start rendering",
        service.tails,
    )
    kill9([state["daemon"].pid])
    state["daemon"].wait(10)
    steps = sorted(RENDER_STEPS & runs.steps_started(run.run_id))
    # The render goes on without the daemon: wait for it to log something new first.
    logged = len(runs.instance.all_logs(run.run_id))
    wait_for(
        lambda: len(runs.instance.all_logs(run.run_id)) > logged or runs.settled(delivery),
        120,
        "the run to go on without the daemon",
        service.tails,
    )
    state["daemon"] = service.daemon(env)
    final = wait_for(lambda: runs.settled(delivery), 480, "the run to finish", service.tails)
    statuses = [f"{r.run_id[:8]}:{r.status.value}" for r in final]
    if final[-1].status.value != "SUCCESS":
        problems.append(f"ended {statuses}: {runs.failure_reason(final[-1].run_id)}")
    for r in final:
        if r.status.value == "FAILURE" and not runs.failure_reason(r.run_id):
            problems.append(f"run {r.run_id[:8]} failed without a reason")
    out = state["data_dir"] / "output"
    reels = list(out.glob("*/reel.mp4"))
    if not reels:
        problems.append("no reel.mp4 was produced")
    elif why := _valid_reel(reels[0]):
        problems.append(why)
    else:
        state["reel"] = reels[0]
    detail = f"daemon killed during {steps}; restarted; runs {statuses}"
    return KillResult(
        "daemon during a render",
        not problems,
        "; ".join(problems) or detail,
        round(time.monotonic() - started, 1),
    )


def _worker_kill(service: Service, runs: Runs, port: int, repo: Path, state: dict[str, Any]) -> KillResult:  # fmt: skip
    started = time.monotonic()
    problems: list[str] = []
    reel: Path = state["reel"]
    before = _sha(reel)
    repos.add_commit(
        repo,
        {"README.md": repos.TINY_README + "\nEvery suggestion comes with a one-line reason.\n"},
        "Explain suggestions",
    )
    delivery = deliver_star(port, repo)
    wait_for(
        lambda: faults.partial_files(reel.parent, faults.MID_ENCODE_BYTES),
        400,
        "the encoder to be writing frames",
        service.tails,
        0.1,
    )
    run = runs.original(delivery)
    pid = runs.worker_pid(run.run_id) if run else None
    if pid is None:
        return KillResult("run worker mid-encode", False, "no worker pid in the run's events", 0)
    tree = [pid, *descendants(pid)]
    kill9(tree)
    wait_for(lambda: not any(running(p) for p in tree), 30, "the killed processes to go")
    if _sha(reel) != before:
        problems.append("reel.mp4 changed when the worker died")
    if why := _valid_reel(reel):
        problems.append(f"after the kill: {why}")
    final = wait_for(lambda: runs.settled(delivery), 480, "the run and its retry", service.tails)
    statuses = [f"{r.run_id[:8]}:{r.status.value}" for r in final]
    killed = next(r for r in final if r.run_id == run.run_id)
    reason = runs.failure_reason(killed.run_id)
    if killed.status.value != "FAILURE" or not reason:
        problems.append(f"killed run ended {killed.status.value} with reason {reason!r}")
    if final[-1].status.value != "SUCCESS":
        problems.append(f"no retry finished the render: {statuses}")
    elif why := _valid_reel(reel):
        problems.append(f"after the retry: {why}")
    elif _sha(reel) == before:
        problems.append("the retry did not replace the video")
    state["leftovers"] = faults.partial_files(reel.parent)
    detail = (
        f"killed {len(tree)} processes (worker, steps, ffmpeg) mid-encode; reel.mp4 stayed the "
        f"previous valid video; run failed with {reason[:120]!r}; runs {statuses}"
    )
    return KillResult(
        "run worker mid-encode",
        not problems,
        "; ".join(problems) or detail,
        round(time.monotonic() - started, 1),
    )


def service_kill_tests(work: Path) -> ServiceReport:
    """Run both service kill tests on a fresh instance; then look for leaked secrets."""
    from dagster import DagsterInstance

    work.mkdir(parents=True, exist_ok=True)
    home = instance_home(work / "home", MONITORING)
    data_dir = work / "var"
    env = service_env(
        home, data_dir, REPO2VIDEO_ALLOW_LOCAL="1", REPO2VIDEO_FORMATS="reel", **SECRETS
    )
    env.pop("REPO2VIDEO_EVENTS_URL", None)
    repo = repos.tiny_repo(work / "wordle-solver")
    service = Service(work / "logs")
    results: list[KillResult] = []
    state: dict[str, Any] = {"data_dir": data_dir}
    try:
        _, port = service.receiver(env)
        state["daemon"] = service.daemon(env)
        with DagsterInstance.from_config(str(home)) as instance:
            runs = Runs(instance)
            for name, test in (
                ("daemon during a render", lambda: _daemon_kill(service, env, runs, port, repo, state)),
                ("run worker mid-encode", lambda: _worker_kill(service, runs, port, repo, state)),
            ):  # fmt: skip
                if name != "daemon during a render" and "reel" not in state:
                    results.append(KillResult(name, False, "skipped: no first render", 0))
                    continue
                try:
                    results.append(test())
                except Exception as exc:  # a timeout or a broken harness fails the test
                    results.append(KillResult(name, False, f"{type(exc).__name__}: {exc}"[:800], 0))
            stuck = runs.in_progress()
            if stuck:
                results.append(
                    KillResult(
                        "no run left in progress",
                        False,
                        ", ".join(f"{r.run_id[:8]}:{r.status.value}" for r in stuck),
                        0,
                    )
                )
    finally:
        service.stop()
    leaks = find_leaks([home, data_dir, work / "logs"], [s.encode() for s in SECRETS.values()])
    return ServiceReport(results, leaks, state.get("leftovers", []))
