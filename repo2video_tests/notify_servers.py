"""Loopback servers that receive notifications: an HTTP sink and an SMTP server (aiosmtpd).

Both listen on a socket bound to 127.0.0.1 port 0 before the server starts (no port
races) and record what they received, so tests check what a real client sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HttpSink:
    """Answers ``statuses`` in turn (then 200); records every request's headers and body."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    """(headers with lower-case names, body) per request."""
    port: int = 0
    retry_after: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T000/B000/sinktoken"


@contextlib.contextmanager
def serve_http_sink(sink: HttpSink) -> Iterator[HttpSink]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            sink.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = sink.statuses.pop(0) if sink.statuses else 200
            self.send_response(status)
            if status >= 400 and sink.retry_after is not None:
                self.send_header("Retry-After", sink.retry_after)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@dataclass
class SmtpSink:
    """What the SMTP server accepted: messages (envelopes) and login attempts."""

    messages: list[Any] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0


@contextlib.contextmanager
def serve_smtp(
    tls: ssl.SSLContext | None = None, credentials: tuple[str, str] | None = None
) -> Iterator[SmtpSink]:
    """aiosmtpd's SMTP server on its own event loop thread; STARTTLS (required) with ``tls``,
    AUTH (after TLS) checked against ``credentials``."""
    from aiosmtpd.smtp import SMTP, AuthResult

    sink = SmtpSink()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            sink.messages.append(envelope)
            return "250 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        login = (auth_data.login.decode(), auth_data.password.decode())
        sink.logins.append(login)
        return AuthResult(success=login == credentials, handled=False)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    sink.port = listener.getsockname()[1]
    loop = asyncio.new_event_loop()

    def factory() -> SMTP:
        return SMTP(
            Handler(),
            hostname="repo2video.test",
            tls_context=tls,
            require_starttls=tls is not None,
            authenticator=authenticator if credentials else None,
            auth_require_tls=True,
            loop=loop,
        )

    server = loop.run_until_complete(loop.create_server(factory, sock=listener))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
