"""A loopback Docker Engine API server whose "containers" are local processes.

No Docker engine runs on this machine, yet the deployment launches every run through
dagster_docker's ``DockerRunLauncher``, which talks to the engine with docker-py. With
``DOCKER_HOST=tcp://127.0.0.1:PORT`` pointed here, the launcher's real code path runs:
docker-py negotiates the API version, creates the container (image, command,
environment, labels, network, volume binds), connects extra networks, starts it, and
run monitoring inspects it until it exits. Each container's command runs as a local
process with the image's environment plus the one the launcher passed, in its own
session so that :meth:`DockerEngine.kill` (``docker kill``) ends all of it, as when a
container dies. Exit codes follow Docker's convention (128 + signal).

What a real engine would refuse is refused here too: an unknown image (404, so the
launcher tries to pull it and fails), an unknown network (404), a running container
removed without ``force`` (409). Every request is recorded in :attr:`DockerEngine.calls`
so a test can see which API calls the launcher made, and any route not implemented
answers 404 and is listed in :attr:`DockerEngine.unknown`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from repo2video_devtools.deploy.docker_api import handler_for


@dataclass(frozen=True)
class ImageSpec:
    """What an image gives its containers: ENV, WORKDIR (as the Dockerfile sets them)."""

    env: dict[str, str]
    workdir: Path


@dataclass
class Container:
    id: str
    name: str
    image: str
    command: list[str]
    env: dict[str, str]
    """The environment the container's process got (image ENV, then the create call's)."""
    create_env: list[str]
    """``Env`` exactly as the create call sent it."""
    labels: dict[str, str]
    host_config: dict[str, Any]
    networks: list[str]
    created: str
    log_path: Path
    status: str = "created"
    pid: int = 0
    exit_code: int = 0
    started_at: str = "0001-01-01T00:00:00Z"
    finished_at: str = "0001-01-01T00:00:00Z"
    proc: subprocess.Popen[bytes] | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def state(self) -> dict[str, Any]:
        running = self.status == "running"
        return {
            "Status": self.status,
            "Running": running,
            "Paused": False,
            "Restarting": False,
            "OOMKilled": False,
            "Dead": False,
            "Pid": self.pid if running else 0,
            "ExitCode": self.exit_code,
            "Error": "",
            "StartedAt": self.started_at,
            "FinishedAt": self.finished_at,
        }

    def inspect(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Name": "/" + self.name,
            "Created": self.created,
            "Path": self.command[0] if self.command else "",
            "Args": self.command[1:],
            "State": self.state(),
            "Image": "sha256:" + "0" * 64,
            "Config": {
                "Image": self.image,
                "Cmd": self.command,
                "Env": self.create_env,
                "Labels": self.labels,
                "Tty": False,
                "AttachStdout": False,
                "AttachStderr": False,
            },
            "HostConfig": self.host_config,
            "NetworkSettings": {"Networks": {n: {"NetworkID": n} for n in self.networks}},
            "Mounts": [],
        }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _exit_code(returncode: int) -> int:
    """Docker's convention: a process killed by signal N exits 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


class DockerEngine:
    """The server and its containers. Use as a context manager, or start()/stop()."""

    def __init__(
        self,
        workdir: Path,
        images: dict[str, ImageSpec],
        networks: list[str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.images = images
        self.networks = list(networks or [])
        self.containers: dict[str, Container] = {}
        self.calls: list[tuple[str, str]] = []
        self.unknown: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    # ---- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The value for ``DOCKER_HOST``."""
        assert self._server is not None, "not started"
        return f"tcp://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> DockerEngine:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="docker-engine", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        for container in list(self.containers.values()):
            self.kill(container.id)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> DockerEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- what a test asks ------------------------------------------------------------

    def find(self, ref: str) -> Container | None:
        with self._lock:
            if ref in self.containers:
                return self.containers[ref]
            for c in self.containers.values():
                if c.name == ref or (len(ref) >= 12 and c.id.startswith(ref)):
                    return c
        return None

    def by_label(self, key: str, value: str) -> list[Container]:
        with self._lock:
            return [c for c in self.containers.values() if c.labels.get(key) == value]

    def kill(self, ref: str, sig: int = signal.SIGKILL) -> None:
        """``docker kill``: the signal to every process of the container."""
        container = self.find(ref)
        if container is None or container.proc is None or container.status != "running":
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(container.proc.pid, sig)

    # ---- the API ---------------------------------------------------------------------

    def create(self, query: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        image = body.get("Image", "")
        spec = self.images.get(image)
        if spec is None:
            return 404, {"message": f"No such image: {image}"}
        host_config = body.get("HostConfig") or {}
        endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
        networks = list(endpoints) or (
            [host_config["NetworkMode"]]
            if host_config.get("NetworkMode") not in (None, "", "default", "bridge")
            else []
        )
        for net in networks:
            if net not in self.networks:
                return 404, {"message": f"network {net} not found"}
        create_env = list(body.get("Env") or [])
        env = dict(spec.env)
        env.update(item.split("=", 1) for item in create_env if "=" in item)
        cid = secrets.token_hex(32)
        name = query.get("name") or f"fake_{cid[:12]}"
        container = Container(
            id=cid,
            name=name,
            image=image,
            command=list(body.get("Cmd") or []),
            env=env,
            create_env=create_env,
            labels=dict(body.get("Labels") or {}),
            host_config=host_config,
            networks=networks,
            created=_now(),
            log_path=self.workdir / f"{cid[:12]}.log",
        )
        with self._lock:
            self.containers[cid] = container
        return 201, {"Id": cid, "Warnings": []}

    def start_container(self, container: Container) -> tuple[int, Any]:
        if container.status == "running":
            return 304, None
        spec = self.images[container.image]
        argv = list(container.command)
        exe = shutil.which(argv[0], path=container.env.get("PATH", "")) if argv else None
        if not exe:
            return 400, {"message": f"exec: {argv[:1]!r}: executable file not found in $PATH"}
        argv[0] = exe
        log = open(container.log_path, "ab")  # noqa: SIM115 - owned by the process
        try:
            proc = subprocess.Popen(
                argv,
                env=container.env,
                cwd=spec.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        container.proc, container.pid = proc, proc.pid
        container.status, container.started_at = "running", _now()
        threading.Thread(target=self._reap, args=(container,), daemon=True).start()
        return 204, None

    def _reap(self, container: Container) -> None:
        assert container.proc is not None
        code = container.proc.wait()
        # Like a container's PID 1 exiting: whatever it left behind goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(container.proc.pid, signal.SIGKILL)
        container.exit_code = _exit_code(code)
        container.finished_at = _now()
        container.status = "exited"
        container.done.set()

    def stop_container(self, container: Container, timeout_s: float) -> tuple[int, Any]:
        if container.status != "running":
            return 304, None
        self.kill(container.id, signal.SIGTERM)
        if not container.done.wait(timeout_s):
            self.kill(container.id, signal.SIGKILL)
            container.done.wait(30)
        return 204, None

    def remove(self, container: Container, force: bool) -> tuple[int, Any]:
        if container.status == "running":
            if not force:
                return 409, {"message": "You cannot remove a running container. Stop it first."}
            self.kill(container.id)
            container.done.wait(30)
        with self._lock:
            self.containers.pop(container.id, None)
        return 204, None

    def list(self, show_all: bool) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self.containers.values())
        return [
            {
                "Id": c.id,
                "Names": ["/" + c.name],
                "Image": c.image,
                "Command": " ".join(c.command),
                "Labels": c.labels,
                "State": c.status,
                "Status": c.status,
            }
            for c in items
            if show_all or c.status == "running"
        ]
