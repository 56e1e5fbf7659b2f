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
    kill9,
    listening_ports,
    running,
    service_env,
    wait_for,
)


def _responds(port: int, path: str) -> bool:
    """Any HTTP answer (``/health`` is 503 until every daemon has sent a heartbeat)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status in (200, 503)
    except OSError:
        return False
    finally:
        conn.close()


def _answers(port: int, path: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _port_of(root: int, program: str) -> int | None:
    """The port the process below ``root`` whose command line names ``program`` listens on."""
    for pid in descendants(root):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if program in cmdline and (ports := listening_ports(pid)):
            return ports[0]
    return None


@pytest.mark.slow
def test_dev_stops_everything_it_started_on_sigterm(tmp_path: Path) -> None:
    # Port 0: the webserver takes 3000 when free, else any; the receiver any. The test
    # reads the ports they bound instead of guessing free ones first.
    env = service_env(
        tmp_path / "home", tmp_path / "var", REPO2VIDEO_UI_PORT="0", REPO2VIDEO_WEBHOOK_PORT="0"
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
        ui_port, hook_port = wait_for(
            lambda: (
                (ui := _port_of(dev_pid, "dagster-webserver"))
                and (hook := _port_of(dev_pid, "webhook serve"))
                and (ui, hook)
            ),
            180,
            "the Dagster UI and the webhook receiver to listen",
            tails=log.read_text,
        )
        wait_for(
            lambda: _answers(ui_port, "/server_info") and _responds(hook_port, "/health"),
            180,
            "the Dagster UI and the webhook receiver",
            tails=log.read_text,
        )
        started = descendants(dev_pid)
        # webserver, daemon, receiver, and the code servers the first two start
        assert len(started) >= 4, started
        os.kill(dev_pid, signal.SIGTERM)
        wait_for(
            lambda: not any(running(pid) for pid in [dev_pid, *started]),
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
