"""The Docker Engine API routes of :class:`~repo2video_devtools.deploy.docker_engine.DockerEngine`.

Versioned (``/v1.45/...``) or not, as docker-py sends them: ``/_ping``, ``/version``,
containers (create, list, inspect, start, wait, stop, kill, logs, remove), networks
(inspect, connect) and images (inspect; a pull is refused). Anything else answers 404
and is recorded in the engine's ``unknown`` list.
"""

from __future__ import annotations

import json
import re
import signal
import struct
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from repo2video_devtools.deploy.docker_engine import DockerEngine

API_VERSION = "1.45"
MIN_API_VERSION = "1.24"
_VERSIONED = re.compile(r"^/v\d+\.\d+(/.*)$")


def _frames(data: bytes, stream: int = 1) -> bytes:
    """docker's multiplexed log format: 8-byte header (stream, size) before each chunk."""
    out = bytearray()
    for start in range(0, len(data), 65536):
        chunk = data[start : start + 65536]
        out += struct.pack(">BxxxL", stream, len(chunk)) + chunk
    return bytes(out)


def handler_for(engine: DockerEngine) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``engine``."""

    class Handler(_Handler):
        pass

    Handler.engine = engine
    return Handler


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
