"""Start, watch and kill the service's real processes (receiver, daemon) on a temp instance."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import repo2video_dagster

PROJECT = Path(repo2video_dagster.__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def instance_home(home: Path, overrides: dict[str, Any] | None = None) -> Path:
    """A DAGSTER_HOME with the project's dagster.yaml, plus ``overrides`` merged per section."""
    import yaml

    home.mkdir(parents=True, exist_ok=True)
    source = PROJECT / "dagster.yaml"
    config = yaml.safe_load(source.read_text(encoding="utf-8")) if source.exists() else {}
    config = config or {}
    for section, values in (overrides or {}).items():
        if isinstance(values, dict) and isinstance(config.get(section), dict):
            config[section] = {**config[section], **values}
        else:
            config[section] = values
    (home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    init_storage(home)
    return home


def init_storage(home: Path) -> None:
    """Create the instance's SQLite tables once, before several processes open it.

    A receiver and a daemon starting together on a fresh home race to create the
    same tables (seen: "table runs already exists", two alembic heads).
    """
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)):
        pass


def service_env(home: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a deployment: inherited, minus any REPO2VIDEO_* of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPO2VIDEO_")}
    env.update(
        DAGSTER_HOME=str(home),
        REPO2VIDEO_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
        HF_HUB_OFFLINE="1",
    )
    env.update(extra)
    return env


class Service:
    """Processes started in their own sessions, so each can be killed with its children."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - owned by the process
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=PROJECT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def receiver(self, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
        cli = shutil.which("repo2video", path=str(BIN)) or str(BIN / "repo2video")
        proc = self.start("receiver", [cli, "webhook", "serve", "--port", str(port)], env)
        wait_for(lambda: _listening(port, proc), 90, "the receiver to listen", self.tails)
        return proc

    def daemon(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        exe = str(BIN / "dagster-daemon")
        return self.start("daemon", [exe, "run", "-w", str(PROJECT / "workspace.yaml")], env)

    def tails(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}"
            for p in sorted(self.logs.glob("*.log"))
        )

    def stop(self) -> None:
        """Terminate every process group we started (and what is left of killed ones)."""
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)


def _listening(port: int, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"the process exited with {proc.returncode} before listening")
    try:
        status, _ = request(port, "GET", "/health", timeout=5)
    except OSError:
        return False
    return status in (200, 503)


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


def wait_for(
    predicate: Callable[[], T | None],
    timeout: float,
    what: str,
    tails: Callable[[], str] | None = None,
    interval: float = 0.5,
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"timed out after {timeout:.0f} s waiting for {what}\n" + (tails() if tails else "")
            )
        time.sleep(interval)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
    out: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        out += kids
        frontier += kids
    return out


def kill9(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
