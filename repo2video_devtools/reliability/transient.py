"""Injected faults, run through the real asset graph: transient ones must be retried to
success, permanent ones must fail after exactly one attempt.

Each case starts a real fault (a git host answering 500 or hanging up mid-pack, an
LLM answering 503, a GitHub API answering 502, an encoder killed by SIGKILL) or a
real permanent error (a refused URL, a repository over the limit, no README, a
malformed LLM answer), runs only the stages it needs, and reads the attempts back
from the Dagster event log and from the ``/jobs`` view. The pytest module
``repo2video_tests/test_transient_faults.py`` and ``python -m
repo2video_devtools.reliability`` run the same cases.

Retries wait ``REPO2VIDEO_RETRY_DELAY_S`` (read when the code location is imported):
callers set it small before importing the product.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from repo2video_devtools.reliability import repos
from repo2video_devtools.reliability.engine_faults import ffmpeg_killed_once
from repo2video_devtools.reliability.fake_services import (
    Reply,
    github_reply,
    llm_script,
    serve_github,
    serve_llm,
)
from repo2video_devtools.reliability.git_http_server import (
    Fault,
    GitHttpServer,
    serve_git,
    trusting,
)
from repo2video_devtools.reliability.render import INSTANCE_YAML, render_in_process

Kind = Literal["transient", "permanent"]
SPEECH_AND_PICTURES = ["narration", "captions", "visuals"]
SCRIPT_STAGES = ["repo_snapshot", "repo_profile", "video_script"]


@dataclass
class FaultCase:
    """How one injected fault played out."""

    name: str
    kind: Kind
    step: str
    """The step the fault hits."""
    ok: bool = False
    """Whether the run succeeded."""
    attempts: dict[str, int] = field(default_factory=dict)
    """Per step, from the event log: its start plus its ``STEP_RESTARTED`` events."""
    retry_events: int = 0
    """``STEP_UP_FOR_RETRY`` events of :attr:`step` in the event log."""
    job_attempts: dict[str, int] = field(default_factory=dict)
    """``attempts`` of the run's job, as ``GET /jobs/<run id>`` answers it."""
    job_error: str | None = None
    """``error`` of the run's job (``GET /jobs/<run id>``)."""
    error: str | None = None
    seconds: float = 0.0
    run_id: str = ""
    problems: list[str] = field(default_factory=list)
    """Case-specific checks that failed (the fault never fired, enrichment missing ...)."""
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def step_attempts(self) -> int:
        return self.attempts.get(self.step, 0)

    @property
    def retried_to_success(self) -> bool:
        return self.ok and self.step_attempts > 1

    @property
    def passed(self) -> bool:
        if self.problems or self.job_attempts != self.attempts:
            return False
        if self.retry_events != self.step_attempts - 1:
            return False
        if self.kind == "transient":
            return self.retried_to_success
        one_line = bool(self.error) and "\n" not in (self.error or "")
        return not self.ok and self.step_attempts == 1 and one_line

    def line(self) -> str:
        mark = "ok  " if self.passed else "FAIL"
        how = "succeeded" if self.ok else f"failed: {self.error}"
        extra = f"; {', '.join(self.problems)}" if self.problems else ""
        return (
            f"{mark} {self.kind} {self.name}: {self.step} attempted {self.step_attempts}x, "
            f"run {how} ({self.seconds:.1f} s){extra}"
        )


# ---- reading a finished run ------------------------------------------------------------


def _read_run(case: FaultCase, home: Path, run_id: str, work: Path) -> None:
    """Fill ``case`` from the run's event log and from the ``/jobs`` view of the run."""
    from dagster import DagsterEventType, DagsterInstance

    from repo2video_dagster.receiver.event_storage import sqlite_url
    from repo2video_dagster.receiver.eventlog import EventLog
    from repo2video_dagster.receiver.jobs import get_job

    STEP_START, STEP_RESTARTED = DagsterEventType.STEP_START, DagsterEventType.STEP_RESTARTED
    case.run_id = run_id
    with DagsterInstance.from_config(str(home)) as instance:
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None:
                if entry.level >= logging.WARNING and entry.step_key == case.step:
                    case.notes.setdefault("warnings", []).append(entry.user_message)
                continue
            step = event.step_key
            if step and event.event_type in (STEP_START, STEP_RESTARTED):
                case.attempts[step] = case.attempts.get(step, 0) + 1
            if step == case.step and event.event_type == DagsterEventType.STEP_UP_FOR_RETRY:
                case.retry_events += 1
        for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
            mat = entry.asset_materialization
            if mat is not None and mat.asset_key.to_user_string() == case.step:
                values = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
                case.notes["metadata"] = {
                    k: v if isinstance(v, str | int | float | bool) else str(v)
                    for k, v in values.items()
                }
        events = EventLog(sqlite_url(work / "receiver-events.db"))
        try:
            job = get_job(instance, events, run_id) or {}
        finally:
            events.close()
    case.job_attempts = dict(job.get("attempts") or {})
    case.job_error = job.get("error")


@contextmanager
def _timed(case: FaultCase) -> Iterator[FaultCase]:
    started = time.monotonic()
    try:
        yield case
    finally:
        case.seconds = round(time.monotonic() - started, 1)


def _render(
    case: FaultCase,
    target: str,
    work: Path,
    assets: list[str],
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Any:
    outcome = render_in_process(target, work, assets=assets, overrides=overrides)
    case.ok, case.error = outcome.ok, outcome.error
    _read_run(case, outcome.home, outcome.run_id, work)
    return outcome


# ---- the policy switch for a loopback git host -----------------------------------------


def loopback_source(server: GitHttpServer, *, allowed: bool = True) -> dict[str, Any]:
    """Source-resource fields that let a run clone from ``server`` on 127.0.0.1 or, with
    ``allowed=False``, refuse it as an internal address (the one place that knows how
    the source policy lets a loopback host through)."""
    return {
        "allowed_hosts": [server.host],
        "allowed_private_networks": ["127.0.0.0/8"] if allowed else [],
    }


# ---- transient faults --------------------------------------------------------------------


def git_case(name: str, faults: list[Fault], work: Path) -> FaultCase:
    """Clone the tiny repository from a loopback git host that fails as ``faults`` say."""
    case = FaultCase(name, "transient", "repo_snapshot")
    with _timed(case), serve_git(work / "git") as server, trusting(server):
        url = server.publish(repos.tiny_repo(work / "tiny"), "tiny")
        server.faults.extend(faults)
        _render(case, url, work, ["repo_snapshot"], {"source": loopback_source(server)})
        case.notes["requests"] = list(server.requests)
        if server.faults:
            case.problems.append(f"{len(server.faults)} fault(s) never fired")
    return case


def git_http_500(work: Path) -> FaultCase:
    """The git host answers its first request (the ref advertisement) with HTTP 500."""
    return git_case("git host answers 500", [Fault("/info/refs", "500")], work)


def git_connection_dropped(work: Path) -> FaultCase:
    """The git host hangs up half way through sending the pack."""
    fault = Fault("/git-upload-pack", "drop", command="fetch")
    return git_case("git host hangs up mid-pack", [fault], work)


def _llm_overrides(url: str) -> dict[str, dict[str, Any]]:
    return {
        "script_writer": {
            "writer": "llm",
            "llm_base_url": url,
            "llm_model": "fake-model",
            "llm_timeout_s": 20.0,
        }
    }


def llm_503(work: Path) -> FaultCase:
    """The LLM answers 503 twice (both tries of the first attempt), then a valid script."""
    case = FaultCase("LLM answers 503 twice", "transient", "video_script")
    busy = Reply(status=503, raw=b'{"error": "model is loading"}')
    valid = Reply(content=json.dumps(llm_script(7)))
    with _timed(case), serve_llm([busy, busy, valid]) as llm:
        repo = repos.tiny_repo(work / "tiny")
        _render(case, str(repo), work, SCRIPT_STAGES, _llm_overrides(llm.url))
        case.notes["statuses"] = llm.statuses
        if llm.statuses[:2] != [503, 503]:
            case.problems.append(f"the LLM answered {llm.statuses}")
    return case


SHORT_NARRATION = (
    "Meet wordle solver, a tiny helper for your daily Wordle puzzle.",
    "It reads the words you still have and suggests the strongest next guess.",
    "Install it with pip, then import the best guess function in Python.",
    "Pass a list of candidate words and it returns the one that shares the most letters.",
    "The whole project is one short Python module with no dependencies.",
    "Try it on today's puzzle and see how fast you solve it.",
)
"""Six plain sentences (78 words, about 25 s of speech). Varied on purpose: Whisper can
loop for minutes on narration that repeats itself."""


def short_script() -> dict[str, Any]:
    """A valid six-scene LLM answer for the tiny repository: enough for every stage, and
    half the narration, recognition and encoding of the template writer's script."""
    script = llm_script(len(SHORT_NARRATION))
    for scene, text in zip(script["scenes"], SHORT_NARRATION, strict=True):
        scene["narration"] = text
    return script


def encoder_killed_once(work: Path) -> FaultCase:
    """The first ffmpeg of the run (the video stage's) dies by SIGKILL."""
    case = FaultCase("encoder killed by SIGKILL", "transient", "video")
    stages = SCRIPT_STAGES + SPEECH_AND_PICTURES + ["video"]
    with _timed(case), serve_llm([Reply(content=json.dumps(short_script()))]) as llm:
        repo = repos.tiny_repo(work / "tiny")
        with ffmpeg_killed_once(work / "ffmpeg-wrapper") as fault:
            outcome = _render(case, str(repo), work, stages, _llm_overrides(llm.url))
        if not fault.fired:
            case.problems.append("the encoder was never killed")
        if outcome.ok:
            case.problems += outcome.video_problems()
    return case


# GitHub enrichment needs a GitHub source, which the real repo_snapshot would clone from
# github.com; here an upstream asset of the same key hands repo_profile a checkout of a
# local repository labelled as github.com/octo/tally, and the real repo_profile runs.


def _github_snapshot(work: Path) -> Any:
    from dataclasses import replace

    from repo2video_dagster.lib.source.checkout import clone_snapshot
    from repo2video_dagster.lib.source.policy import SourcePolicy
    from repo2video_dagster.lib.source.targets import parse_target

    local = SourcePolicy(allow_local=True)
    repo = repos.tiny_repo(work / "tiny")
    snapshot = clone_snapshot(parse_target(str(repo), local), work / "workspace", local)
    github = parse_target("https://github.com/octo/tally", local)
    return replace(snapshot, source=github)


def _run_profile_on_github_source(case: FaultCase, work: Path, api_url: str) -> None:
    from dagster import DagsterInstance, asset, materialize

    from repo2video_dagster.assets.source import repo_profile
    from repo2video_dagster.partitions import REPOSITORIES_PARTITIONS_NAME, repositories_partitions
    from repo2video_dagster.resources import GitHubApiResource
    from repo2video_devtools.reliability.render import resources_for

    snapshot = _github_snapshot(work)

    @asset(name="repo_snapshot", partitions_def=repositories_partitions)
    def github_checkout() -> Any:
        return snapshot

    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    resources = resources_for(work / "var", ["reel"])
    resources["github"] = GitHubApiResource(base_url=api_url, enabled=True, timeout_s=5.0)
    key = snapshot.source.key
    with DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, [key])
        result = materialize(
            [github_checkout, repo_profile],
            instance=instance,
            partition_key=key,
            resources={k: resources[k] for k in ("source", "github")},
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
        case.ok = result.success
        if not result.success:
            case.error = "repo_profile failed"
    _read_run(case, home, result.run_id, work)


def github_502_once(work: Path) -> FaultCase:
    """The GitHub API answers 502, then the repository: enriched on the second attempt."""
    case = FaultCase("GitHub API answers 502 once", "transient", "repo_profile")
    with _timed(case), serve_github([github_reply(502), github_reply(200)]) as api:
        _run_profile_on_github_source(case, work, api.url)
        case.notes["statuses"] = api.statuses
    if case.notes.get("metadata", {}).get("github_enrichment") != "ok":
        case.problems.append(
            f"enrichment: {case.notes.get('metadata', {}).get('github_enrichment')}"
        )
    return case


def github_502_always(work: Path) -> FaultCase:
    """The GitHub API answers 502 every time: after the last attempt the profile is kept
    without enrichment, with a warning and a metadata entry saying so."""
    case = FaultCase("GitHub API answers 502 always", "transient", "repo_profile")
    with _timed(case), serve_github([github_reply(502)]) as api:
        _run_profile_on_github_source(case, work, api.url)
        case.notes["statuses"] = api.statuses
    said = str(case.notes.get("metadata", {}).get("github_enrichment"))
    if not said.startswith("skipped: GitHub API error 502"):
        case.problems.append(f"enrichment metadata: {said}")
    if not any("GitHub enrichment skipped" in w for w in case.notes.get("warnings", [])):
        case.problems.append("no warning in the event log")
    return case


# ---- permanent errors ----------------------------------------------------------------------


def refused_url(work: Path) -> FaultCase:
    """The run's policy refuses the URL (a host on an internal address)."""
    case = FaultCase("URL refused by the policy", "permanent", "repo_snapshot")
    with _timed(case), serve_git(work / "git") as server, trusting(server):
        url = server.publish(repos.tiny_repo(work / "tiny"), "tiny")
        _render(
            case, url, work, ["repo_snapshot"], {"source": loopback_source(server, allowed=False)}
        )
        if any("git-upload-pack" in r for r in server.requests):
            case.problems.append("git fetched from a refused host")
    return case


def over_size_limit(work: Path) -> FaultCase:
    """The repository has more files than the policy allows."""
    case = FaultCase("repository over the size limit", "permanent", "repo_snapshot")
    with _timed(case):
        repo = repos.tiny_repo(work / "tiny")
        _render(case, str(repo), work, ["repo_snapshot"], {"source": {"max_files": 1}})
    return case


def no_readme(work: Path) -> FaultCase:
    """The repository has no README."""
    case = FaultCase("repository without a README", "permanent", "repo_profile")
    with _timed(case):
        repo = repos.make_repo(work / "bare", {"main.py": "print('hello')\n"})
        _render(case, str(repo), work, ["repo_snapshot", "repo_profile"])
    return case


def malformed_llm_answer(work: Path) -> FaultCase:
    """The LLM answers prose instead of a JSON script, every time."""
    case = FaultCase("LLM answer is not a script", "permanent", "video_script")
    with _timed(case), serve_llm([Reply(content="Sorry, I cannot write that.")]) as llm:
        repo = repos.tiny_repo(work / "tiny")
        _render(case, str(repo), work, SCRIPT_STAGES, _llm_overrides(llm.url))
    return case


TRANSIENT_CASES: list[Callable[[Path], FaultCase]] = [
    git_http_500,
    git_connection_dropped,
    llm_503,
    github_502_once,
    github_502_always,
    encoder_killed_once,
]
PERMANENT_CASES: list[Callable[[Path], FaultCase]] = [
    refused_url,
    over_size_limit,
    no_readme,
    malformed_llm_answer,
]


def summary(cases: list[FaultCase]) -> str:
    """``transient faults: N injected, N retried to success, 0 permanent errors retried``."""
    transient = [c for c in cases if c.kind == "transient"]
    permanent = [c for c in cases if c.kind == "permanent"]
    succeeded = sum(1 for c in transient if c.retried_to_success and not c.problems)
    retried = sum(1 for c in permanent if c.step_attempts != 1)
    return (
        f"transient faults: {len(transient)} injected, {succeeded} retried to success, "
        f"{retried} permanent errors retried"
    )
