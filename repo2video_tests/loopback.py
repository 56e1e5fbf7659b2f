"""Real servers and processes on 127.0.0.1 for tests, shared so every test talks HTTP the same way.

Nothing here fakes the product: `serve_app` runs the real ASGI app under a real
uvicorn on a real socket, and `managed_process` starts real executables.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from repo2video_dagster.receiver.webhooks import compute_signature


@contextlib.contextmanager
def serve_app(app, *, lifespan: str = "auto", backlog: int = 256, **options: Any) -> Iterator[int]:
    """Serve ``app`` on an ephemeral loopback port (bound before start, so no race); yield the port.

    ``options`` go to ``uvicorn.Config`` (for example ``serve.server_options(limits)``).
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)  # polling interval
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def http_json(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    """One request to 127.0.0.1:port; the status and the decoded JSON body ({} when empty)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def github_headers(
    event: str, delivery: str, body: bytes, secret: str, content_type: str = "application/json"
) -> dict[str, str]:
    """The headers GitHub sends with a delivery, signed with ``secret``."""
    return {
        "Content-Type": content_type,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": compute_signature(secret, body),
    }


@contextlib.contextmanager
def managed_process(
    args: list[str], env: dict[str, str], log: Path, cwd: Path
) -> Iterator[subprocess.Popen]:
    """Run ``args`` with output to ``log``; terminate (then kill) exactly this process on exit."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


_RUNNING_RE = re.compile(rb"Uvicorn running on http://[^ ]+:(\d+)")


@contextlib.contextmanager
def receiver_process(env: dict[str, str], log: Path, cwd: Path) -> Iterator[tuple[int, int]]:
    """``python -m repo2video_dagster.receiver.serve --port 0`` as its own process.

    Yields ``(pid, port)`` once uvicorn reports the port it bound and ``/health``
    answers; the process is terminated (then killed) on exit.
    """
    args = [sys.executable, "-m", "repo2video_dagster.receiver.serve", "--port", "0"]
    with managed_process(args, env, log, cwd) as proc:
        deadline = time.monotonic() + 90
        port = None
        while port is None:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the receiver did not start"
            if found := _RUNNING_RE.search(log.read_bytes()):
                port = int(found.group(1))
            else:
                time.sleep(0.1)
        while True:
            with contextlib.suppress(OSError):
                if http_json(port, "GET", "/health")[0] in (200, 503):
                    break
            assert time.monotonic() < deadline, "the receiver did not answer"
            time.sleep(0.1)
        yield proc.pid, port
