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
    """A port that was free a moment ago, for programs that must be told their port in
    advance (several processes that find each other by it, as in the deployment's
    compose file). Another process may take it first; prefer letting a server bind
    port 0 and reading it back (:func:`bound_port`) wherever the program allows."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_ports(pid: int) -> list[int]:
    """The TCP ports process ``pid`` listens on, read from /proc.

    For programs that take a port number: start them on port 0 (or let them choose)
    and read the port they actually bound, instead of guessing a free one first (a
    port found free can be taken by someone else before the program binds it).
    """
    inodes: set[str] = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == _TCP_LISTEN and fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return sorted(ports)


_TCP_LISTEN = "0A"


def bound_port(
    proc: subprocess.Popen[bytes], timeout: float, what: str, tails: Callable[[], str] | None = None
) -> int:
    """The first port ``proc`` listens on, once it does (fails when it exits first)."""

    def port() -> int | None:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{what} exited with {proc.returncode} before listening\n"
                + (tails() if tails else "")
            )
        ports = listening_ports(proc.pid)
        return ports[0] if ports else None

    return wait_for(port, timeout, f"{what} to listen", tails, interval=0.1)


def merge_config(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` merged in, mapping into mapping, at every depth."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_config(merged[key], value)
        else:
            merged[key] = value
    return merged


def instance_home(home: Path, overrides: dict[str, Any] | None = None) -> Path:
    """A DAGSTER_HOME with the project's dagster.yaml, plus ``overrides`` merged into it.

    The merge goes to every depth, so ``{"run_coordinator": {"config": {"dequeue_interval_seconds": 1}}}``
    keeps the project's concurrency limits and changes only the interval.
    """
    import yaml

    home.mkdir(parents=True, exist_ok=True)
    source = PROJECT / "dagster.yaml"
    config = yaml.safe_load(source.read_text(encoding="utf-8")) if source.exists() else {}
    config = merge_config(config or {}, overrides or {})
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

    def receiver(self, env: dict[str, str], port: int = 0) -> tuple[subprocess.Popen[bytes], int]:
        """``repo2video webhook serve`` on ``port`` (0: one the system picks); the process and its port.

        Returns once ``/health`` answers (200 or 503).
        """
        cli = shutil.which("repo2video", path=str(BIN)) or str(BIN / "repo2video")
        proc = self.start("receiver", [cli, "webhook", "serve", "--port", str(port)], env)
        port = bound_port(proc, 90, "the receiver", self.tails)
        wait_for(lambda: _answers(port, proc), 90, "the receiver to answer", self.tails)
        return proc, port

    def daemon(
        self, env: dict[str, str], workspace: Path = PROJECT / "workspace.yaml"
    ) -> subprocess.Popen[bytes]:
        exe = str(BIN / "dagster-daemon")
        return self.start("daemon", [exe, "run", "-w", str(workspace)], env)

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


def _answers(port: int, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"the process exited with {proc.returncode} before answering")
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


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie may wait for a reaper that never comes)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
