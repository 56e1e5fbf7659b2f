"""Real git servers on loopback for tests: smart HTTP over TLS, redirects, a CONNECT proxy.

Nothing here fakes git: :func:`serve_git` runs ``git http-backend`` as a CGI behind
a small threaded HTTPS server (certificates from a throw-away CA made with the
``openssl`` command), so the product's real ``git`` clones over a real
connection. Servers bind to port 0 (or to a port another server got) and record
every request, so tests can see which server git talked to.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import selectors
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

TEST_NAMES = ("git.repo2video.test", "other.repo2video.test", "internal.repo2video.test")
"""Host names in the test certificate; ``.test`` is reserved, no resolver knows them."""


@dataclass(frozen=True)
class LoopbackCA:
    """A CA file git and the probe trust (``GIT_SSL_CAINFO``) and the server's key pair."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_test_ca(folder: Path) -> LoopbackCA:
    """A CA and a server certificate for :data:`TEST_NAMES`, ``127.0.0.1`` and ``::1``."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (
        folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    names = ",".join(f"DNS:{n}" for n in TEST_NAMES)
    ext = folder / "server.ext"
    ext.write_text(
        f"subjectAltName={names},IP:127.0.0.1,IP:::1\n"
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        encoding="ascii",
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for args in (
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "3650"]
        + ["-subj", "/CN=repo2video test CA"],
        ["req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={TEST_NAMES[0]}"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial"]
        + ["-out", cert, "-days", "3650", "-extfile", ext],
    ):
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)
    return LoopbackCA(ca_file=ca, cert_file=cert, key_file=key)


@dataclass
class GitServer:
    """One running server: where it listens, what it redirects, what it was asked."""

    address: str
    port: int
    redirects: dict[str, str] = field(default_factory=dict)
    """Path prefix -> replacement (a path or a full URL); answered with 301."""
    requests: list[str] = field(default_factory=list)
    """``METHOD /path?query`` of every request, in order."""


class _GitHandler(http.server.BaseHTTPRequestHandler):
    server: _GitHTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def _serve(self) -> None:
        state = self.server.state
        state.requests.append(f"{self.command} {self.path}")
        path, _, query = self.path.partition("?")
        for prefix, replacement in state.redirects.items():
            if path.startswith(prefix):
                target = replacement + path[len(prefix) :] + (f"?{query}" if query else "")
                self.send_response(301)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        body = self._body()
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_COUNT": "2",
            "GIT_CONFIG_KEY_0": "uploadpack.allowFilter",  # blobless clones
            "GIT_CONFIG_VALUE_0": "true",
            "GIT_CONFIG_KEY_1": "uploadpack.allowAnySHA1InWant",  # their lazy fetches
            "GIT_CONFIG_VALUE_1": "true",
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
        }
        for header, var in (
            ("Content-Encoding", "HTTP_CONTENT_ENCODING"),
            ("Git-Protocol", "GIT_PROTOCOL"),
        ):
            if value := self.headers.get(header):
                env[var] = value
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60
        ).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(chunks)


class _GitHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: str, port: int, root: Path, state: GitServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address else socket.AF_INET
        super().__init__((address, port), _GitHandler)
        self.root = root
        self.state = state

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up early (the redirect probe) is not an error


@contextlib.contextmanager
def serve_git(
    root: Path, ca: LoopbackCA, address: str = "127.0.0.1", port: int = 0
) -> Iterator[GitServer]:
    """Serve the bare repositories under ``root`` over HTTPS on ``address:port``."""
    state = GitServer(address=address, port=0)
    server = _GitHTTPServer(address, port, root, state)
    server.socket = ca.server_context().wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


@dataclass
class Proxy:
    """A CONNECT proxy that looks names up in its own table; ``tunnels`` lists what it was asked."""

    port: int
    names: dict[str, str]
    tunnels: list[str] = field(default_factory=list)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _ProxyServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_CONNECT(self) -> None:
        state = self.server.state
        state.tunnels.append(self.path)
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((state.names.get(host, host), int(port)), 10)
        except OSError:
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        with upstream, selectors.DefaultSelector() as sel:
            sel.register(self.connection, selectors.EVENT_READ, upstream)
            sel.register(upstream, selectors.EVENT_READ, self.connection)
            while True:
                for key, _ in sel.select(30):
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)


class _ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: Proxy) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.state = state


@contextlib.contextmanager
def serve_proxy(names: dict[str, str]) -> Iterator[Proxy]:
    """An http proxy on loopback that tunnels (CONNECT) to ``names[host]`` or the host itself."""
    state = Proxy(port=0, names=names)
    server = _ProxyServer(state)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
