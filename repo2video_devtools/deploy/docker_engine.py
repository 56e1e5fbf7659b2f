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
import json
import os
import re
import secrets
import shutil
import signal
import struct
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

API_VERSION = "1.45"
MIN_API_VERSION = "1.24"
_VERSIONED = re.compile(r"^/v\d+\.\d+(/.*)$")


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


def _frames(data: bytes, stream: int = 1) -> bytes:
    """docker's multiplexed log format: 8-byte header (stream, size) before each chunk."""
    out = bytearray()
    for start in range(0, len(data), 65536):
        chunk = data[start : start + 65536]
        out += struct.pack(">BxxxL", stream, len(chunk)) + chunk
    return bytes(out)


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
        engine = self

        class Handler(_Handler):
            pass

        Handler.engine = engine
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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


class _Handler(BaseHTTPRequestHandler):
    """Routes of the Docker Engine API, versioned (``/v1.45/...``) or not."""

    protocol_version = "HTTP/1.1"
    engine: DockerEngine
    _payload: dict[str, Any] = {}

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _send(self, status: int, payload: Any = None, content_type: str = "application/json"):
        if isinstance(payload, bytes):
            body = payload
        elif payload is None:
            body = b""
        else:
            body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Api-Version", API_VERSION)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw.strip() else {}

    def _route(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path
        if match := _VERSIONED.match(path):
            path = match.group(1)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        engine = self.engine
        engine.calls.append((method, path))
        body = self._payload = self._body() if method in ("POST", "DELETE") else {}
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if path == "/_ping":
            return self._send(200, b"OK", "text/plain")
        if path == "/version":
            return self._send(
                200,
                {
                    "ApiVersion": API_VERSION,
                    "MinAPIVersion": MIN_API_VERSION,
                    "Version": "repo2video-fake",
                    "Os": "linux",
                    "Arch": "amd64",
                },
            )
        if method == "POST" and path == "/containers/create":
            return self._send(*engine.create(query, body))
        if method == "GET" and path == "/containers/json":
            return self._send(200, engine.list(query.get("all") in ("1", "true", "True")))
        if parts[0] == "containers" and len(parts) >= 2:
            return self._container(method, parts, query)
        if parts[0] == "networks" and len(parts) >= 2:
            return self._network(method, parts)
        if parts[0] == "images" and method == "GET" and parts[-1] == "json":
            name = "/".join(parts[1:-1])
            if name in engine.images:
                return self._send(200, {"Id": "sha256:" + "0" * 64, "RepoTags": [name]})
            return self._send(404, {"message": f"No such image: {name}"})
        if parts[0] == "images" and method == "POST" and parts[-1] == "create":
            image = query.get("fromImage", "")
            return self._send(404, {"message": f"pull access denied for {image}"})
        engine.unknown.append((method, path))
        return self._send(404, {"message": "page not found"})

    def _container(self, method: str, parts: list[str], query: dict[str, str]) -> None:
        engine = self.engine
        container = engine.find(parts[1])
        if container is None:
            return self._send(404, {"message": f"No such container: {parts[1]}"})
        action = parts[2] if len(parts) > 2 else ""
        if method == "GET" and action == "json":
            return self._send(200, container.inspect())
        if method == "POST" and action == "start":
            return self._send(*engine.start_container(container))
        if method == "POST" and action == "wait":
            if container.status != "created":
                container.done.wait()
            return self._send(200, {"StatusCode": container.exit_code, "Error": None})
        if method == "POST" and action == "stop":
            return self._send(*engine.stop_container(container, float(query.get("t", "10"))))
        if method == "POST" and action == "kill":
            sig = getattr(signal, query.get("signal", "SIGKILL"), signal.SIGKILL)
            engine.kill(container.id, sig)
            return self._send(204)
        if method == "GET" and action == "logs":
            data = container.log_path.read_bytes() if container.log_path.exists() else b""
            return self._send(200, _frames(data), "application/vnd.docker.raw-stream")
        if method == "DELETE" and not action:
            force = query.get("force") in ("1", "true", "True")
            return self._send(*engine.remove(container, force))
        engine.unknown.append((method, "/" + "/".join(parts)))
        return self._send(404, {"message": "page not found"})

    def _network(self, method: str, parts: list[str]) -> None:
        engine = self.engine
        name = parts[1]
        if name not in engine.networks:
            return self._send(404, {"message": f"network {name} not found"})
        if method == "GET" and len(parts) == 2:
            return self._send(200, {"Id": name, "Name": name, "Containers": {}})
        if method == "POST" and parts[2:] == ["connect"]:
            container = engine.find(self._payload.get("Container", ""))
            if container is None:
                return self._send(404, {"message": "No such container"})
            container.networks.append(name)
            return self._send(200)
        engine.unknown.append((method, "/" + "/".join(parts)))
        return self._send(404, {"message": "page not found"})

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._route("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._route("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")
