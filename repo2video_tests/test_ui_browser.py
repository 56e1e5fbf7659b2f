"""The Dagster UI as a new user meets it: a real `make dev` (scripts/dev.sh) on loopback
ports, Debian's chromium driven by Playwright.

The user adds a tiny local repository from the add_repository launchpad, sees the run
succeed and the render follow, opens the video from the asset page (the link serves an
mp4), and launches a target the launchpad refuses, whose one-line reason the run page
and the runs list show; a later refused render of the healthy partition is explained on
the partition's page. Screenshots go to ``var/ui-screenshots/`` for people to look at.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from repo2video_dagster.definitions import build_definitions
from repo2video_dagster.launch import run_render
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_dagster.resources import default_resources, with_overrides
from repo2video_devtools.reliability.procs import (
    PROJECT,
    descendants,
    free_port,
    kill9,
    service_env,
    wait_for,
)
from repo2video_devtools.reliability.repos import TINY_CODE, TINY_README
from repo2video_tests.repo_factory import make_repo

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
UI_TIMEOUT_MS = 180_000
playwright_api = pytest.importorskip("playwright.sync_api")


def _answers(base_port: int, path: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def screenshots_dir() -> Path:
    root = Path(os.environ.get("REPO2VIDEO_DATA_DIR") or PROJECT / "var")
    folder = root / "ui-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def dev(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`make dev`'s script on free loopback ports, reel only; stopped (TERM, then KILL) after."""
    ui_port, hook_port = free_port(), free_port()
    env = service_env(
        tmp_path / "home",
        tmp_path / "var",
        REPO2VIDEO_UI_PORT=str(ui_port),
        REPO2VIDEO_WEBHOOK_PORT=str(hook_port),
        REPO2VIDEO_FORMATS="reel",
    )
    log = tmp_path / "dev.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["scripts/dev.sh"], cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for(
            lambda: _answers(ui_port, "/server_info") and _answers(hook_port, "/health"),
            180,
            "the Dagster UI, the daemon and the receiver",
            tails=log.read_text,
        )
        yield {
            "ui": f"http://127.0.0.1:{ui_port}",
            "hook": f"http://127.0.0.1:{hook_port}",
            "home": env["DAGSTER_HOME"],
            "data": env["REPO2VIDEO_DATA_DIR"],
            "log": str(log),
        }
    finally:
        started = descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(45)
        kill9([proc.pid, *started])


def launch_from_launchpad(page, ui: str, job: str, yaml: str, shot: Path | None) -> str:
    """Open ``job``'s launchpad, put ``yaml`` in its editor, press Launch Run; the run id."""
    page.goto(f"{ui}/locations/repo2video/jobs/{job}/playground")
    launch = page.get_by_role("button", name=re.compile("Launch Run"))
    launch.wait_for(timeout=UI_TIMEOUT_MS)
    dismiss_dialogs(page)
    # The launchpad's editor is CodeMirror: set its text the way typing would end.
    page.wait_for_selector(".CodeMirror")
    page.evaluate("(text) => document.querySelector('.CodeMirror').CodeMirror.setValue(text)", yaml)
    page.get_by_text("No errors").wait_for(timeout=UI_TIMEOUT_MS)
    # "No errors" shows before the button is enabled when the UI is slow (a loaded machine).
    playwright_api.expect(launch).to_be_enabled(timeout=UI_TIMEOUT_MS)
    if shot:
        page.screenshot(path=shot)
    dismiss_dialogs(page)
    launch.click()
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f-]{36}"), timeout=UI_TIMEOUT_MS)
    return page.url.rsplit("/runs/", 1)[1].split("?")[0]


def dismiss_dialogs(page) -> None:
    """Close the dialogs the UI opens on a first visit (its newsletter offer, news), which
    may open late on a slow machine and would take the next click."""
    for _ in range(3):
        backdrop = page.locator(".bp5-overlay-backdrop")
        if not backdrop.count() or not backdrop.first.is_visible():
            return
        shot = screenshots_dir() / "first-visit-dialog.png"
        page.screenshot(path=shot)
        for name in ("Skip", "Dismiss", "Close", "Not now", "No thanks", "Done"):
            button = page.locator(".bp5-dialog").get_by_role("button", name=name)
            if button.count():
                button.first.click()
                break
        else:
            page.keyboard.press("Escape")
        page.wait_for_timeout(300)


def wait_for_run(home: str, run_id: str, timeout: float = 240) -> DagsterRunStatus:
    def ended() -> DagsterRunStatus | None:
        with DagsterInstance.from_config(home) as instance:
            run = instance.get_run_by_id(run_id)
        done = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
        return run.status if run and run.status in done else None

    return wait_for(ended, timeout, f"run {run_id} to end", interval=2)


def render_run_of(home: str, added_by: str, timeout: float = 60) -> str:
    """The render the render_added_repository sensor queued for an add_repository run."""

    def queued() -> str | None:
        with DagsterInstance.from_config(home) as instance:
            runs = instance.get_run_records(RunsFilter(tags={"repo2video/added_by": added_by}))
        return runs[0].dagster_run.run_id if runs else None

    return wait_for(queued, timeout, "the sensor to queue the render", interval=1)


@contextlib.contextmanager
def browser_page() -> Iterator:
    """A page of Debian's chromium (never a downloaded browser build)."""
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium"),
            args=["--no-sandbox"],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(UI_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


@pytest.mark.heavy  # a whole `make dev` stack, a render and chromium: ~80 s (make check-heavy)
@pytest.mark.skipif(not CHROMIUM.exists() and not shutil.which("chromium"), reason="no chromium")
def test_add_render_open_and_explain_from_the_ui(dev: dict[str, str], tmp_path: Path) -> None:
    shots = screenshots_dir()
    repo = make_repo(
        tmp_path / "wordle-solver",
        {"README.md": TINY_README, "wordle_solver/__init__.py": TINY_CODE},
    )
    key = parse_target(str(repo), SourcePolicy(allow_local=True)).key
    ui, home = dev["ui"], dev["home"]

    with browser_page() as page:
        # 1. Add the repository from the launchpad (local paths allowed for this run).
        added = launch_from_launchpad(
            page,
            ui,
            "add_repository",
            f"ops:\n  add:\n    config:\n      target: {repo}\n"
            "resources:\n  source:\n    config:\n      allow_local: true\n",
            shots / "add-repository-launchpad.png",
        )
        assert wait_for_run(home, added) == DagsterRunStatus.SUCCESS
        page.get_by_text(f"registered wordle-solver as partition {key}").wait_for()
        page.screenshot(path=shots / "add-repository-run.png")

        # 2. Meanwhile a target the launchpad refuses: local paths are off by default.
        refused = launch_from_launchpad(
            page,
            ui,
            "add_repository",
            f"ops:\n  add:\n    config:\n      target: {repo}\n",
            None,
        )

        # 3. The sensor queued the render with the launchpad's source settings; it succeeds.
        render = render_run_of(home, added)
        assert wait_for_run(home, render) == DagsterRunStatus.SUCCESS

        # 4. The asset page shows the thumbnail and a link that plays the video.
        page.goto(f"{ui}/assets/video?view=partitions&partition={key}")
        reel = page.locator(f"a[href$='/output/{key}/reel.mp4']").first
        reel.wait_for()
        thumbnail = page.locator("img[alt='thumbnail']").first
        thumbnail.wait_for()
        assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 360
        page.screenshot(path=shots / "video-asset-links.png")
        href = reel.get_attribute("href")
        assert href and href.startswith(dev["hook"])
        with page.context.expect_page() as opened:
            page.locator("a", has_text=re.compile(r"/reel\.mp4$")).first.click()
        player = opened.value
        player.wait_for_load_state()
        assert player.url == href
        served = page.context.request.get(href)
        assert served.status == 200
        assert served.headers["content-type"] == "video/mp4"
        assert served.body()[4:8] == b"ftyp"  # an MP4 box header
        player.close()

        # 5. The refused run: its one line, naming the launchpad key, on the run page...
        assert wait_for_run(home, refused) == DagsterRunStatus.FAILURE
        page.goto(f"{ui}/runs/{refused}")
        fix = "Set resources.source.config.allow_local: true in the launchpad"
        page.get_by_text(re.compile(re.escape(fix))).first.wait_for()
        page.screenshot(path=shots / "refused-run.png")
        # ... and as the run's repo2video/error tag, which the runs list shows.
        page.goto(f"{ui}/runs")
        page.get_by_text("repo2video/error: local paths are disabled").first.wait_for()
        page.screenshot(path=shots / "runs-list.png")
    with DagsterInstance.from_config(home) as instance:
        tags = instance.get_run_by_id(refused).tags
    assert tags["repo2video/error"].startswith("local paths are disabled")
    assert fix in tags["repo2video/error"]

    # 6. A healthy partition whose next render is refused (started without the launchpad's
    # allow_local, here in this process): its page tells why, above the last good metadata.
    resources = default_resources()
    resources["storage"] = with_overrides(resources["storage"], data_dir=dev["data"])
    resources["source"] = with_overrides(resources["source"], allow_local=False)
    with DagsterInstance.from_config(home) as instance:
        assert not run_render(build_definitions(resources), instance, key).success
    with browser_page() as page:
        page.goto(f"{ui}/assets/repo_snapshot?view=partitions&partition={key}")
        page.get_by_text(re.compile(r"Run \w{8} failed, and did not materialize")).wait_for()
        page.get_by_text(re.compile(re.escape(fix))).first.wait_for()
        page.screenshot(path=shots / "failed-partition.png")

    # 7. The catalog refreshed after the UI's render (refresh_catalog_after_render).
    catalog = Path(dev["data"]) / "catalog" / "catalog.csv"
    wait_for(
        lambda: catalog.exists() and key in catalog.read_text(),
        90,
        "the catalog to list the render",
        interval=2,
    )
