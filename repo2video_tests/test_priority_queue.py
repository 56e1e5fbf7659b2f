"""Priorities under a real ``dagster-daemon``: urgent work jumps the render queue.

The project's dagster.yaml (two renders at a time) with its dequeue interval
shortened, the real receiver, and the product's webhook sensor in a small code
location (fixtures/prioritized_renders.py) whose render asset waits for the test's
word. Two star deliveries fill both slots, ten more star deliveries wait in the
queue, then a release delivery arrives: when a slot frees, the release starts first.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.partitions import RENDER_JOB_NAME
from repo2video_dagster.priorities import DEFAULT_PRIORITIES, PRIORITY_TAG, priority_for
from repo2video_dagster.receiver.event_storage import sqlite_url
from repo2video_dagster.receiver.eventlog import EventLog
from repo2video_dagster.receiver.jobs import format_job, print_jobs
from repo2video_dagster.run_tags import (
    PARTITION_TAG,
    RENDER_JOB_TAGS,
    TAG_EVENT,
    TRIGGER_CLI,
    TRIGGER_SCHEDULE,
    TRIGGER_WEBHOOK,
    render_tags,
)
from repo2video_dagster.sensors.notifications import TAG_NOTIFIED
from repo2video_devtools.reliability.procs import (
    Service,
    instance_home,
    kill9,
    service_env,
    wait_for,
)
from repo2video_tests.loopback import github_headers, http_json
from repo2video_tests.notify_servers import HttpSink, serve_http_sink

LOCATION = Path(__file__).parent / "fixtures" / "prioritized_renders.py"
PAYLOADS = Path(__file__).parent / "fixtures" / "github"
SECRET = "priority-queue-secret"


def _payload(event: str, name: str) -> bytes:
    kind = {"star": "star.created", "release": "release.published"}[event]
    payload = json.loads((PAYLOADS / f"{kind}.payload.json").read_text())
    repo = payload["repository"]
    repo["full_name"] = f"prio/{name}"
    repo["name"] = name
    for field in ("html_url", "clone_url", "url"):
        repo[field] = f"https://github.com/prio/{name}"
    return json.dumps(payload).encode()


@dataclass
class Deployment:
    svc: Service
    port: int
    control: Path
    instance: DagsterInstance
    sink: HttpSink
    env: dict[str, str]
    workspace: Path
    daemon: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Deployment]:
    work = tmp_path_factory.mktemp("priority")
    home = instance_home(
        work / "home", {"run_coordinator": {"config": {"dequeue_interval_seconds": 1}}}
    )
    control = work / "control"
    control.mkdir()
    workspace = work / "workspace.yaml"
    workspace.write_text(
        json.dumps(
            {
                "load_from": [
                    {"python_file": {"relative_path": str(LOCATION), "location_name": "prio"}}
                ]
            }
        )
    )
    svc = Service(work / "logs")
    try:
        with serve_http_sink(HttpSink()) as sink:
            env = service_env(
                home,
                work / "var",
                HELD_RENDERS_DIR=str(control),
                REPO2VIDEO_WEBHOOK_SECRET=SECRET,
                REPO2VIDEO_NOTIFY_WEBHOOK_URL=sink.url,
                REPO2VIDEO_NOTIFY_SUCCESS="1",
                REPO2VIDEO_NOTIFY_RETRY_DELAY_S="0.1",
            )
            env.pop("REPO2VIDEO_EVENTS_URL", None)
            _, port = svc.receiver(env)
            daemon = svc.daemon(env, workspace)
            with DagsterInstance.from_config(str(home)) as instance:
                yield Deployment(svc, port, control, instance, sink, env, workspace, daemon)
    finally:
        for partition in [f"prio__{n}" for n in ("blk-a", "blk-b", "rel", *STARS)]:
            (control / f"release-{partition}").touch()
        svc.stop()


STARS = [f"star-{i}" for i in range(10)]


@pytest.mark.slow
def deliver(port: int, event: str, name: str) -> None:
    body = _payload(event, name)
    status, answer = http_json(
        port, "POST", "/webhook", body, github_headers(event, str(uuid.uuid4()), body, SECRET)
    )
    assert status == 202, answer


def test_a_release_after_ten_stars_starts_before_them(service: Deployment) -> None:
    svc, port, control, instance = service.svc, service.port, service.control, service.instance

    def runs(status: DagsterRunStatus) -> dict[str, dict[str, str]]:
        found = instance.get_runs(RunsFilter(statuses=[status]))
        return {r.tags[PARTITION_TAG]: dict(r.tags) for r in found}

    def started(name: str) -> bool:
        return (control / f"started-prio__{name}.json").exists()

    # Both slots taken by stars, then ten stars wait in the queue, then a release.
    deliver(port, "star", "blk-a")
    deliver(port, "star", "blk-b")
    wait_for(lambda: started("blk-a") and started("blk-b"), 180, "both slots to fill", svc.tails)
    for name in STARS:
        deliver(port, "star", name)
    queued_stars = {f"prio__{n}" for n in STARS}
    wait_for(
        lambda: queued_stars <= set(runs(DagsterRunStatus.QUEUED)),
        60,
        "ten queued stars",
        svc.tails,
    )
    deliver(port, "release", "rel")
    queued = wait_for(
        lambda: "prio__rel" in (q := runs(DagsterRunStatus.QUEUED)) and q,
        60,
        "the release",
        svc.tails,
    )
    assert queued["prio__rel"][PRIORITY_TAG] == str(DEFAULT_PRIORITIES["release"])
    assert queued["prio__rel"][TAG_EVENT] == "release"
    assert {queued[k][PRIORITY_TAG] for k in queued_stars} == {str(DEFAULT_PRIORITIES["star"])}

    # One slot frees: the release, queued last, starts before all ten stars.
    (control / "release-prio__blk-a").touch()
    wait_for(lambda: started("rel"), 60, "the release to start", svc.tails)
    assert not any(started(n) for n in STARS)
    assert queued_stars <= set(runs(DagsterRunStatus.QUEUED))

    # The /jobs listing shows each run's priority.
    code, listing = http_json(port, "GET", "/jobs?limit=50")
    assert code == 200, listing
    shown = {j["partition_key"]: j["priority"] for j in listing["jobs"]}
    assert shown["prio__rel"] == DEFAULT_PRIORITIES["release"]
    assert shown["prio__star-0"] == DEFAULT_PRIORITIES["star"]


def test_default_order_dispatch_and_manual_first_refresh_last() -> None:
    order = [
        priority_for(TRIGGER_WEBHOOK, ["repository_dispatch"]),
        priority_for(TRIGGER_WEBHOOK, ["release"]),
        priority_for(TRIGGER_WEBHOOK, ["push"]),
        priority_for(TRIGGER_WEBHOOK, ["star"]),
        priority_for(TRIGGER_SCHEDULE),
    ]
    assert order == sorted(order, reverse=True) and len(set(order)) == len(order)
    assert priority_for(TRIGGER_WEBHOOK, ["watch"]) == priority_for(TRIGGER_WEBHOOK, ["star"])
    assert priority_for(TRIGGER_CLI) == priority_for("ui") == order[0]
    # the UI's launches carry the job's tags: manual priority
    assert RENDER_JOB_TAGS[PRIORITY_TAG] == str(order[0])


def test_coalesced_deliveries_take_the_highest_priority() -> None:
    tags = render_tags("o__n", "https://github.com/o/n", TRIGGER_WEBHOOK, events=["star", "push"])
    assert tags[PRIORITY_TAG] == str(DEFAULT_PRIORITIES["push"])


def test_priorities_are_settings(monkeypatch) -> None:
    monkeypatch.setenv("REPO2VIDEO_PRIORITY_STAR", "99")
    assert render_tags("o__n", "t", TRIGGER_WEBHOOK, events=["star"])[PRIORITY_TAG] == "99"
    assert priority_for(TRIGGER_WEBHOOK, ["release"]) == DEFAULT_PRIORITIES["release"]
    monkeypatch.setenv("REPO2VIDEO_PRIORITY_STAR", "soon")
    with pytest.raises(UserError, match="REPO2VIDEO_PRIORITY_STAR"):
        priority_for(TRIGGER_WEBHOOK, ["star"])


def test_repo2video_jobs_shows_the_priority(instance: DagsterInstance, tmp_path, capsys) -> None:
    run = DagsterRun(
        job_name=RENDER_JOB_NAME,
        run_id="0123abcd-0000-0000-0000-000000000000",
        tags=render_tags("o__n", "t", TRIGGER_WEBHOOK, events=["release"]),
    )
    instance.add_run(run)
    eventlog = EventLog(sqlite_url(tmp_path / "events.db"))
    try:
        assert print_jobs(instance=instance, eventlog=eventlog) == 0
    finally:
        eventlog.close()
    header, line = capsys.readouterr().out.splitlines()[:2]
    assert header.split()[3] == "PRI"
    assert line.split()[3] == str(DEFAULT_PRIORITIES["release"])
    assert "priority: 30" in format_job({"job_id": "x", "status": "queued", "priority": 30})


@pytest.mark.slow
def test_each_finished_run_is_notified_once_also_across_a_daemon_restart(
    service: Deployment,
) -> None:
    """The product's notification sensors under the real daemon: one POST per run."""
    d = service
    # The ten stars are canceled while queued (a canceled run is not notified), the
    # three started runs end.
    for run in d.instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.QUEUED])):
        d.instance.run_coordinator.cancel_run(run.run_id)
    for name in ("blk-a", "blk-b", "rel"):
        (d.control / f"release-prio__{name}").touch()

    def notified() -> dict[str, dict]:
        messages = [json.loads(body) for _, body in d.sink.requests]
        return {m["run_id"]: m for m in messages}

    wait_for(lambda: len(d.sink.requests) >= 3, 120, "3 notifications", d.svc.tails)
    runs = d.instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.SUCCESS]))
    assert len(runs) == 3
    assert set(notified()) == {r.run_id for r in runs}
    assert len(d.sink.requests) == 3, "one notification per run"
    message = notified()[runs[0].run_id]
    assert message["status"] == "success" and message["text"].startswith("repo2video: render of")
    assert all(d.instance.get_run_by_id(r.run_id).tags[TAG_NOTIFIED] == "webhook" for r in runs)

    kill9([d.daemon.pid])
    d.daemon.wait(10)
    d.daemon = d.svc.daemon(d.env, d.workspace)
    (d.control / "release-prio__after-restart").touch()
    deliver(d.port, "star", "after-restart")
    wait_for(
        lambda: len(d.sink.requests) >= 4, 180, "the notification after the restart", d.svc.tails
    )
    assert len(d.sink.requests) == 4 and len(notified()) == 4, "the old runs were not sent again"
