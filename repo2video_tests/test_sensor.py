"""github_events_sensor evaluated against real temporary Dagster instances and event logs."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    Definitions,
    RunsFilter,
    SensorDefinition,
    SensorResult,
    asset,
    build_sensor_context,
    define_asset_job,
    instance_for_test,
    partition_loading_context,
)
from sqlalchemy import insert

from repo2video_dagster.lib.core.registry import SourceRegistry
from repo2video_dagster.partitions import (
    RENDER_JOB_NAME,
    REPOSITORIES_PARTITIONS_NAME,
    repositories_partitions,
)
from repo2video_dagster.receiver.app import create_app
from repo2video_dagster.receiver.event_storage import EVENTS_URL_ENV, sqlite_url
from repo2video_dagster.receiver.eventlog import EventLog, NewEvent, events_table
from repo2video_dagster.resources import StorageResource
from repo2video_dagster.run_tags import (
    TAG_COMMIT,
    TAG_DELIVERY,
    TAG_EVENT,
    TAG_REPO,
    TAG_TRIGGER,
)
from repo2video_dagster.sensors.github_events import (
    build_github_events_sensor,
    github_events_sensor,
)
from repo2video_devtools.reliability.procs import wait_for
from repo2video_tests.loopback import github_headers, http_json, managed_process, serve_app


@asset(partitions_def=repositories_partitions)
def video() -> int:
    return 1


render_job = define_asset_job(RENDER_JOB_NAME, selection=[video])


def event(delivery: str, repo: str, *, commit: str | None = None, kind: str = "star") -> NewEvent:
    owner, name = repo.split("/")
    return NewEvent(
        delivery_id=delivery,
        event=kind,
        action="created" if kind == "star" else None,
        repo_full_name=repo,
        repo_url=f"https://github.com/{repo}",
        partition_key=f"{owner}__{name}".lower(),
        commit_sha=commit,
        reason=kind,
    )


@dataclass
class SensorUnderTest:
    """A sensor and the resources the daemon would give it (from Definitions)."""

    definition: SensorDefinition
    resources: dict[str, object]


def sensor_under_test(tmp_path: Path, **options) -> SensorUnderTest:
    storage = StorageResource(data_dir=str(tmp_path / "var"))
    return SensorUnderTest(build_github_events_sensor(**options), {"storage": storage})


@pytest.fixture
def sensor_def(eventlog: EventLog, tmp_path: Path) -> SensorUnderTest:
    return sensor_under_test(tmp_path, events_url=eventlog.url)


def tick(sensor: SensorUnderTest, instance: DagsterInstance, cursor: str | None) -> SensorResult:
    """Evaluate once, then apply the partition requests as the daemon would."""
    with build_sensor_context(
        instance=instance, cursor=cursor, resources=sensor.resources
    ) as context:
        result = sensor.definition(context)
    assert isinstance(result, SensorResult)
    for req in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
    return result


def test_definition() -> None:
    assert github_events_sensor.name == "github_events_sensor"
    assert github_events_sensor.job_name == RENDER_JOB_NAME
    assert github_events_sensor.minimum_interval_seconds == 5
    assert github_events_sensor.default_status == DefaultSensorStatus.RUNNING


def test_first_tick_adds_partitions_and_requests_runs(
    sensor_def, instance: DagsterInstance, eventlog: EventLog, tmp_path: Path
) -> None:
    eventlog.append(event("d1", "Octo/Alpha"))
    eventlog.append(event("d2", "Octo/Beta", commit="b" * 40, kind="push"))
    result = tick(sensor_def, instance, None)

    [add] = result.dynamic_partitions_requests
    assert add.partitions_def_name == REPOSITORIES_PARTITIONS_NAME
    assert list(add.partition_keys) == ["octo__alpha", "octo__beta"]
    by_key = {r.run_key: r for r in result.run_requests}
    assert set(by_key) == {"d1", "d2"}
    assert by_key["d1"].partition_key == "octo__alpha"
    assert by_key["d1"].tags[TAG_DELIVERY] == "d1"
    assert by_key["d1"].tags[TAG_EVENT] == "star"
    assert by_key["d1"].tags[TAG_REPO] == "octo__alpha"
    assert by_key["d1"].tags[TAG_TRIGGER] == "webhook"
    assert TAG_COMMIT not in by_key["d1"].tags
    assert by_key["d2"].tags[TAG_COMMIT] == "b" * 40
    assert result.cursor == str(eventlog.max_id())
    registry = SourceRegistry(tmp_path / "var")
    assert registry.get("octo__alpha") == "https://github.com/Octo/Alpha"
    assert eventlog.get("d2").run_key == "d2"

    # Known repositories are not added again.
    eventlog.append(event("d3", "Octo/Alpha", commit="c" * 40))
    again = tick(sensor_def, instance, result.cursor)
    assert again.dynamic_partitions_requests == []
    assert [r.run_key for r in again.run_requests] == ["d3"]


def test_cursor_dedupes_across_ticks(sensor_def, instance: DagsterInstance, eventlog) -> None:
    for i in range(3):
        eventlog.append(event(f"d{i}", f"Octo/R{i}"))
    first = tick(sensor_def, instance, None)
    assert len(first.run_requests) == 3
    second = tick(sensor_def, instance, first.cursor)
    assert second.run_requests == [] and second.cursor == first.cursor
    assert second.skip_reason is not None
    # A tick evaluated again from the old cursor (daemon lost the result) asks for the
    # same run keys, which the daemon drops as already launched.
    replay = tick(sensor_def, instance, None)
    assert sorted(r.run_key for r in replay.run_requests) == ["d0", "d1", "d2"]


def test_same_repo_and_commit_coalesce(sensor_def, instance: DagsterInstance, eventlog) -> None:
    for i in range(4):
        eventlog.append(event(f"s{i}", "Octo/Alpha"))
    eventlog.append(event("p1", "Octo/Alpha", commit="a" * 40, kind="push"))
    eventlog.append(event("p2", "Octo/Alpha", commit="a" * 40, kind="push"))
    eventlog.append(event("p3", "Octo/Alpha", commit="f" * 40, kind="push"))
    result = tick(sensor_def, instance, None)
    assert sorted(r.run_key for r in result.run_requests) == ["p1", "p3", "s0"]
    assert {eventlog.get(f"s{i}").run_key for i in range(4)} == {"s0"}
    assert eventlog.get("p2").run_key == "p1"
    assert eventlog.deliveries_for_run_key("s0") == ["s0", "s1", "s2", "s3"]
    s0 = next(r for r in result.run_requests if r.run_key == "s0")
    assert s0.tags["repo2video/coalesced"] == "4"


def test_queued_webhook_run_absorbs_later_deliveries(
    sensor_def, instance: DagsterInstance, eventlog
) -> None:
    eventlog.append(event("first", "Octo/Alpha"))
    result = tick(sensor_def, instance, None)
    [req] = result.run_requests
    job_def = Definitions(assets=[video], jobs=[render_job]).resolve_job_def(RENDER_JOB_NAME)
    # NOT_STARTED: created but not launched (QUEUED needs a code-location origin; the
    # daemon end-to-end test below covers real QUEUED runs).
    instance.create_run_for_job(
        job_def,
        status=DagsterRunStatus.NOT_STARTED,
        tags={**req.tags, "dagster/partition": req.partition_key},
    )
    eventlog.append(event("second", "Octo/Alpha"))
    eventlog.append(event("other-commit", "Octo/Alpha", commit="e" * 40, kind="push"))
    later = tick(sensor_def, instance, result.cursor)
    assert [r.run_key for r in later.run_requests] == ["other-commit"]
    assert eventlog.get("second").run_key == "first"


def test_late_committed_row_below_cursor_is_picked_up(
    sensor_def, instance: DagsterInstance, eventlog
) -> None:
    # Another writer allocated id 50 before id 100 but committed after it.
    def raw_insert(row_id: int, delivery: str) -> None:
        with eventlog.engine.begin() as conn:
            conn.execute(
                insert(events_table), [{**event(delivery, "Octo/Late").row(), "id": row_id}]
            )

    raw_insert(100, "early-commit")
    first = tick(sensor_def, instance, None)
    assert first.cursor == "100"
    raw_insert(50, "late-commit")
    second = tick(sensor_def, instance, first.cursor)
    assert [r.run_key for r in second.run_requests] == ["late-commit"]
    assert second.cursor == "100"
    assert tick(sensor_def, instance, second.cursor).run_requests == []


def test_backlog_of_10000_is_chunked(
    instance: DagsterInstance, eventlog: EventLog, tmp_path: Path
) -> None:
    sensor_def = sensor_under_test(tmp_path, events_url=eventlog.url, chunk_size=500)
    futures = [eventlog.submit(event(f"b{i}", f"Org/Repo{i % 2500}")) for i in range(10_000)]
    for f in futures:
        f.result(60)
    cursor, ticks, requested, slowest = None, 0, set(), 0.0
    while True:
        start = time.perf_counter()
        result = tick(sensor_def, instance, cursor)
        slowest = max(slowest, time.perf_counter() - start)
        if not result.run_requests:
            break
        ticks += 1
        assert int(result.cursor) > int(cursor or 0)
        assert len(result.run_requests) <= 500
        requested.update(r.run_key for r in result.run_requests)
        cursor = result.cursor
    print(f"\n10,000 deliveries: {ticks} ticks, slowest tick {slowest:.2f} s")
    assert ticks == 20
    assert slowest < 15  # the sensor timeout is 60 s
    assert len(instance.get_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME)) == 2500
    assert eventlog.pending_count() == 0
    # Each chunk holds 500 consecutive deliveries of distinct repositories, so no coalescing.
    assert len(requested) == 10_000


def test_run_requests_resolve_like_the_daemon(eventlog: EventLog, tmp_path: Path) -> None:
    sensor_def = build_github_events_sensor(events_url=eventlog.url)
    storage = StorageResource(data_dir=str(tmp_path / "var"))
    defs = Definitions(
        assets=[video], jobs=[render_job], sensors=[sensor_def], resources={"storage": storage}
    )
    eventlog.append(event("d1", "Octo/Alpha"))
    # As the daemon does: an instance ref, so the new partitions are seen while resolving,
    # and the top-level resources the sensor asks for. The context is closed after the
    # tick, so the instance it opens from the ref does not outlive the test.
    with (
        instance_for_test() as instance,
        build_sensor_context(
            instance_ref=instance.get_ref(), definitions=defs, resources={"storage": storage}
        ) as context,
        partition_loading_context(dynamic_partitions_store=instance),
    ):
        data = sensor_def.evaluate_tick(context)
    [req] = data.run_requests
    assert req.partition_key == "octo__alpha"
    assert req.tags["dagster/partition"] == "octo__alpha"
    assert req.tags[TAG_DELIVERY] == "d1"


def test_default_sensor_reads_the_instance_home(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv(EVENTS_URL_ENV, raising=False)
    monkeypatch.setenv("REPO2VIDEO_DATA_DIR", str(tmp_path / "data"))
    with instance_for_test() as instance:
        log = EventLog(sqlite_url(Path(instance.root_directory) / "repo2video_events.db"))
        try:
            log.append(event("home-1", "Octo/Home"))
            with build_sensor_context(
                instance=instance, resources={"storage": StorageResource()}
            ) as context:
                result = github_events_sensor(context)
        finally:
            log.close()
    assert [r.run_key for r in result.run_requests] == ["home-1"]
    assert SourceRegistry(tmp_path / "data").get("octo__home") == "https://github.com/Octo/Home"


# ---- end to end: receiver -> event log -> real dagster-daemon -> runs --------------

_DEFS = """
from dagster import Definitions, asset, define_asset_job
from repo2video_dagster.partitions import RENDER_JOB_NAME, repositories_partitions
from repo2video_dagster.resources import StorageResource
from repo2video_dagster.sensors.github_events import build_github_events_sensor

@asset(partitions_def=repositories_partitions)
def video():
    return 1

defs = Definitions(
    assets=[video],
    jobs=[define_asset_job(RENDER_JOB_NAME, selection=[video])],
    sensors=[build_github_events_sensor(minimum_interval_seconds=1)],
    resources={"storage": StorageResource()},
)
"""

_INSTANCE_YAML = """
telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 0
"""


def daemon(home: Path, workspace: Path, env: dict[str, str]):
    return managed_process(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", str(workspace)],
        env,
        home / "daemon.log",
        home,
    )


FIXTURES = Path(__file__).parent / "fixtures" / "github"
SECRET = "e2e-secret"


def deliver(port: int, event_name: str, fixture: str) -> tuple[int, dict]:
    """POST a real payload, signed, as GitHub would."""
    body = (FIXTURES / f"{fixture}.payload.json").read_bytes()
    headers = github_headers(event_name, str(uuid.uuid4()), body, SECRET)
    return http_json(port, "POST", "/webhook", body, headers)


def _ticks_since(instance: DagsterInstance, sensor: str, since: float) -> int:
    """Finished ticks of ``sensor`` that began after ``since``."""
    states = [s for s in instance.all_instigator_state() if s.name == sensor]
    ticks = [
        tick
        for state in states
        for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id, after=since)
    ]
    return sum(1 for tick in ticks if tick.status.value in ("SKIPPED", "SUCCESS"))


@pytest.mark.slow
def test_webhook_to_queued_runs_through_the_real_daemon(tmp_path: Path) -> None:
    """Signed deliveries -> receiver -> event log -> dagster-daemon sensor -> runs -> /jobs."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(_INSTANCE_YAML)
    (tmp_path / "defs.py").write_text(textwrap.dedent(_DEFS))
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(json.dumps({"load_from": [{"python_file": {"relative_path": "defs.py"}}]}))
    env = {**os.environ, "DAGSTER_HOME": str(home), "REPO2VIDEO_DATA_DIR": str(tmp_path / "var")}
    env.pop(EVENTS_URL_ENV, None)
    log = EventLog(sqlite_url(home / "repo2video_events.db"))
    try:
        with (
            DagsterInstance.from_config(str(home)) as instance,
            serve_app(create_app(eventlog=log, secret=SECRET, instance=instance)) as port,
        ):
            star1 = deliver(port, "star", "star.created")
            star2 = deliver(port, "star", "star.created")
            push = deliver(port, "push", "push.with-new-branch")
            created = deliver(port, "repository", "repository.created")
            assert [a[0] for a in (star1, star2, push, created)] == [202] * 4
            with daemon(home, workspace, env):
                tails = (home / "daemon.log").read_text
                wait_for(
                    lambda: (
                        len(instance.get_run_records(RunsFilter(tags={TAG_TRIGGER: "webhook"})))
                        >= 3
                    ),
                    180,
                    "the sensor to request 3 runs",
                    tails,
                )
                late = deliver(port, "watch", "watch.started")  # absorbed by the queued run
                assert late[0] == 202
                wait_for(
                    lambda: log.get(late[1]["delivery_id"]).run_key,
                    60,
                    "the sensor to read the late delivery",
                    tails,
                )
                read_at = time.time()
                # a further tick, after the one that read it, must not add a run
                wait_for(
                    lambda: _ticks_since(instance, "github_events_sensor", read_at),
                    60,
                    "another sensor tick",
                    tails,
                )
            runs = instance.get_run_records(RunsFilter(tags={TAG_TRIGGER: "webhook"}))
            assert sorted(r.dagster_run.tags[TAG_DELIVERY] for r in runs) == sorted(
                [star1[1]["delivery_id"], push[1]["delivery_id"], created[1]["delivery_id"]]
            )
            assert all(r.dagster_run.status == DagsterRunStatus.QUEUED for r in runs)
            partitions = sorted(r.dagster_run.tags["dagster/partition"] for r in runs)
            assert partitions == [
                "codertocat__hello-world",
                "codertocat__hello-world",
                "octocoders__hello-world",
            ]
            star_run = next(
                r for r in runs if r.dagster_run.tags[TAG_DELIVERY] == star1[1]["delivery_id"]
            )
            for answer in (star1, star2, late):
                status, job = http_json(port, "GET", f"/jobs/{answer[1]['delivery_id']}")
                assert status == 200
                assert job["status"] == "queued"
                assert job["run_id"] == star_run.dagster_run.run_id
            status, page = http_json(port, "GET", "/jobs?status=queued")
            assert status == 200 and len(page["jobs"]) == 3
            registry = SourceRegistry(tmp_path / "var")
            assert (
                registry.get("octocoders__hello-world")
                == "https://github.com/Octocoders/Hello-World"
            )
    finally:
        log.close()
