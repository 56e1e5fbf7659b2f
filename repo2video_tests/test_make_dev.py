"""`make dev` (scripts/dev.sh): everything it starts stops on SIGTERM, also when another
script started it in the background, and it starts without avoidable warnings."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
from pathlib import Path

import pytest

from repo2video_devtools.reliability.procs import (
    PROJECT,
    descendants,
    free_port,
    kill9,
    service_env,
    wait_for,
)


def _answers(port: int, path: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie may wait for a reaper that never comes)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_dev_stops_everything_it_started_on_sigterm(tmp_path: Path) -> None:
    ui_port, hook_port = free_port(), free_port()
    env = service_env(
        tmp_path / "home",
        tmp_path / "var",
        REPO2VIDEO_UI_PORT=str(ui_port),
        REPO2VIDEO_WEBHOOK_PORT=str(hook_port),
    )
    log = tmp_path / "dev.log"
    # As a script would start it: in the background of a non-interactive shell.
    launcher = subprocess.run(
        ["bash", "-c", f'scripts/dev.sh >"{log}" 2>&1 & echo $!'],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    dev_pid = int(launcher.stdout.strip())
    started: list[int] = []
    try:
        wait_for(
            lambda: _answers(ui_port, "/server_info") and _answers(hook_port, "/health"),
            180,
            "the Dagster UI and the webhook receiver",
            tails=log.read_text,
        )
        started = descendants(dev_pid)
        # webserver, daemon, receiver, and the code servers the first two start
        assert len(started) >= 4, started
        os.kill(dev_pid, signal.SIGTERM)
        wait_for(
            lambda: not any(_running(pid) for pid in [dev_pid, *started]),
            45,
            "every process make dev started to stop",
            tails=log.read_text,
        )
    finally:
        kill9([dev_pid, *started, *descendants(dev_pid)])
    text = log.read_text()
    assert not _answers(ui_port, "/server_info")
    assert "make dev: stopped" in text
    assert "SupersessionWarning" not in text
    assert "Found a dagster instance configuration value" not in text
