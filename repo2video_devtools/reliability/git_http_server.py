"""A git host on 127.0.0.1 that can fail on purpose: ``git http-backend`` as CGI behind TLS.

The product clones over https only, so the server speaks TLS with a certificate
made for the run (``openssl``); git trusts it through ``GIT_SSL_CAINFO``, which
the product passes through to git (see :func:`trusting`). Requests are answered by
the real ``git http-backend`` (the smart HTTP protocol, as GitHub speaks it),
except those a queued :class:`Fault` claims: an HTTP 500, or a connection closed
without an answer (what a reset load balancer does mid-transfer).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal

FaultKind = Literal["500", "drop"]


@dataclass
class Fault:
    """Answer the next request whose path ends with ``path_suffix`` with ``kind``: an HTTP
    500, or (``drop``) the first half of the real answer and then a closed connection."""

    path_suffix: str
    """``/info/refs`` (the ref advertisement) or ``/git-upload-pack`` (protocol v2 commands)."""
    kind: FaultKind
    command: str | None = None
    """Only an upload-pack request for this protocol v2 command: ``ls-refs`` (what
    ``git ls-remote`` asks) or ``fetch`` (the pack itself)."""


@dataclass
class GitHttpServer:
    """A running server: where it is, what it was asked, which faults are still queued."""

    root: Path
    """Bare repositories served as ``https://127.0.0.1:<port>/<name>.git``."""
    port: int
    cafile: Path
    faults: list[Fault] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    """``METHOD path status`` of every request, faults included."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def host(self) -> str:
        """The ``host:port`` a source policy must allow."""
        return f"127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        return f"https://{self.host}/{name}.git"

    def publish(self, repo: Path, name: str) -> str:
        """Serve a bare copy of ``repo`` as ``name``; returns its URL."""
        bare = self.root / f"{name}.git"
        shutil.rmtree(bare, ignore_errors=True)
        subprocess.run(
            ["git", "clone", "--quiet", "--bare", str(repo), str(bare)],
            check=True,
            capture_output=True,
        )
        for key in ("uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant"):  # as GitHub
            subprocess.run(["git", "-C", str(bare), "config", key, "true"], check=True)
        return self.url(name)

    def take_fault(self, path: str, body: bytes) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self.faults):
                if path.endswith(fault.path_suffix) and (
                    fault.command is None or f"command={fault.command}".encode() in body
                ):
                    return self.faults.pop(i)
        return None

    def record(self, line: str) -> None:
        with self._lock:
            self.requests.append(line)


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and its key), made with ``openssl``."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def _plain(body: bytes, encoding: str | None) -> bytes:
    """A request body as sent before compression (git gzips large upload-pack requests)."""
    if (encoding or "").lower() in ("gzip", "x-gzip"):
        with contextlib.suppress(OSError, EOFError):
            return gzip.decompress(body)
    return body


def _handler(server: GitHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            path, _, query = self.path.partition("?")
            body = self._body()
            fault = server.take_fault(path, _plain(body, self.headers.get("Content-Encoding")))
            if fault is not None and fault.kind == "500":
                server.record(f"{self.command} {path} 500")
                self._answer(500, {"Content-Type": "text/plain"}, b"injected failure\n")
                return
            status, headers, out = self._backend(path, query, body)
            if fault is not None:  # "drop": half the answer, then the connection closes
                server.record(f"{self.command} {path} dropped")
                self._answer(status, headers, out, cut=len(out) // 2)
                return
            server.record(f"{self.command} {path} {status}")
            self._answer(status, headers, out)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _backend(self, path: str, query: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
            env = {
                "PATH": os.environ.get("PATH", os.defpath),
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_ADDR": "127.0.0.1",
                "GIT_CONFIG_NOSYSTEM": "1",
                "HOME": str(server.root),
            }
            if encoding := self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = encoding
            if protocol := self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = protocol
            proc = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60
            )
            head, _, out = proc.stdout.partition(b"\r\n\r\n")
            status, headers = 200, {}
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers[name] = value.strip()
            return status, headers, out

        def _answer(
            self, status: int, headers: dict[str, str], body: bytes, cut: int | None = None
        ) -> None:
            """Send the answer; with ``cut``, only its first ``cut`` bytes, then hang up."""
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body if cut is None else body[:cut])
            if cut is not None:
                self.wfile.flush()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

    return Handler


@contextlib.contextmanager
def serve_git(work: Path) -> Iterator[GitHttpServer]:
    """Serve ``work/repos`` over https on an ephemeral loopback port until the block ends."""
    root = work / "repos"
    root.mkdir(parents=True, exist_ok=True)
    cert, key = make_certificate(work / "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    state = GitHttpServer(root=root, port=0, cafile=cert)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def trusting(server: GitHttpServer) -> Iterator[None]:
    """Let git (run by the product, in this process) trust the server's certificate."""
    old = os.environ.get("GIT_SSL_CAINFO")
    os.environ["GIT_SSL_CAINFO"] = str(server.cafile)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("GIT_SSL_CAINFO", None)
        else:
            os.environ["GIT_SSL_CAINFO"] = old
