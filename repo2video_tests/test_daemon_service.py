"""The project's dagster.yaml under a real ``dagster-daemon``: the queue keeps its limits,
run retries fire, run monitoring stops runs, and ``/health`` names a dead daemon.

One instance and one daemon serve every test here, with the real receiver process for
``/health``. The instance is the project's dagster.yaml (run queue limits, run
retries, run monitoring) with only polling intervals shortened. The runs come from a
small code location (fixtures/held_renders.py): its render job has the product's name,
partitions and tags, but its one asset waits for the test's word, so each test decides
when a run ends, kills its worker, or lets it overrun. Tests run in file order and each
starts from a quiet queue; the last one kills the code server.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from repo2video_dagster.run_tags import MAX_RUNTIME_TAG, PARTITION_TAG, RETRY_NUMBER_TAG
from repo2video_devtools.reliability.procs import (
    Service,
    instance_home,
    kill9,
    request,
    running,
    service_env,
    wait_for,
)

pytestmark = pytest.mark.slow

LOCATION = Path(__file__).parent / "fixtures" / "held_renders.py"
HEARTBEAT_MAX_AGE_S = 35
"""Just above the daemons' 30 s heartbeat interval: a live daemon is never stale, a
dead one is within 35 s."""
FAST_POLLING = {
    "run_coordinator": {"config": {"dequeue_interval_seconds": 1}},
    "run_monitoring": {"poll_interval_seconds": 1},
}
RELIED_ON_DAEMONS = {
    "SENSOR",
    "SCHEDULER",
    "BACKFILL",
    "QUEUED_RUN_COORDINATOR",  # run_coordinator: QueuedRunCoordinator
    "MONITORING",  # run_monitoring.enabled
    "EVENT_LOG_CONSUMER",  # run_retries.enabled: launches the retries
}
KEY_TAG = "held/key"
PARENT_RUN_TAG = "dagster/parent_run_id"
WILL_RETRY_TAG = "dagster/will_retry"
NO_RETRY = {"dagster/max_retries": "0"}
BUSY = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]
DAGSTER_WARNING = re.compile(
    r"SupersessionWarning|PreviewWarning|BetaWarning|is deprecated and will be removed"
)


@dataclass
class Deployment:
    """The running service and what the tests do to it."""

    service: Service
    env: dict[str, str]
    workspace: Path
    control: Path
    instance: DagsterInstance
    port: int
    daemon: subprocess.Popen[bytes]
    _names: Iterator[int] = field(default_factory=itertools.count)

    def request(self, *runs: tuple[str, str, dict[str, str]]) -> None:
        """Runs ``(key, partition, tags)`` for the sensor's next tick, in this order."""
        body = [
            {"key": key, "partition": partition, "tags": {KEY_TAG: key, **tags}}
            for key, partition, tags in runs
        ]
        path = self.control / "requests" / f"{next(self._names):04d}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body), encoding="utf-8")
        tmp.replace(path)

    def release(self, partition: str) -> None:
        (self.control / f"release-{partition}").touch()

    def runs(self, key: str) -> list[DagsterRun]:
        """The run requested as ``key`` and its retries, oldest first."""
        runs = self.instance.get_runs(RunsFilter(tags={KEY_TAG: key}))
        return sorted(runs, key=lambda r: int(r.tags.get(RETRY_NUMBER_TAG, "0")))

    def run(self, key: str) -> DagsterRun:
        return self.runs(key)[0]

    def started(self, key: str, attempt: int = 0, timeout: float = 120) -> dict[str, Any]:
        """What the run worker of ``key`` (its ``attempt``-th retry) wrote when its asset began."""

        def marker() -> dict[str, Any] | None:
            runs = self.runs(key)
            if len(runs) <= attempt:
                return None
            path = self.control / f"started-{runs[attempt].run_id}.json"
            return json.loads(path.read_text()) if path.exists() else None

        return wait_for(marker, timeout, f"run {key} to start", self.service.tails, 0.1)

    def settled(self, key: str, timeout: float = 120) -> list[DagsterRun]:
        """The runs of ``key`` once the newest is finished and no retry is still to come."""

        def done() -> list[DagsterRun] | None:
            runs = self.runs(key)
            if not runs or not runs[-1].is_finished:
                return None
            last = runs[-1]
            # a failed run waits for the retry daemon's word (dagster/will_retry), and a
            # "true" for the retry itself to finish
            if last.status == DagsterRunStatus.FAILURE and last.tags.get(WILL_RETRY_TAG) != "false":
                return None
            return runs

        return wait_for(done, timeout, f"the runs of {key} to settle", self.service.tails, 0.2)

    def quiet(self, timeout: float = 120) -> None:
        """Wait until nothing is queued or running (tests start from an idle service)."""
        wait_for(
            lambda: not self.instance.get_runs(RunsFilter(statuses=BUSY)),
            timeout,
            "the queue to drain",
            self.service.tails,
            0.2,
        )

    def messages(self, run_id: str) -> str:
        """Every message the run's event log holds, one per line."""
        return "\n".join(r.message or "" for r in self.instance.all_logs(run_id))

    def health(self) -> tuple[int, dict[str, Any]]:
        return request(self.port, "GET", "/health", timeout=10)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    work = tmp_path_factory.mktemp("daemon")
    home = instance_home(work / "home", FAST_POLLING)
    control = work / "control"
    (control / "requests").mkdir(parents=True)
    workspace = work / "workspace.yaml"
    workspace.write_text(
        json.dumps(
            {
                "load_from": [
                    {"python_file": {"relative_path": str(LOCATION), "location_name": "held"}}
                ]
            }
        )
    )
    env = service_env(
        home,
        work / "var",
        HELD_RENDERS_DIR=str(control),
        REPO2VIDEO_WEBHOOK_SECRET="daemon-service-secret",
        REPO2VIDEO_HEARTBEAT_MAX_AGE_S=str(HEARTBEAT_MAX_AGE_S),
        # a failed run is picked up for retry within a second instead of five
        DAGSTER_EVENT_LOG_CONSUMER_DAEMON_INTERVAL_SECONDS="1",
        # Dagster's deprecations show in the logs (Python hides them outside __main__)
        PYTHONWARNINGS="default::DeprecationWarning",
    )
    env.pop("REPO2VIDEO_EVENTS_URL", None)
    service = Service(work / "logs")
    try:
        daemon = service.daemon(env, workspace)
        _, port = service.receiver(env)
        with DagsterInstance.from_config(str(home)) as instance:
            yield Deployment(service, env, workspace, control, instance, port, daemon)
    finally:
        service.stop()


def test_queue_runs_two_renders_at_once_and_one_per_repository(deployment: Deployment) -> None:
    """Four renders queued in one tick: A1, A2 (same repository), B, C.

    Four, not three: with two repositories the two limits (2 at once, 1 per
    repository) would hold back the same runs and could not be told apart.
    """
    d = deployment
    d.quiet()
    d.request(("q-a1", "queue-a", {}), ("q-a2", "queue-a", {}), ("q-b", "queue-b", {}),
              ("q-c", "queue-c", {}))  # fmt: skip
    d.started("q-a1")
    d.started("q-b")
    # The launch of B considered C right after it (and A2 before it): both must wait.
    assert d.run("q-a2").status == DagsterRunStatus.QUEUED, "two runs of one repository"
    assert d.run("q-c").status == DagsterRunStatus.QUEUED, "a third run at once"
    d.release("queue-b")
    d.started("q-c")
    # A slot was free and A2 was ahead of C in the queue: only the partition limit held it.
    assert d.run("q-a2").status == DagsterRunStatus.QUEUED, "two runs of one repository"
    d.release("queue-a")
    d.release("queue-c")
    keys = ["q-a1", "q-a2", "q-b", "q-c"]
    finals = [d.settled(key)[-1] for key in keys]
    assert [r.status for r in finals] == [DagsterRunStatus.SUCCESS] * 4

    # Over the whole test, from the storage's timestamps: from launch to end, never
    # more than 2 runs at once, never 2 of one repository.
    spans = []
    for run in finals:
        record = d.instance.get_run_record_by_id(run.run_id)
        launched = d.instance.get_run_stats(run.run_id).launch_time
        assert record and launched and record.end_time
        spans.append((launched, record.end_time, run.tags[PARTITION_TAG]))
    for start, _, _ in spans:
        at_once = [s for s in spans if s[0] <= start < s[1]]
        assert len(at_once) <= 2, at_once
        assert len({s[2] for s in at_once}) == len(at_once), at_once
    assert max(len([s for s in spans if s[0] <= t < s[1]]) for t, _, _ in spans) == 2


def test_catalog_refreshes_after_a_render_the_daemon_ran(deployment: Deployment) -> None:
    """The product's refresh_catalog_after_render sensor, evaluated by the daemon, starts
    a catalog run after a render that a sensor (not the CLI) requested."""
    d = deployment
    d.quiet()
    d.request(("cat-1", "catalog-a", {}))
    d.started("cat-1")
    d.release("catalog-a")
    render = d.settled("cat-1")[-1]
    assert render.status == DagsterRunStatus.SUCCESS
    ended = d.instance.get_run_record_by_id(render.run_id).end_time

    def refreshed() -> list[str] | None:
        records = d.instance.get_run_records(
            RunsFilter(job_name="refresh_catalog", statuses=[DagsterRunStatus.SUCCESS])
        )
        later = [r.dagster_run.run_id for r in records if (r.start_time or 0) >= ended]
        return later or None

    # the sensor runs every 15 s at most; then the run queue launches the refresh
    runs = wait_for(refreshed, 120, "a catalog refresh after the render", d.service.tails, 0.5)
    assert all((d.control / f"catalog-{run_id}").exists() for run_id in runs)


def test_killed_run_worker_is_retried_to_success(deployment: Deployment) -> None:
    d = deployment
    d.quiet()
    d.request(("crash", "crash", {}))
    first = d.started("crash")
    kill9([first["pid"]])
    d.release("crash")
    runs = d.settled("crash")
    original, *retries = runs
    assert original.run_id == first["run_id"]
    assert original.status == DagsterRunStatus.FAILURE
    assert "terminated by signal 9 (SIGKILL)" in d.messages(original.run_id)
    assert [r.status for r in retries] == [DagsterRunStatus.SUCCESS], runs
    retry = retries[0]
    assert retry.tags[PARENT_RUN_TAG] == original.run_id
    assert retry.tags[RETRY_NUMBER_TAG] == "1"
    assert d.started("crash", attempt=1)["pid"] != first["pid"]


def test_run_over_its_max_runtime_is_stopped(deployment: Deployment) -> None:
    d = deployment
    d.quiet()
    # No retry: whether an overrun deserves one is the failure taxonomy's call.
    d.request(("overtime", "overtime", {MAX_RUNTIME_TAG: "3", **NO_RETRY}))
    worker = d.started("overtime")
    (run,) = d.settled("overtime", timeout=90)
    # Monitoring asks the worker to stop, then marks the run failed; the interrupted
    # worker may record the cancellation first. Either way it ends, with the reason.
    assert run.status in (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)
    assert "exceeding maximum runtime of 3 seconds" in d.messages(run.run_id)
    record = d.instance.get_run_record_by_id(run.run_id)
    assert record and record.start_time and record.end_time
    assert record.end_time - record.start_time >= 3
    wait_for(lambda: not running(worker["pid"]), 30, "the overrunning worker to stop")


@pytest.mark.heavy  # waits out a heartbeat age (over 30 s) and a daemon restart: ~80 s
def test_health_names_a_dead_daemon_and_a_render_outlives_it(deployment: Deployment) -> None:
    d = deployment
    d.quiet()
    d.request(("survivor", "survivor", {}))
    worker = d.started("survivor")

    status, report = wait_for(
        lambda: (answer := d.health())[0] == 200 and answer, 60, "/health to answer 200"
    )
    assert report["healthy"] is True and report["problems"] == []
    # every daemon the instance requires (also ASSET and FRESHNESS_DAEMON, on by default)
    assert set(report["checks"]["daemons"]) == set(d.instance.get_required_daemon_types())
    assert set(report["checks"]["daemons"]) >= RELIED_ON_DAEMONS
    assert all(c["status"] == "ok" for c in report["checks"]["daemons"].values())
    for storage in ("event_storage", "run_storage", "event_log_storage"):
        assert report["checks"][storage] == {"status": "ok"}

    kill9([d.daemon.pid])
    d.daemon.wait(10)

    def all_stale() -> dict[str, Any] | None:
        status, report = d.health()
        daemons = report["checks"]["daemons"]
        return report if all(c["status"] == "stale" for c in daemons.values()) else None

    report = wait_for(all_stale, HEARTBEAT_MAX_AGE_S + 30, "every daemon to be stale")
    assert d.health()[0] == 503 and report["healthy"] is False
    for daemon, check in report["checks"]["daemons"].items():
        assert check["age_s"] > HEARTBEAT_MAX_AGE_S
        assert any(p.startswith(f"daemon {daemon}: stale") for p in report["problems"])
    # The run went on under the code server the dead daemon had started.
    assert running(worker["pid"])
    assert d.run("survivor").status == DagsterRunStatus.STARTED

    d.daemon = d.service.daemon(d.env, d.workspace)
    wait_for(lambda: d.health()[0] == 200, 90, "/health to be 200 after the restart")
    d.release("survivor")
    runs = d.settled("survivor")
    assert [r.status for r in runs] == [DagsterRunStatus.SUCCESS]


def test_dead_worker_and_code_server_are_failed_by_run_monitoring(
    deployment: Deployment,
) -> None:
    """With its code server gone too, nothing but run monitoring can end the run."""
    d = deployment
    d.quiet()
    d.request(("orphan", "orphan", {MAX_RUNTIME_TAG: "3", **NO_RETRY}))
    worker = d.started("orphan")
    kill9([worker["code_server_pid"]])
    wait_for(lambda: not running(worker["code_server_pid"]), 30, "the code server to die")
    kill9([worker["pid"]])
    (run,) = d.settled("orphan", timeout=90)
    assert run.status == DagsterRunStatus.FAILURE
    text = d.messages(run.run_id)
    assert "maximum runtime of 3 seconds" in text
    assert "Exception while attempting to terminate run" in text  # its code server is gone
    assert "terminated by signal" not in text  # no code server saw the worker die
    failure = d.instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.RUN_FAILURE
    ).records
    assert failure and failure[-1].event_log_entry.message


def test_no_dagster_deprecation_in_the_service_logs(deployment: Deployment) -> None:
    """The project's dagster.yaml and code trigger no Dagster deprecation in the processes."""
    for log in sorted(deployment.service.logs.glob("*.log")):
        found = [line for line in log.read_text(errors="replace").splitlines()
                 if DAGSTER_WARNING.search(line)]  # fmt: skip
        assert not found, f"{log.name}: {found[:3]}"
