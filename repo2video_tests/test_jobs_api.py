"""/jobs and /health against a temporary instance with real (tiny) partitioned runs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    DagsterInstance,
    Definitions,
    Failure,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
    asset_check,
    define_asset_job,
    instance_for_test,
)
from dagster._daemon.types import DaemonHeartbeat
from dagster._utils.error import SerializableErrorInfo

from repo2video_dagster.launch import result_failure, run_render, stored_failure
from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.partitions import (
    RENDER_JOB_NAME,
    REPOSITORIES_PARTITIONS_NAME,
    repositories_partitions,
)
from repo2video_dagster.receiver.app import create_app
from repo2video_dagster.receiver.event_storage import sqlite_url
from repo2video_dagster.receiver.eventlog import EventLog, NewEvent
from repo2video_dagster.receiver.jobs import (
    AmbiguousJobId,
    format_job,
    get_job,
    health,
    list_jobs,
    print_jobs,
)
from repo2video_dagster.run_tags import TAG_DELIVERY, TAG_EVENT, TAG_REPO, TAG_TRIGGER
from repo2video_tests.loopback import http_json, serve_app


@asset(partitions_def=repositories_partitions)
def video(context) -> MaterializeResult:
    key = context.partition_key
    if "beta" in key:
        raise Failure(description="Repository octo/beta has no files to explain. Add a README")
    if "gamma" in key:
        raise ValueError("boom from inside the renderer")
    if "zeta" in key:
        raise RuntimeError("the encoder crashed\nffmpeg: out of memory\n  at frame 120")
    out = f"/data/out/{key}"
    return MaterializeResult(
        metadata={
            "reel_path": MetadataValue.path(f"{out}/reel.mp4"),
            "landscape_path": MetadataValue.path(f"{out}/landscape.mp4"),
            "thumbnail_path": f"{out}/thumb.png",
            "duration_s": 61.5,
            "title": "An explainer",
        }
    )


@asset(partitions_def=repositories_partitions, deps=[video])
def blog_post(context) -> MaterializeResult:
    return MaterializeResult(
        metadata={"post_html": MetadataValue.url(f"file:///data/blog/{context.partition_key}.html")}
    )


DEFS = Definitions(
    assets=[video, blog_post],
    jobs=[define_asset_job(RENDER_JOB_NAME, selection=[video, blog_post])],
)


@dataclass
class World:
    instance: DagsterInstance
    eventlog: EventLog
    runs: dict[str, str]


def _event(delivery: str, key: str) -> NewEvent:
    owner, name = key.split("__")
    return NewEvent(
        delivery_id=delivery,
        event="star",
        action="created",
        repo_full_name=f"{owner}/{name}",
        repo_url=f"https://github.com/{owner}/{name}",
        partition_key=key,
        reason="star created",
    )


def _run(instance: DagsterInstance, key: str, tags: dict[str, str]) -> str:
    job = DEFS.resolve_job_def(RENDER_JOB_NAME)
    result = job.execute_in_process(
        instance=instance, partition_key=key, tags=tags, raise_on_error=False
    )
    return result.run_id


def _webhook_tags(delivery: str, key: str) -> dict[str, str]:
    return {TAG_DELIVERY: delivery, TAG_EVENT: "star", TAG_REPO: key, TAG_TRIGGER: "webhook"}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("jobs")
    log = EventLog(sqlite_url(tmp / "events.db"))
    with instance_for_test() as instance:
        keys = ["octo__alpha", "octo__beta", "octo__gamma", "octo__delta", "octo__epsilon"]
        instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, keys)
        for delivery, key in [
            ("d-ok", "octo__alpha"),
            ("d-ok2", "octo__alpha"),
            ("d-fail", "octo__beta"),
            ("d-crash", "octo__gamma"),
            ("d-mapped", "octo__epsilon"),
            ("d-wait", "octo__delta"),
        ]:
            log.append(_event(delivery, key))
        ids = {r.delivery_id: r.id for r in log.read_since(0, 100)}
        log.record_dispatch(
            [
                (ids["d-ok"], "d-ok", "d-ok"),
                (ids["d-ok2"], "d-ok2", "d-ok"),
                (ids["d-fail"], "d-fail", "d-fail"),
                (ids["d-crash"], "d-crash", "d-crash"),
                (ids["d-mapped"], "d-mapped", "d-mapped"),
            ]
        )
        runs = {
            "ok": _run(instance, "octo__alpha", _webhook_tags("d-ok", "octo__alpha")),
            "fail": _run(instance, "octo__beta", _webhook_tags("d-fail", "octo__beta")),
            "retry": _run(
                instance,
                "octo__beta",
                {**_webhook_tags("d-fail", "octo__beta"), "dagster/retry_number": "1"},
            ),
            "crash": _run(instance, "octo__gamma", _webhook_tags("d-crash", "octo__gamma")),
            "cli": _run(instance, "octo__alpha", {TAG_TRIGGER: "cli"}),
        }
        yield World(instance, log, runs)
    log.close()


def test_successful_delivery_shows_outputs(world: World) -> None:
    job = get_job(world.instance, world.eventlog, "d-ok")
    assert job["status"] == "success"
    assert job["run_id"] == world.runs["ok"]
    assert job["job_id"] == "d-ok"
    assert job["repo"] == "octo__alpha"
    assert job["retries"] == 0 and job["error"] is None
    assert job["attempts"] == {"video": 1, "blog_post": 1}  # no step was retried
    assert job["created_at"] and job["started_at"] and job["ended_at"]
    assert job["started_at"] <= job["ended_at"]
    assert job["result"]["video"] == {
        "reel_path": "/data/out/octo__alpha/reel.mp4",
        "landscape_path": "/data/out/octo__alpha/landscape.mp4",
        "thumbnail_path": "/data/out/octo__alpha/thumb.png",
    }
    assert job["outputs"]["post_html"] == "file:///data/blog/octo__alpha.html"
    assert "duration_s" not in job["outputs"] and "title" not in job["outputs"]
    assert job["deliveries"] == ["d-ok", "d-ok2"]


def test_coalesced_delivery_and_run_id_find_the_same_run(world: World) -> None:
    job = get_job(world.instance, world.eventlog, "d-ok2")
    assert job["run_id"] == world.runs["ok"]
    assert job["job_id"] == "d-ok2" and job["coalesced_into"] == "d-ok"
    by_run = get_job(world.instance, world.eventlog, world.runs["ok"])
    assert by_run["status"] == "success" and by_run["job_id"] == "d-ok"
    cli = get_job(world.instance, world.eventlog, world.runs["cli"])
    assert cli["job_id"] == world.runs["cli"] and cli["trigger"] == "cli"


def test_failure_has_error_summary_and_retries(world: World) -> None:
    job = get_job(world.instance, world.eventlog, "d-fail")
    assert job["status"] == "failure"
    assert job["run_id"] == world.runs["retry"]  # the newest attempt
    assert job["retries"] == 1
    assert job["attempts"] == {"video": 1}
    assert "has no files to explain" in job["error"]
    assert "\n" not in job["error"]
    crash = get_job(world.instance, world.eventlog, "d-crash")
    assert "boom from inside the renderer" in crash["error"]
    assert crash["result"] == {}


@pytest.mark.parametrize(
    ("key", "line", "users_to_fix"),
    [
        ("octo__zeta", "stage video failed: RuntimeError: the encoder crashed", False),
        ("octo__beta", "Repository octo/beta has no files to explain. Add a README", True),
    ],
)
def test_the_run_and_the_stored_events_tell_one_failure_line(
    world: World, key: str, line: str, users_to_fix: bool
) -> None:
    """What ``repo2video render`` prints (from the result) is what ``/jobs`` answers (from storage)."""
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, [key])
        result = run_render(DEFS, instance, key, tags=_webhook_tags(f"d-{key}", key))
        assert not result.success
        from_run = result_failure(result)
        job = get_job(instance, world.eventlog, result.run_id)
        assert from_run == stored_failure(instance, result.run_id)
    assert (from_run.line, from_run.users_to_fix) == (line, users_to_fix)
    assert job["error"] == line


def test_recorded_but_not_run_is_accepted(world: World) -> None:
    waiting = get_job(world.instance, world.eventlog, "d-wait")
    assert waiting["status"] == "accepted" and waiting["run_id"] is None
    assert waiting["repo"] == "octo__delta" and waiting["attempts"] == {}
    mapped = get_job(world.instance, world.eventlog, "d-mapped")
    assert mapped["status"] == "accepted"
    assert get_job(world.instance, world.eventlog, "no-such-job") is None


def test_listing_pages_through_everything_once(world: World) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = list_jobs(world.instance, world.eventlog, limit=2, cursor=cursor)
        assert len(page["jobs"]) <= 2
        seen.extend(j["run_id"] or j["job_id"] for j in page["jobs"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    runs = world.runs
    expected = ["d-wait", runs["cli"], runs["crash"], runs["retry"], runs["fail"], runs["ok"]]
    assert seen == expected
    whole = list_jobs(world.instance, world.eventlog, limit=50)
    assert [j["run_id"] or j["job_id"] for j in whole["jobs"]] == expected
    assert whole["next_cursor"] is None


def test_listing_filters(world: World) -> None:
    def ids(**kwargs) -> list[str]:
        page = list_jobs(world.instance, world.eventlog, limit=50, **kwargs)
        return [j["run_id"] or j["job_id"] for j in page["jobs"]]

    runs = world.runs
    assert ids(status="failure") == [runs["crash"], runs["retry"], runs["fail"]]
    assert ids(status="accepted") == ["d-wait"]
    assert ids(status="success") == [runs["cli"], runs["ok"]]
    assert ids(status="queued") == []
    assert ids(repo="Octo/Beta") == [runs["retry"], runs["fail"]]
    assert ids(repo="https://github.com/Octo/Delta") == ["d-wait"]
    assert ids(repo="octo__alpha", status="success") == [runs["cli"], runs["ok"]]
    for bad in ({"status": "done"}, {"limit": 0}, {"cursor": "not-a-cursor"}):
        with pytest.raises(ValueError):
            list_jobs(world.instance, world.eventlog, **bad)


def test_cli_output(world: World, capsys) -> None:
    kwargs = {"instance": world.instance, "eventlog": world.eventlog}
    assert print_jobs("d-fail", **kwargs) == 0
    text = capsys.readouterr().out
    assert "status:   failure" in text and "has no files to explain" in text
    assert print_jobs("d-ok", as_json=True, **kwargs) == 0
    assert json.loads(capsys.readouterr().out)["outputs"]["reel_path"].endswith("reel.mp4")
    assert print_jobs(status="failure", **kwargs) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("JOB") and len(lines) == 4
    assert all("failure" in line for line in lines[1:])
    assert "attempts:" not in text  # shown only for steps that were retried
    retried = format_job({"job_id": "j", "status": "success", "attempts": {"video": 2, "x": 1}})
    assert "attempts: video 2" in retried and "x 1" not in retried
    assert print_jobs("nope", **kwargs) == 1
    with pytest.raises(UserError, match="unknown status"):
        print_jobs(status="done", **kwargs)


def _beat(instance: DagsterInstance, daemon: str, at: float, errors: list | None = None) -> None:
    instance.add_daemon_heartbeat(DaemonHeartbeat(at, daemon, "test", errors or []))


def test_health_reports_every_daemon_the_instance_requires(tmp_path: Path) -> None:
    log = EventLog(sqlite_url(tmp_path / "events.db"))
    overrides = {"run_monitoring": {"enabled": True}, "run_retries": {"enabled": True}}
    try:
        log.append(_event("h1", "octo__alpha"))
        with instance_for_test(overrides=overrides) as instance:
            required = set(instance.get_required_daemon_types())
            assert required >= {"SENSOR", "SCHEDULER", "QUEUED_RUN_COORDINATOR", "MONITORING"}
            assert "EVENT_LOG_CONSUMER" in required  # run retries
            report = health(instance, log)
            assert not report["healthy"]
            daemons = report["checks"]["daemons"]
            assert {name: c["status"] for name, c in daemons.items()} == dict.fromkeys(
                required, "missing"
            )
            assert len(report["problems"]) == len(required)
            assert report["queue_depth"] == {"events_unread": 1, "runs_queued": 0}
            for storage in ("receiver", "event_storage", "run_storage", "event_log_storage"):
                assert report["checks"][storage] == {"status": "ok"}

            now = time.time()
            for daemon in required:
                _beat(instance, daemon, now)
            fresh = health(instance, log, now=now + 1)
            assert fresh["healthy"] and fresh["problems"] == []

            _beat(instance, "MONITORING", now - 300)
            stale = health(instance, log, now=now)
            assert not stale["healthy"]
            assert stale["problems"] == [
                "daemon MONITORING: stale (last heartbeat 300 s ago, limit 120 s)"
            ]
            assert health(instance, log, now=now, max_heartbeat_age_s=400)["healthy"]

            error = SerializableErrorInfo("sensor crashed\n  traceback", [], "ValueError")
            _beat(instance, "MONITORING", now)
            _beat(instance, "SENSOR", now, [error])
            failing = health(instance, log, now=now)
            assert failing["checks"]["daemons"]["SENSOR"] == {
                "status": "failing",
                "detail": "sensor crashed",
                "age_s": 0.0,
            }
            assert failing["problems"] == ["daemon SENSOR: failing (sensor crashed)"]
    finally:
        log.close()


def test_health_reports_a_failing_storage(tmp_path: Path) -> None:
    log = EventLog(sqlite_url(tmp_path / "events.db"))
    try:
        with instance_for_test() as instance:
            now = time.time()
            for daemon in instance.get_required_daemon_types():
                _beat(instance, daemon, now)
            assert health(instance, log, now=now)["healthy"]
            with log.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE repo2video_events")
            report = health(instance, log, now=now)
            assert not report["healthy"]
            assert report["checks"]["event_storage"] == {
                "status": "failing",
                "error": "OperationalError",
            }
            assert report["problems"] == ["event_storage: failing (OperationalError)"]
            assert report["checks"]["run_storage"] == {"status": "ok"}
    finally:
        log.close()


# ---- over HTTP -------------------------------------------------------------------


def test_http_endpoints(world: World) -> None:
    app = create_app(eventlog=world.eventlog, secret="s", instance=world.instance)
    with serve_app(app) as port:
        status, job = http_json(port, "GET", "/jobs/d-ok")
        assert status == 200 and job["status"] == "success"
        assert job["status_url"] == f"http://127.0.0.1:{port}/jobs/d-ok"
        assert job["result"]["video"]["reel_path"].endswith("reel.mp4")
        assert http_json(port, "GET", "/jobs/nothing-here")[0] == 404
        status, page = http_json(port, "GET", "/jobs?limit=4")
        assert status == 200 and len(page["jobs"]) == 4
        status, rest = http_json(port, "GET", f"/jobs?limit=4&cursor={page['next_cursor']}")
        assert status == 200 and len(rest["jobs"]) == 2 and rest["next_cursor"] is None
        status, failed = http_json(port, "GET", "/jobs?status=failure&repo=octo/gamma")
        assert [j["run_id"] for j in failed["jobs"]] == [world.runs["crash"]]
        assert http_json(port, "GET", "/jobs?status=bogus")[0] == 400
        assert http_json(port, "GET", "/jobs?limit=x")[0] == 400
        status, report = http_json(port, "GET", "/health")
        assert status == 503 and report["healthy"] is False
        for daemon in world.instance.get_required_daemon_types():
            _beat(world.instance, daemon, time.time())
        status, report = http_json(port, "GET", "/health")
        assert status == 200 and report["healthy"] is True
        assert report["queue_depth"]["events_unread"] == 1


def _cursor(data: object) -> str:
    import base64

    raw = json.dumps(data).encode() if not isinstance(data, bytes) else data
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CRAFTED_CURSORS = {
    "event id as a list (reached SQL)": _cursor({"p": "a", "k": [1]}),
    "event id beyond BIGINT": _cursor({"p": "a", "k": 10**30}),
    "event id as a boolean": _cursor({"p": "a", "k": True}),
    "negative event id": _cursor({"p": "a", "k": -1}),
    "run id as an object (reached Dagster's checks)": _cursor({"p": "r", "k": {"x": 1}}),
    "run id with SQL": _cursor({"p": "r", "k": "1' OR '1'='1"}),
    "not an object": _cursor([1, 2]),
    "nested 5,000 levels": _cursor(b"[" * 5000 + b"]" * 5000),
    "not base64": "not-a-cursor!",
    "not ASCII": "é" * 8,
    "very long": "A" * 5000,
}


URL_TOO_LONG = "URL longer than 2048 bytes"


@pytest.mark.parametrize("name", list(CRAFTED_CURSORS))
def test_crafted_cursors_are_refused(world: World, name: str) -> None:
    with pytest.raises(ValueError, match="invalid cursor"):
        list_jobs(world.instance, world.eventlog, cursor=CRAFTED_CURSORS[name])


def test_http_refuses_crafted_queries_with_one_line(world: World) -> None:
    from urllib.parse import quote

    app = create_app(eventlog=world.eventlog, secret="s", instance=world.instance)
    with serve_app(app) as port:
        for cursor in CRAFTED_CURSORS.values():
            status, answer = http_json(port, "GET", f"/jobs?cursor={quote(cursor)}")
            # 414: the very long one does not get past the URL limit.
            assert (status, answer["error"]) in ((400, "invalid cursor"), (414, URL_TOO_LONG))
        for query in (
            "limit=1" + "0" * 1000,
            "status=%00",
            "repo=https://evil.example/o/n",
            "limit=-1",
        ):
            status, answer = http_json(port, "GET", f"/jobs?{query}")
            assert status == 400 and len(answer["error"].splitlines()) == 1
        assert http_json(port, "GET", "/jobs/" + "x" * 300)[0] == 400


def test_http_outputs_are_relative_to_the_data_directory(world: World) -> None:
    """The API shows no absolute server paths; the CLI (get_job) still has them."""
    for data_dir, reel, post in (
        (Path("/data"), "out/octo__alpha/reel.mp4", "blog/octo__alpha.html"),
        (Path("/elsewhere"), "reel.mp4", "octo__alpha.html"),
    ):
        app = create_app(
            eventlog=world.eventlog, secret="s", instance=world.instance, data_dir=data_dir
        )
        with serve_app(app) as port:
            status, job = http_json(port, "GET", "/jobs/d-ok")
        assert status == 200
        assert job["result"]["video"]["reel_path"] == reel
        assert job["outputs"]["post_html"] == post
        assert not any(v.startswith(("/", "file:")) for v in job["outputs"].values())
    assert get_job(world.instance, world.eventlog, "d-ok")["outputs"]["reel_path"].startswith("/")


# ---- short run ids, links to the UI, failed checks ---------------------------------


def test_a_short_run_id_finds_its_run_and_links_to_the_ui(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPO2VIDEO_UI_URL", "http://ui.example:3000/")
    run_id = world.runs["cli"]
    job = get_job(world.instance, world.eventlog, run_id[:8])
    assert job is not None and job["run_id"] == run_id
    assert job["run_url"] == f"http://ui.example:3000/runs/{run_id}"
    assert get_job(world.instance, world.eventlog, run_id[:12].upper())["run_id"] == run_id
    assert get_job(world.instance, world.eventlog, run_id[:7]) is None  # too short to be sure
    with serve_app(
        create_app(eventlog=world.eventlog, secret="s", instance=world.instance)
    ) as port:
        status, body = http_json(port, "GET", f"/jobs/{run_id[:8]}")
    assert status == 200 and body["run_id"] == run_id


@asset_check(asset=video, description="a check that fails with a warning")
def too_quiet() -> AssetCheckResult:
    return AssetCheckResult(
        passed=False, severity=AssetCheckSeverity.WARN, description="-20.1 LUFS, target -14"
    )


def test_an_ambiguous_prefix_is_refused_and_failed_checks_are_told(tmp_path: Path, capsys) -> None:
    defs = Definitions(
        assets=[video, blog_post],
        asset_checks=[too_quiet],
        jobs=[define_asset_job(RENDER_JOB_NAME, selection=[video, blog_post])],
    )
    job = defs.resolve_job_def(RENDER_JOB_NAME)
    eventlog = EventLog(sqlite_url(tmp_path / "events.db"))
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, ["octo__alpha"])
        for run_id in (
            "abcdef12-0000-4000-8000-000000000001",
            "abcdef12-0000-4000-8000-000000000002",
        ):
            result = job.execute_in_process(
                instance=instance, partition_key="octo__alpha", run_id=run_id
            )
            assert result.success
        with pytest.raises(AmbiguousJobId, match="give more of the run id"):
            get_job(instance, eventlog, "abcdef12")
        checked = get_job(instance, eventlog, "abcdef12-0000-4000-8000-000000000002")
        assert checked["status"] == "success"
        assert checked["checks_failed"] == [
            {
                "asset": "video",
                "check": "too_quiet",
                "severity": "WARN",
                "description": "-20.1 LUFS, target -14",
            }
        ]
        assert print_jobs(checked["run_id"], instance=instance, eventlog=eventlog) == 0
        text = capsys.readouterr().out
        assert "check:    too_quiet (video) failed [warn]: -20.1 LUFS, target -14" in text
        with pytest.raises(UserError, match="give more of the run id"):
            print_jobs("abcdef12", instance=instance, eventlog=eventlog)
        with serve_app(create_app(eventlog=eventlog, secret="s", instance=instance)) as port:
            status, body = http_json(port, "GET", "/jobs/abcdef12")
        assert status == 400 and "give more of the run id" in body["error"]
    eventlog.close()


@asset(
    name="video",
    partitions_def=repositories_partitions,
    check_specs=[AssetCheckSpec("video_streams", asset="video", blocking=True)],
)
def broken_video():
    yield Output(None)
    yield AssetCheckResult(
        check_name="video_streams", passed=False, description="reel: 1080x1080, expected 1080x1920"
    )


def test_a_blocking_check_stops_the_run_with_what_it_found(tmp_path: Path) -> None:
    defs = Definitions(
        assets=[broken_video, blog_post],
        jobs=[define_asset_job(RENDER_JOB_NAME, selection=[broken_video, blog_post])],
    )
    eventlog = EventLog(sqlite_url(tmp_path / "events.db"))
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, ["octo__alpha"])
        result = run_render(defs, instance, "octo__alpha")
        assert not result.success
        assert not result.asset_materializations_for_node("blog_post")
        line = "check video_streams of video failed: reel: 1080x1080, expected 1080x1920"
        assert result_failure(result).line == line
        assert get_job(instance, eventlog, result.run_id)["error"] == line
    eventlog.close()
