"""``render_stats`` and the site's status page, from real runs on a throw-away instance.

The runs are real Dagster runs of a two-stage job with the render job's name (one
fails with a render-like line); one more run waits in the queue. ``render_stats`` is
materialized as the UI's "Materialize" does; the status page it writes is opened in
Debian's chromium (Playwright) at a phone's size, served over loopback HTTP.
"""

from __future__ import annotations

import functools
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    Failure,
    In,
    Nothing,
    RunsFilter,
    build_sensor_context,
    instance_for_test,
    job,
    materialize,
    op,
)
from dagster._core.remote_origin import (
    RegisteredCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from PIL import Image

from repo2video_dagster.assets.stats import render_stats
from repo2video_dagster.lib.publish.status_page import CHART_FILE, STATUS_PAGE
from repo2video_dagster.partitions import RENDER_JOB_NAME
from repo2video_dagster.priorities import PRIORITY_TAG
from repo2video_dagster.resources import StorageResource
from repo2video_dagster.run_tags import TAG_REPO, TAG_TRIGGER
from repo2video_dagster.sensors.status_page import refresh_status_page

REASON = "repository stats/broken has no README. Add a README.md"
CHROMIUM = Path("/usr/bin/chromium")


@op
def repo_snapshot(context) -> None:  # noqa: ANN001 - Dagster's context
    time.sleep(0.05)


@op(ins={"after": In(Nothing)})
def video(context) -> None:  # noqa: ANN001
    time.sleep(float(context.run.tags.get("sleep", "0.1")))
    if context.run.tags.get(TAG_REPO) == "stats__broken":
        raise Failure(description=REASON, allow_retries=False)


@job(name=RENDER_JOB_NAME)
def fake_render() -> None:
    video(after=repo_snapshot())


@dataclass
class World:
    instance: DagsterInstance
    data_dir: Path
    runs: dict[str, str]
    metadata: dict[str, Any]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("stats") / "var"
    with instance_for_test() as instance:
        runs = {}
        for key, sleep in (("stats__fast", "0.1"), ("stats__slow", "0.4"), ("stats__broken", "0")):
            tags = {TAG_REPO: key, TAG_TRIGGER: "webhook", "sleep": sleep}
            result = fake_render.execute_in_process(
                instance=instance, tags=tags, raise_on_error=False
            )
            runs[key] = result.run_id
        origin = RemoteRepositoryOrigin(
            RegisteredCodeLocationOrigin("repo2video"), "__repository__"
        )
        waiting = DagsterRun(
            job_name=RENDER_JOB_NAME,
            status=DagsterRunStatus.QUEUED,
            tags={TAG_REPO: "stats__waiting", TAG_TRIGGER: "schedule", PRIORITY_TAG: "0"},
            remote_job_origin=RemoteJobOrigin(origin, RENDER_JOB_NAME),
        )
        instance.add_run(waiting)
        runs["stats__waiting"] = waiting.run_id
        (data_dir / "site" / "stats__fast").mkdir(parents=True)
        (data_dir / "site" / "stats__fast" / "index.html").write_text("<p>video</p>")
        result = materialize(
            [render_stats],
            instance=instance,
            resources={"storage": StorageResource(data_dir=str(data_dir))},
        )
        assert result.success
        (mat,) = result.asset_materializations_for_node("render_stats")
        metadata = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        yield World(instance, data_dir, runs, metadata)


def test_figures_tables_and_chart_in_the_metadata(world: World) -> None:
    m = world.metadata
    assert m["finished_runs"] == 3
    assert m["success_rate"] == pytest.approx(2 / 3, abs=0.001)
    # Grouped by the day each run ended (UTC): read the days from run storage, so a run
    # made just before midnight does not make the test depend on the clock.
    ended = {
        datetime.fromtimestamp(r.end_time, UTC).date().isoformat()
        for r in world.instance.get_run_records(RunsFilter(job_name=RENDER_JOB_NAME))
        if r.end_time is not None
    }
    table = [line.strip("|").split(" | ") for line in m["daily_success"].splitlines()[2:]]
    assert {row[0].strip() for row in table} == ended
    totals = [sum(int(row[i]) for row in table) for i in (1, 2, 3)]
    assert totals == [3, 2, 1]
    if len(table) == 1:
        assert table[0][4].strip() == "0.667"
    rows = {line.split(" | ")[0].strip("| "): line for line in m["stage_durations"].splitlines()}
    assert set(rows) >= {"repo_snapshot", "video", "stage"}
    assert "| video | 2 |" in rows["video"]  # the failed run's video stage did not finish
    assert m["render_p95_s"] >= m["render_median_s"] >= 0.1
    assert m["queue_wait_median_s"] is not None
    assert m["success_chart"].startswith("![success rate](data:image/png;base64,")
    with Image.open(m["success_chart_path"]) as chart:
        assert chart.size == (600, 300)
        colours = {c for _, c in chart.convert("RGB").getcolors(600 * 300) or []}
    assert (0x2E, 0x9D, 0x5B) in colours and (0xD6, 0x45, 0x45) in colours  # green and red bars
    stats = world.data_dir / "stats"
    assert (stats / "daily_success.csv").read_text().startswith("day,runs,successes,failures")


def test_status_page_lists_runs_and_queue_and_the_index_links_it(world: World) -> None:
    site = world.data_dir / "site"
    page = (site / STATUS_PAGE).read_text()
    for run_id in world.runs.values():
        assert f'data-run="{run_id}"' in page
    assert REASON in page
    assert '<a href="stats__fast/index.html">video page</a>' in page
    assert f"http://127.0.0.1:3000/runs/{world.runs['stats__broken']}" in page
    assert "<script" not in page
    assert '<a href="status.html">Render status</a>' in (site / "index.html").read_text()
    assert Image.open(io.BytesIO((site / CHART_FILE).read_bytes())).size == (600, 300)


@pytest.mark.slow
def test_status_page_in_chromium_on_a_phone(world: World) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(world.data_dir / "site"))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    problems: list[str] = []
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
                page.on(
                    "console", lambda m: m.type in ("error", "warning") and problems.append(m.text)
                )
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
                port = server.server_address[1]
                answer = page.goto(f"http://127.0.0.1:{port}/{STATUS_PAGE}")
                assert answer is not None and answer.ok
                shown = page.eval_on_selector_all(
                    "[data-run]", "els => els.map(e => e.dataset.run)"
                )
                assert set(shown) == set(world.runs.values())
                queue = page.inner_text("#queue")
                assert "stats__waiting" in queue and "priority 0" in queue
                assert REASON in page.inner_text("#recent")
                chart = page.eval_on_selector(
                    "img.chart", "img => img.complete && img.naturalWidth"
                )
                assert chart == 600
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, "the page scrolls sideways on a phone"
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert problems == []


def test_status_page_follows_run_changes_between_materializations(
    world: World, tmp_path: Path
) -> None:
    storage = StorageResource(data_dir=str(tmp_path / "var"))
    page = tmp_path / "var" / "site" / STATUS_PAGE

    def tick(cursor: str | None):
        context = build_sensor_context(
            instance=world.instance, cursor=cursor, resources={"storage": storage}
        )
        return refresh_status_page(context)

    first = tick(None)
    assert page.is_file() and first.cursor
    assert all(f'data-run="{run_id}"' in page.read_text() for run_id in world.runs.values())
    assert tick(first.cursor).cursor is None, "nothing changed: the page is left alone"

    later = fake_render.execute_in_process(
        instance=world.instance, tags={TAG_REPO: "stats__later"}, raise_on_error=False
    )
    second = tick(first.cursor)
    assert float(second.cursor) > float(first.cursor)
    assert f'data-run="{later.run_id}"' in page.read_text()
