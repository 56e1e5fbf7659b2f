"""The receiver under load, from a second process, and ``kill -9`` of the receiver mid-load.

``repo2video webhook serve`` runs as a real process on a temp instance; the load
generator (:mod:`repo2video_devtools.reliability.load`) runs as another. Afterwards the
event log is read back and the real ``github_events_sensor`` is evaluated against the
instance until it has read everything, so "accepted" is checked all the way to
"visible to the sensor".
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repo2video_devtools.reliability import load
from repo2video_devtools.reliability.procs import Service, instance_home, service_env

SECRET = "r2v-load-secret-0b7e"


@dataclass
class Sweep:
    """What the sensor made of the event log: run keys requested, rows it never mapped."""

    run_keys: list[str]
    unmapped: list[str]
    rows: int
    ticks: int
    cursor: str | None


@dataclass
class LoadReport:
    rate: float
    sent: int
    errors: int
    p50_ms: float
    p99_ms: float
    lost: int
    """Answered 202 but not in the event log."""
    invisible: int
    """In the event log but never mapped to a run by the sensor."""
    duplicate_runs: int
    seconds: float
    detail: str = ""
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return (
            self.errors == 0 and self.lost == 0 and self.invisible == 0 and not self.duplicate_runs
        )


@dataclass
class KillResult:
    name: str
    passed: bool
    detail: str
    seconds: float

    def line(self) -> str:
        return f"{'ok  ' if self.passed else 'FAIL'} kill: {self.name:<30} {self.seconds:6.1f}s  {self.detail}"


def sensor_sweep(
    home: Path, data_dir: Path, cursor: str | None = None, events_url: str | None = None
) -> Sweep:
    """Evaluate the real sensor against the instance until it has read every row.

    Partition requests are applied as the daemon would; runs are not launched (this
    checks delivery visibility, not rendering).
    """
    from dagster import DagsterInstance, build_sensor_context

    from repo2video_dagster.receiver.event_storage import default_events_url
    from repo2video_dagster.receiver.eventlog import EventLog
    from repo2video_dagster.resources import StorageResource
    from repo2video_dagster.sensors.github_events import build_github_events_sensor

    storage = StorageResource(data_dir=str(data_dir))
    sensor = build_github_events_sensor(events_url=events_url)
    run_keys: list[str] = []
    ticks = 0
    with DagsterInstance.from_config(str(home)) as instance:
        while True:
            ticks += 1
            with build_sensor_context(
                instance=instance, cursor=cursor, resources={"storage": storage}
            ) as context:
                result = sensor(context)
            for req in result.dynamic_partitions_requests or []:
                instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
            run_keys += [r.run_key for r in result.run_requests or []]
            moved = result.cursor != cursor
            cursor = result.cursor
            if not result.run_requests and not moved:
                break
            if ticks > 10_000:
                raise RuntimeError("the sensor never caught up")
        log = EventLog(events_url or default_events_url(home), create=False)
        try:
            rows = log.read_since(0, 10**7)
        finally:
            log.close()
    unmapped = [r.delivery_id for r in rows if r.run_key is None]
    return Sweep(run_keys, unmapped, len(rows), ticks, cursor)


def logged_ids(home: Path, events_url: str | None = None) -> set[str]:
    from repo2video_dagster.receiver.event_storage import default_events_url
    from repo2video_dagster.receiver.eventlog import EventLog

    log = EventLog(events_url or default_events_url(home), create=False)
    try:
        return {r.delivery_id for r in log.read_since(0, 10**7)}
    finally:
        log.close()


def _generator(
    port: int,
    out: Path,
    env: dict[str, str],
    *,
    rate: float,
    seconds: float,
    seed: int,
    replay: Iterable[int] | None = None,
) -> subprocess.Popen[bytes]:
    args = [
        sys.executable, "-m", "repo2video_devtools.reliability.load",
        "--port", str(port), "--rate", str(rate), "--seconds", str(seconds),
        "--seed", str(seed), "--out", str(out),
    ]  # fmt: skip
    if replay is not None:
        indices = out.with_suffix(".replay.json")
        indices.write_text(json.dumps(sorted(replay)), encoding="utf-8")
        args += ["--replay", str(indices)]
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )


def _finish(proc: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {err.decode(errors='replace')[-2000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


def _setup(work: Path, events_url: str | None = None) -> tuple[Path, Path, dict[str, str]]:
    """A fresh instance; the event table in its SQLite file, or at ``events_url``."""
    home = instance_home(work / "home")
    data_dir = work / "var"
    env = service_env(home, data_dir, REPO2VIDEO_WEBHOOK_SECRET=SECRET)
    env.pop("REPO2VIDEO_EVENTS_URL", None)
    if events_url:
        env["REPO2VIDEO_EVENTS_URL"] = events_url
    return home, data_dir, env


def load_test(
    work: Path,
    *,
    rate: float = 200,
    seconds: float = 60,
    seed: int = 7,
    events_url: str | None = None,
) -> LoadReport:
    """``rate`` deliveries/s for ``seconds`` against a real receiver: 0 errors, 0 lost.

    ``events_url``: the event table elsewhere than the instance's SQLite file (PostgreSQL).
    """
    work.mkdir(parents=True, exist_ok=True)
    home, data_dir, env = _setup(work, events_url)
    service = Service(work / "logs")
    started = time.monotonic()
    try:
        _, port = service.receiver(env)
        gen = _generator(port, work / "load.jsonl", env, rate=rate, seconds=seconds, seed=seed)
        summary = _finish(gen, seconds * 3 + 120)
    finally:
        service.stop()
    records = load.read_records(work / "load.jsonl")
    errors = [r for r in records if r["status"] not in (200, 202)]
    wrong = [
        r
        for r in records
        if r["status"] in (200, 202) and (r["status"] == 202) != (r["expect"] == "accept")
    ]
    accepted = {r["id"] for r in records if r["status"] == 202}
    lost = accepted - logged_ids(home, events_url)
    sweep = sensor_sweep(home, data_dir, events_url=events_url)
    duplicate_runs = len(sweep.run_keys) - len(set(sweep.run_keys))
    detail = (
        f"{summary['sent']} sent at {summary['rate']} req/s, {len(accepted)} accepted, "
        f"statuses {summary['statuses']}, max lag {summary['max_lag_ms']} ms; "
        f"sensor: {sweep.rows} rows in {sweep.ticks} ticks -> {len(sweep.run_keys)} run requests"
    )
    if wrong:
        detail += f"; {len(wrong)} answered against their kind, e.g. {wrong[0]}"
    return LoadReport(
        rate=summary["rate"],
        sent=summary["sent"],
        errors=len(errors) + len(wrong),
        p50_ms=summary["p50_ms"] or 0.0,
        p99_ms=summary["p99_ms"] or 0.0,
        lost=len(lost),
        invisible=len(sweep.unmapped),
        duplicate_runs=duplicate_runs,
        seconds=round(time.monotonic() - started, 1),
        detail=detail,
        summary=summary,
    )


def receiver_kill_test(
    work: Path, *, rate: float = 200, seconds: float = 20, kill_after_s: float = 8, seed: int = 11
) -> KillResult:
    """kill -9 the receiver mid-load, restart it, redeliver what got no answer.

    Passes when every delivery answered 202 is in the log, every redelivery of an
    unanswered delivery is then recorded (or found already recorded), redeliveries of
    answered ones are refused as duplicates, and the sensor requests no second run
    for any of them.
    """
    work.mkdir(parents=True, exist_ok=True)
    home, data_dir, env = _setup(work)
    service = Service(work / "logs")
    started = time.monotonic()
    problems: list[str] = []
    try:
        receiver, port = service.receiver(env)
        gen = _generator(port, work / "kill.jsonl", env, rate=rate, seconds=seconds, seed=seed)
        time.sleep(kill_after_s)  # the point: the kill lands mid-load, kill_after_s into it
        os.kill(receiver.pid, signal.SIGKILL)
        receiver.wait(10)
        killed_at = time.time()
        # The same port: the load generator keeps sending there (a restarted service
        # keeps its address).
        service.receiver(env, port)
        restarted_at = time.time()
        _finish(gen, seconds * 3 + 120)
        records = load.read_records(work / "kill.jsonl")
        accepted = {r["id"] for r in records if r["status"] == 202}
        unanswered = [r for r in records if r["status"] is None]
        other = [r for r in records if r["status"] not in (None, 200, 202)]
        lost = accepted - logged_ids(home)
        if lost:
            problems.append(f"{len(lost)} deliveries answered 202 are not in the log")
        if other:
            problems.append(f"{len(other)} answered with errors, e.g. {other[0]}")
        if not unanswered:
            problems.append("the kill interrupted nothing (no unanswered deliveries)")
        first = sensor_sweep(home, data_dir)
        rng = random.Random(seed)
        answered_sample = rng.sample(sorted(r["i"] for r in records if r["status"] == 202), 100)
        replay = [r["i"] for r in unanswered] + answered_sample
        regen = _generator(
            port, work / "replay.jsonl", env, rate=rate, seconds=seconds, seed=seed, replay=replay
        )
        _finish(regen, 120)
        replayed = {r["i"]: r for r in load.read_records(work / "replay.jsonl")}
        bad_dups = [i for i in answered_sample if replayed[i]["status"] != 200]
        if bad_dups:
            problems.append(
                f"{len(bad_dups)} redeliveries of accepted deliveries were not duplicates"
            )
        failed = [r for r in replayed.values() if r["status"] not in (200, 202)]
        if failed:
            problems.append(f"{len(failed)} redeliveries failed, e.g. {failed[0]}")
        should_be_logged = {r["id"] for r in records if r["expect"] == "accept"}
        missing = should_be_logged - logged_ids(home)
        if missing:
            problems.append(f"{len(missing)} deliveries never made it into the log")
        second = sensor_sweep(home, data_dir, cursor=first.cursor)
        all_keys = first.run_keys + second.run_keys
        if len(all_keys) != len(set(all_keys)):
            problems.append(f"{len(all_keys) - len(set(all_keys))} run keys requested twice")
        if second.unmapped:
            problems.append(f"{len(second.unmapped)} rows never read by the sensor")
        unanswered_ids = {r["i"] for r in unanswered}
        again = [replayed[i] for i in unanswered_ids]
        recorded_now = sum(1 for r in again if r["status"] == 202)
        already = sum(1 for r in again if r["answer"] == "duplicate")
        detail = (
            f"{len(records)} sent, killed at {kill_after_s:.0f} s, back after "
            f"{restarted_at - killed_at:.1f} s; {len(accepted)} answered 202, all in the log; "
            f"{len(unanswered)} unanswered redelivered ({recorded_now} recorded now, "
            f"{already} had been recorded before the kill, "
            f"{len(again) - recorded_now - already} ignored kinds); "
            f"{len(answered_sample)} answered redelivered -> duplicate; "
            f"{len(set(all_keys))} runs requested, none twice"
        )
    except Exception as exc:  # a broken harness is a failed kill test, with the reason
        problems.append(f"{type(exc).__name__}: {exc}"[:500])
        detail = ""
    finally:
        service.stop()
    return KillResult(
        "receiver under load",
        not problems,
        "; ".join(problems) if problems else detail,
        round(time.monotonic() - started, 1),
    )
