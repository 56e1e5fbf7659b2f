"""The whole service as real processes: a signed star event ends in a SUCCESS run.

``repo2video webhook serve`` and ``dagster-daemon run`` (with the project's own
workspace.yaml and dagster.yaml) run as subprocesses on a temp DAGSTER_HOME. The
test signs GitHub's real ``star.created`` payload, pointed at a local test
repository, posts it over HTTP, and follows ``GET /jobs/<delivery_id>`` until the
run succeeds with the video's path in its result.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

import pytest

from repo2video_dagster.lib.render.media import video_info
from repo2video_devtools.reliability.procs import bound_port, init_storage, wait_for
from repo2video_devtools.reliability.repos import TINY_CODE, TINY_README
from repo2video_tests.loopback import github_headers, http_json, managed_process
from repo2video_tests.repo_factory import make_repo

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "github"
SECRET = "service-e2e-secret"
BIN = Path(sys.executable).parent


def wait_until(predicate, timeout: float, what: str, logs: list[Path]):
    def tails() -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs if p.exists()
        )

    return wait_for(predicate, timeout, what, tails)


def test_signed_star_event_ends_in_a_successful_render(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "wordle-solver",
        {"README.md": TINY_README, "wordle_solver/__init__.py": TINY_CODE},
    )
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT / "dagster.yaml", home / "dagster.yaml")
    init_storage(home)  # before two processes race to create the tables
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPO2VIDEO_")}
    env.update(
        DAGSTER_HOME=str(home),
        REPO2VIDEO_DATA_DIR=str(tmp_path / "var"),
        REPO2VIDEO_ALLOW_LOCAL="1",
        REPO2VIDEO_FORMATS="reel",
        REPO2VIDEO_WEBHOOK_SECRET=SECRET,
        PYTHONUNBUFFERED="1",
    )
    receiver_log, daemon_log = tmp_path / "receiver.log", tmp_path / "daemon.log"
    logs = [receiver_log, daemon_log]

    payload = json.loads((FIXTURES / "star.created.payload.json").read_text())
    payload["repository"]["html_url"] = repo.as_uri()
    payload["repository"]["clone_url"] = repo.as_uri()
    body = json.dumps(payload).encode()
    delivery = str(uuid.uuid4())

    with (
        managed_process(
            [str(BIN / "repo2video"), "webhook", "serve", "--port", "0"],
            env,
            receiver_log,
            PROJECT,
        ) as receiver,
        managed_process(
            [str(BIN / "dagster-daemon"), "run", "-w", str(PROJECT / "workspace.yaml")],
            env,
            daemon_log,
            PROJECT,
        ),
    ):
        port = bound_port(receiver, 60, "the receiver", receiver_log.read_text)
        wait_until(lambda: _health_answers(port), 60, "the receiver to answer", logs)
        sent = time.monotonic()
        status, answer = http_json(
            port,
            "POST",
            "/webhook",
            body,
            github_headers("star", delivery, body, SECRET),
        )
        assert status == 202, answer
        assert answer["delivery_id"] == delivery
        assert answer["status_url"].endswith(f"/jobs/{delivery}")

        def job(state: set[str]):
            code, data = http_json(port, "GET", f"/jobs/{delivery}")
            return data if code == 200 and data.get("status") in state else None

        started = wait_until(
            lambda: job({"started", "success", "failure"}), 180, "the run to start", logs
        )
        start_latency = time.monotonic() - sent
        done = wait_until(
            lambda: job({"success", "failure", "canceled"}), 600, "the run to finish", logs
        )
        success_latency = time.monotonic() - sent
        assert done["status"] == "success", done
        assert done["run_id"] == started["run_id"]
        reel = _find_path(done, "reel_path")  # relative to the data directory over HTTP
        assert reel and not reel.startswith("/"), done
        assert (tmp_path / "var" / reel).exists(), done
        info = video_info(tmp_path / "var" / reel)
        assert (info.width, info.height, info.vcodec) == (1080, 1920, "h264")

        # A redelivery of the same delivery id is refused at the door: no second run.
        status, answer = http_json(
            port,
            "POST",
            "/webhook",
            body,
            github_headers("star", delivery, body, SECRET),
        )
        assert status == 200 and "duplicate" in json.dumps(answer)
        code, listing = http_json(port, "GET", "/jobs?status=success")
        assert code == 200
        assert [j["run_id"] for j in listing["jobs"]] == [done["run_id"]]

    print(
        f"\ndelivery -> run started: {start_latency:.1f} s; delivery -> run success: {success_latency:.1f} s"
    )


def _health_answers(port: int) -> bool:
    try:
        code, _ = http_json(port, "GET", "/health")
    except OSError:
        return False
    return code in (200, 503)


def _find_path(job: dict, name: str) -> str | None:
    """The metadata value ``name`` anywhere in the job's result."""
    stack = [job]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == name and isinstance(value, str):
                    return value
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return None
