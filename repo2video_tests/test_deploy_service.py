"""The Docker deployment as separate processes: PostgreSQL storage, every run in its own "container".

The services of deploy/compose.yaml run as local processes with the compose commands
and environment (``docker-compose config``), deploy/dagster.yaml and deploy/workspace.yaml
(:mod:`repo2video_devtools.deploy.stack`): the code location's gRPC server, the
webserver, the daemon and the webhook receiver, against a throw-away database on a real
PostgreSQL server. The daemon launches runs with dagster_docker's ``DockerRunLauncher``,
through docker-py, on a loopback Docker engine that runs each container's command as a
local process (:mod:`repo2video_devtools.deploy.docker_engine`). Only run monitoring's
poll interval is shortened (30 s -> 5 s).

- A signed delivery becomes a run that succeeds in its own container (image, network,
  volume and variables as configured), ``/jobs/<delivery>`` answers from PostgreSQL run
  storage, and the UI's GraphQL endpoint lists the run.
- ``kill -9`` of the daemon and of the code server while a run renders: the run still
  ends SUCCESS; a delivery accepted while both were down gets its run once they are back.
- The container of a run dies (``docker kill``): run monitoring fails the run with the
  container's state, run retries start a new container, and the render succeeds.

No secret reaches a log, the data volume or any table. Run by ``make check-deploy``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from repo2video_dagster.lib.render.media import video_info
from repo2video_dagster.receiver.eventlog import EventLog
from repo2video_devtools.deploy import DEPLOY_CHECKS_ENV
from repo2video_devtools.deploy.postgres import DatabaseAddress, PostgresServer, server_for_tests
from repo2video_devtools.deploy.stack import DeployStack
from repo2video_devtools.reliability import repos
from repo2video_devtools.reliability.checks import find_leaks
from repo2video_devtools.reliability.procs import request, wait_for
from repo2video_devtools.reliability.service import RENDER_STEPS, SECRETS, Runs, deliver_star

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get(DEPLOY_CHECKS_ENV),
        reason=f"multi-process deployment check: make check-deploy (or {DEPLOY_CHECKS_ENV}=1)",
    ),
]

MONITORING = {"run_monitoring": {"poll_interval_seconds": 5}}
RENDER_TIMEOUT_S = 900


@dataclass
class Deployment:
    stack: DeployStack
    runs: Runs
    server: PostgresServer
    db: DatabaseAddress

    @property
    def port(self) -> int:
        return self.stack.webhook_port

    def job(self, delivery: str) -> dict[str, Any]:
        status, job = request(self.port, "GET", f"/jobs/{delivery}")
        assert status in (200, 404), job
        return job if status == 200 else {}

    def rendering(self, delivery: str) -> Any | None:
        """The delivery's first run once it has started a render step."""
        run = self.runs.original(delivery)
        if run is not None and RENDER_STEPS & self.runs.steps_started(run.run_id):
            return run
        return None


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    from dagster import DagsterInstance

    work = tmp_path_factory.mktemp("deploy")
    settings = {**SECRETS, "REPO2VIDEO_ALLOW_LOCAL": "1", "REPO2VIDEO_FORMATS": "reel"}
    with server_for_tests() as server, server.database() as db:
        stack = DeployStack(work, db, settings, MONITORING)
        try:
            stack.start_all()
            # This process reads the same instance: it needs the variables its config names.
            with pytest.MonkeyPatch.context() as patch:
                for key, value in stack.env("daemon").items():
                    if key.startswith(("DAGSTER_POSTGRES_", "REPO2VIDEO_MAX_CONCURRENT")):
                        patch.setenv(key, value)
                with DagsterInstance.from_config(str(stack.home)) as instance:
                    yield Deployment(stack, Runs(instance), server, db)
        finally:
            stack.stop()


def test_signed_delivery_runs_in_its_own_container_on_postgres(deployment: Deployment) -> None:
    from dagster_postgres import PostgresRunStorage

    stack, runs = deployment.stack, deployment.runs
    repo = repos.tiny_repo(stack.work / "wordle-solver")
    delivery = deliver_star(deployment.port, repo)
    done = wait_for(
        lambda: (j := deployment.job(delivery)).get("status") in ("success", "failure") and j,
        RENDER_TIMEOUT_S,
        "the run to finish",
        stack.tails,
        interval=2,
    )
    assert done["status"] == "success", done
    run_id = done["run_id"]

    # /jobs answered from PostgreSQL run storage, where the run is.
    assert isinstance(runs.instance.run_storage, PostgresRunStorage)
    run = runs.instance.get_run_by_id(run_id)
    assert run is not None and run.status.value == "SUCCESS"
    # The UI lists it (GraphQL, as the Runs page asks).
    assert {r["runId"]: r["status"] for r in stack.ui_runs()}.get(run_id) == "SUCCESS"

    # Launched by DockerRunLauncher: its own container of the code location's image, on
    # the compose network, with the data volume and the variables passed by name.
    engine = stack.engine
    assert engine is not None and engine.unknown == []
    [container] = engine.by_label("dagster/run_id", run_id)
    assert run.tags["docker/container_id"] == container.id
    assert container.image == stack.image
    assert container.command[:3] == ["dagster", "api", "execute_run"]
    assert container.networks == [stack.network]
    assert f"{stack.data_volume}:/data" in container.host_config["Binds"]
    given = dict(item.split("=", 1) for item in container.create_env)
    daemon_env = stack.env("daemon")
    assert given["DAGSTER_POSTGRES_PASSWORD"] == daemon_env["DAGSTER_POSTGRES_PASSWORD"]
    assert given["REPO2VIDEO_LLM_API_KEY"] == SECRETS["REPO2VIDEO_LLM_API_KEY"]
    assert given["REPO2VIDEO_ALLOW_LOCAL"] == "1"
    assert "REPO2VIDEO_WEBHOOK_SECRET" not in given  # only the receiver holds it

    # /jobs shows output paths relative to the data directory (the shared volume)
    shown = Path(_find(done["result"], "reel_path"))
    assert not shown.is_absolute()
    reel = stack.data_dir / shown
    info = video_info(reel)
    assert (info.width, info.height, info.vcodec) == (1080, 1920, "h264")

    # The delivery is in the event table in PostgreSQL, mapped to its run.
    log = EventLog(deployment.db.url, create=False)
    try:
        assert log.get(delivery).run_key == delivery
    finally:
        log.close()
    # The compose health checks pass: liveness of the daemon, the UI, the receiver's /health.
    for name in ("daemon", "webserver", "receiver", "code-location"):
        assert stack.healthcheck(name), f"the {name} health check failed"


def test_runs_survive_kill_9_of_daemon_and_code_server_and_a_dead_container_is_retried(
    deployment: Deployment,
) -> None:
    stack, runs = deployment.stack, deployment.runs
    engine = stack.engine
    assert engine is not None
    first = deliver_star(deployment.port, repos.tiny_repo(stack.work / "first"))
    run_first = wait_for(
        lambda: deployment.rendering(first),
        RENDER_TIMEOUT_S,
        "the first run to render",
        stack.tails,
    )

    # Both die mid-run; the receiver still accepts (the event table is all it needs).
    stack.kill9("daemon")
    stack.kill9("code-location")
    second = deliver_star(deployment.port, repos.tiny_repo(stack.work / "second"))
    time.sleep(3)
    stack.start("daemon", wait=False)  # before its code location is back, as a restart may be
    time.sleep(5)
    stack.start("code-location")

    settled = wait_for(
        lambda: runs.settled(first), RENDER_TIMEOUT_S, "the first run to finish", stack.tails
    )
    assert settled[-1].status.value == "SUCCESS", [r.status.value for r in settled]
    if len(settled) == 1:  # it rendered through: its container ran to the end
        [container] = engine.by_label("dagster/run_id", run_first.run_id)
        assert container.done.wait(120), "the run's container did not exit after the run"
        assert container.exit_code == 0

    # The delivery accepted while the daemon and the code server were down got its run.
    run_second = wait_for(
        lambda: deployment.rendering(second),
        RENDER_TIMEOUT_S,
        "the second delivery's run to render",
        stack.tails,
    )
    [killed_container] = engine.by_label("dagster/run_id", run_second.run_id)
    engine.kill(killed_container.id)  # the container dies (docker kill, OOM, host reboot)

    final = wait_for(
        lambda: runs.settled(second), RENDER_TIMEOUT_S, "the retry to finish", stack.tails
    )
    statuses = [(r.run_id[:8], r.status.value) for r in final]
    killed = next(r for r in final if r.run_id == run_second.run_id)
    assert killed.status.value == "FAILURE", statuses
    reason = runs.failure_reason(killed.run_id)
    assert "Container status is exited" in reason and '"ExitCode": 137' in reason, reason
    retry = final[-1]
    assert retry.status.value == "SUCCESS", statuses
    assert retry.tags.get("dagster/parent_run_id") == killed.run_id
    [retry_container] = engine.by_label("dagster/run_id", retry.run_id)
    assert retry_container.id != killed_container.id
    assert retry_container.done.wait(120) and retry_container.exit_code == 0

    for delivery in (first, second):
        assert deployment.job(delivery)["status"] == "success", delivery
    assert runs.in_progress() == []

    # No secret in any log, on the data volume or in any table.
    needles = [*SECRETS.values(), stack.env("daemon")["DAGSTER_POSTGRES_PASSWORD"]]
    roots = [stack.home, stack.data_dir, stack.work / "logs", engine.workdir]
    assert find_leaks(roots, [n.encode() for n in needles]) == []
    assert deployment.server.tables_containing(deployment.db.name, needles) == []


def _find(tree: Any, name: str) -> Any:
    """The value of key ``name`` anywhere in a nested result."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if name in item:
                return item[name]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise KeyError(name)
