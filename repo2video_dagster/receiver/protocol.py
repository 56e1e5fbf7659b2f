"""uvicorn's h11 protocol with the bounds a public listener needs.

uvicorn (0.54) bounds none of these by itself: with httptools a client can send
headers without end and the server buffers them all (250 MB of header lines took
the receiver past 1 GB); with either parser a connection that sends half a
request head, or a body shorter than its Content-Length, is kept open forever,
and so is a connection that never sends anything. This protocol

- parses with h11, whose receive buffer is capped (``max_header_bytes``): a
  larger head is answered 431 and the connection closed;
- closes a connection whose request head has not fully arrived
  ``header_timeout_s`` after it opened (or after the previous response): 408
  when part of a head came, silently when nothing did;
- closes a connection whose body has not fully arrived ``body_timeout_s`` after
  its head (408 when no response was sent yet);
- refuses connections above ``max_connections`` with 503.

The keep-alive timeout, the header count and the URL length are enforced by
uvicorn's ``timeout_keep_alive`` and by :mod:`repo2video_dagster.receiver.guard`.
"""

from __future__ import annotations

import asyncio
import http
import json
import logging
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from repo2video_dagster.receiver.limits import ReceiverLimits

log = logging.getLogger(__name__)


def raw_response(status: int, message: str) -> bytes:
    """A complete ``Connection: close`` response with a one-line JSON error."""
    body = json.dumps({"error": message}).encode()
    head = (
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class _RefusalLog:
    """One WARNING per second at most while connections are refused (a flood must not flood the log)."""

    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0

    def note(self, open_now: int, cap: int) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last >= 1.0:
            log.warning(
                "refused %d connection(s): %d open (REPO2VIDEO_WEBHOOK_MAX_CONNECTIONS=%d)",
                self.count,
                open_now,
                cap,
            )
            self.count = 0
            self.last = now


_refusals = _RefusalLog()


class _RecordingConnection(h11.Connection):
    """h11's connection, remembering the last protocol error so the answer can use its status."""

    last_error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.last_error = exc
            raise


class GuardedH11Protocol(H11Protocol):
    """H11Protocol with head/body deadlines, a head size answer and a connection cap.

    Use :func:`guarded_protocol` to get a subclass bound to a :class:`ReceiverLimits`.
    """

    limits: ReceiverLimits = ReceiverLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _RecordingConnection(h11.SERVER, self.limits.max_header_bytes)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase: str | None = None
        self._head_started = False

    # ---- connection events --------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            _refusals.note(len(self.connections) - 1, self.limits.max_connections)
            self._close_with(503, "too many connections; retry later")
            return
        self._watch()

    def data_received(self, data: bytes) -> None:
        if self._phase == "head" and data:
            self._head_started = True
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """h11 refused the request: 431 when the head outgrew the buffer, else 400."""
        error = self.conn.last_error
        if error is not None and error.error_status_hint == 431:
            self._close_with(431, f"request head larger than {self.limits.max_header_bytes} bytes")
        else:
            self._close_with(400, "malformed HTTP request")

    # ---- deadlines ----------------------------------------------------------------

    def _watch(self) -> None:
        """Arm the deadline of the phase the client is in: sending a head, or a body."""
        if self.transport is None or self.transport.is_closing():
            self._cancel()
            return
        state = self.conn.their_state
        phase = "head" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if phase == self._phase:
            return
        self._cancel()
        self._phase = phase
        if phase == "head":
            self._head_started = False
            self._deadline = self.loop.call_later(
                self.limits.header_timeout_s, self._expired, "head"
            )
        elif phase == "body":
            self._deadline = self.loop.call_later(self.limits.body_timeout_s, self._expired, "body")

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = None

    def _expired(self, phase: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        if phase == "head":
            if not self._head_started:
                log.debug("closed an idle connection from %s", client)
                self._close_silently()
                return
            log.info(
                "closed a connection from %s: request head incomplete after %.0f s",
                client,
                self.limits.header_timeout_s,
            )
            self._close_with(408, "request head not received in time")
            return
        log.info(
            "closed a connection from %s: request body incomplete after %.0f s",
            client,
            self.limits.body_timeout_s,
        )
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            cycle.disconnected = True  # the app's own answer, if any, goes nowhere
            cycle.message_event.set()
            self._close_with(408, "request body not received in time")
        else:
            self._close_silently()

    def _close_with(self, status: int, message: str) -> None:
        if self.cycle is not None:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.write(raw_response(status, message))
        self._close_silently()

    def _close_silently(self) -> None:
        self._cancel()
        self.transport.close()


def guarded_protocol(limits: ReceiverLimits) -> type[GuardedH11Protocol]:
    """A protocol class for ``uvicorn.Config(http=...)`` bound to ``limits``."""
    return type("BoundGuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})
