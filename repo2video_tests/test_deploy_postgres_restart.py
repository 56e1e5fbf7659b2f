"""PostgreSQL restarted under webhook load: refused while down, nothing acknowledged is lost.

The deployment's receiver, code location and daemon (deploy/compose.yaml commands and
deploy/dagster.yaml, :mod:`repo2video_devtools.deploy.stack`) run against a throw-away
PostgreSQL cluster this test owns (``scripts/postgres.sh``; the machine's shared server
is never stopped). A second process sends signed, mixed deliveries at a fixed rate;
meanwhile the server is stopped with ``pg_ctl stop -m immediate`` (a crash: no
checkpoint, crash recovery on start) and started again on the same port.

- While it is down the receiver answers 503 (GitHub shows the delivery as failed and
  it can be redelivered), never 202 for an event it did not commit.
- Every delivery answered 202 is in the event table after the restart; the refused
  ones, redelivered, are recorded then; and every accepted delivery gets its run from
  the sensor (QUEUED: ``REPO2VIDEO_MAX_CONCURRENT_RUNS=0`` keeps the queue closed so no
  render starts), one run per run key.
- The receiver, the code server and the daemon all recover without a restart of their
  own: the daemon's heartbeat is fresh again (``/health`` 200).

Run by ``make check-deploy``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from repo2video_dagster.receiver.eventlog import EventLog
from repo2video_devtools.deploy import DEPLOY_CHECKS_ENV
from repo2video_devtools.deploy.postgres import own_cluster
from repo2video_devtools.deploy.stack import DeployStack
from repo2video_devtools.reliability import load
from repo2video_devtools.reliability.procs import request, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get(DEPLOY_CHECKS_ENV),
        reason=f"multi-process deployment check: make check-deploy (or {DEPLOY_CHECKS_ENV}=1)",
    ),
]

SECRET = "r2v-outage-secret-5d2c"
RATE, SECONDS, SEED = 20, 30, 23
OUTAGE_AT_S, OUTAGE_S = 6.0, 4.0
HEARTBEAT_ERROR_WINDOW_S = 300.0  # dagster._daemon.controller.DEFAULT_DAEMON_ERROR_INTERVAL_SECONDS
HEARTBEAT_INTERVAL_S = 30.0  # DEFAULT_HEARTBEAT_INTERVAL_SECONDS


def _generator(port: int, out: Path, replay: list[int] | None = None) -> subprocess.Popen[bytes]:
    """The load generator as its own process (the secret through the environment)."""
    args = [
        sys.executable, "-m", "repo2video_devtools.reliability.load",
        "--port", str(port), "--rate", str(RATE), "--seconds", str(SECONDS),
        "--seed", str(SEED), "--out", str(out),
    ]  # fmt: skip
    if replay is not None:
        indices = out.with_suffix(".indices.json")
        indices.write_text(json.dumps(replay), encoding="utf-8")
        args += ["--replay", str(indices)]
    env = {**os.environ, "REPO2VIDEO_WEBHOOK_SECRET": SECRET}
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=SECONDS * 3 + 120)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return json.loads(out.decode().strip().splitlines()[-1])


def test_postgres_restart_under_webhook_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import DagsterInstance, RunsFilter

    from repo2video_dagster.partitions import RENDER_JOB_NAME
    from repo2video_dagster.run_tags import TAG_DELIVERY

    server = own_cluster()
    try:
        with server.database() as db:
            settings = {"REPO2VIDEO_WEBHOOK_SECRET": SECRET, "REPO2VIDEO_MAX_CONCURRENT_RUNS": "0"}
            stack = DeployStack(tmp_path / "deploy", db, settings, with_docker_engine=False)
            try:
                stack.init_storage()
                stack.start("code-location")
                stack.start("daemon", wait=False)
                stack.start("receiver")
                port = stack.webhook_port

                gen = _generator(port, tmp_path / "load.jsonl")
                time.sleep(OUTAGE_AT_S)
                server.stop("immediate")
                down_at = time.time()
                time.sleep(OUTAGE_S)
                server.start()
                up_at = time.time()
                summary = _finish(gen)
                records = load.read_records(tmp_path / "load.jsonl")

                statuses = Counter(r["status"] for r in records)
                assert set(statuses) <= {200, 202, 503}, summary
                assert statuses[503] > 0, f"the outage refused nothing: {summary}"
                refused = [r for r in records if r["status"] == 503]
                assert all(down_at - 2 <= r["sent_at"] <= up_at + 10 for r in refused), (
                    "503 outside the outage"
                )
                late = [r for r in records if r["sent_at"] > up_at + 5]
                assert late and all(r["status"] in (200, 202) for r in late), (
                    "not recovered after the restart"
                )

                log = EventLog(db.url, create=False)
                try:
                    acked = {r["id"] for r in records if r["status"] == 202}
                    stored = {row.delivery_id for row in log.read_since(0, 10**6)}
                    assert sorted(acked - stored) == [], "answered 202 but not in the table"

                    # GitHub's "Redeliver" for each refused delivery: recorded now.
                    regen = _generator(port, tmp_path / "replay.jsonl", [r["i"] for r in refused])
                    _finish(regen)
                    replayed = load.read_records(tmp_path / "replay.jsonl")
                    assert {r["status"] for r in replayed} <= {200, 202}
                    accepted = {r["id"] for r in records if r["expect"] == "accept"}
                    stored = {row.delivery_id for row in log.read_since(0, 10**6)}
                    assert sorted(accepted - stored) == []

                    # Every accepted delivery gets its run (queued), one per run key. This
                    # process reads the instance too: it needs the variables its config names.
                    for key, value in stack.env("daemon").items():
                        if key.startswith(("DAGSTER_POSTGRES_", "REPO2VIDEO_MAX_CONCURRENT")):
                            monkeypatch.setenv(key, value)
                    with DagsterInstance.from_config(str(stack.home)) as instance:

                        def all_have_runs() -> dict[str, int] | None:
                            rows = log.read_since(0, 10**6)
                            if any(row.run_key is None for row in rows):
                                return None
                            runs = instance.get_run_records(RunsFilter(job_name=RENDER_JOB_NAME))
                            per_key = Counter(r.dagster_run.tags.get(TAG_DELIVERY) for r in runs)
                            wanted = {row.run_key for row in rows}
                            return per_key if wanted <= set(per_key) else None

                        per_key = wait_for(all_have_runs, 900, "every delivery's run", stack.tails)
                        assert max(per_key.values()) == 1, "a run key got two runs"
                        runs_at = time.time()
                finally:
                    log.close()

                last: list[object] = []

                def healthy() -> bool:
                    status, body = request(port, "GET", "/health", timeout=10)
                    last[:] = [status, body]
                    return status == 200

                # A daemon thread that hit the outage reports its error in every heartbeat
                # for Dagster's error window (5 min), and /health says "failing" meanwhile,
                # as the UI's daemon page does. Recovery means: healthy within that window
                # plus two heartbeat intervals after the restart, and no new errors since.
                recovered_by = up_at + HEARTBEAT_ERROR_WINDOW_S + 2 * HEARTBEAT_INTERVAL_S
                wait_for(
                    healthy,
                    max(60.0, recovered_by - time.time()),
                    "the daemon's heartbeat after the restart",
                    lambda: f"last /health answer: {last}\n{stack.tails()}",
                )
                healthy_at = time.time()
                for name, proc in stack.procs.items():
                    assert proc.poll() is None, f"{name} exited"
                print(
                    f"\n/health 200 again {healthy_at - up_at:.0f} s after the restart "
                    f"(runs waited for: {runs_at - up_at:.0f} s)"
                )
                print(
                    f"\nPostgreSQL down {up_at - down_at:.1f} s under {RATE} req/s: "
                    f"answers {dict(statuses)}; {len(acked)} acknowledged, all in the table; "
                    f"{len(refused)} refused and redelivered; {len(per_key)} runs for "
                    f"{len(accepted)} accepted deliveries, none twice"
                )
            finally:
                stack.stop()
    finally:
        server.destroy()
