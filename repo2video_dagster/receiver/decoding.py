"""Decode and classify a verified body: small ones in the event loop, large ones in a child process.

Why a process and not a thread: ``json.loads`` is one C call that holds the GIL
until it returns, and on a 24 MB body that is 0.3 s for a real push payload and
over 2 s for ``{"a":[{},{},...]}`` (which also needs ~640 MB of objects). In a
thread that still stalls every other request (``/health`` waited 533 ms). A
child process parses with its own GIL and its own memory, which the kernel takes
back when it exits; the receiver's process only streams the body to it in 1 MB
pieces and gets back the small :class:`Classification`.

Children are forked from a ``forkserver`` that has already imported the
classifier, so one costs ~15 ms instead of a fresh interpreter's ~300 ms. At
most ``decode_workers`` run at once; one that takes longer than
``decode_timeout_s`` is killed and the delivery answered 400.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from multiprocessing.connection import Connection
from typing import Any

import anyio

from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.receiver.body import ReceivedBody
from repo2video_dagster.receiver.webhooks import (
    Classification,
    PayloadError,
    decode_and_classify,
)

log = logging.getLogger(__name__)

# Each child re-runs the parent's main script (multiprocessing's "prepare" step); for
# `repo2video webhook serve` that imports the CLI, so the forkserver has it ready
# (~80 ms less per child).
_PRELOAD = ["repo2video_dagster.receiver.decoding", "repo2video_dagster.cli"]
_context_lock = threading.Lock()
_context: Any = None


def _forkserver() -> Any:
    """The forkserver context, with the classifier preloaded (one per process)."""
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(_PRELOAD)
            _context = ctx
        return _context


def warm_up() -> None:
    """Start the forkserver now, so the first large delivery does not pay for it (~0.3 s).

    Best effort: if it cannot start here, the first large delivery tries again.
    """
    from multiprocessing import forkserver

    _forkserver()
    try:
        forkserver.ensure_running()
    except OSError as exc:
        log.warning("could not start the decoder's forkserver yet: %s", exc)


class PayloadDecoder:
    """Turns a verified body into a :class:`Classification`; raises PayloadError (a 400)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        policy: SourcePolicy,
        timeout_s: float,
        workers: int,
    ) -> None:
        self.allow_private = allow_private
        self.policy = policy
        self.timeout_s = timeout_s
        self._slots = asyncio.Semaphore(workers)
        self.children_started = 0

    async def classify(
        self, body: ReceivedBody, content_type: str | None, event: str
    ) -> Classification:
        if body.in_memory:
            return decode_and_classify(
                body.bytes(),
                content_type,
                event,
                allow_private=self.allow_private,
                policy=self.policy,
            )
        async with self._slots:
            self.children_started += 1
            return await anyio.to_thread.run_sync(self._in_child, body, content_type, event)

    def _in_child(self, body: ReceivedBody, content_type: str | None, event: str) -> Classification:
        ctx = _forkserver()
        ours, theirs = ctx.Pipe()
        args = (theirs, content_type, event, self.allow_private, self.policy)
        child = ctx.Process(target=_child_main, args=args, daemon=True)
        try:
            child.start()
        except OSError as exc:
            ours.close()
            theirs.close()
            log.error("cannot start a decoder process: %s", exc)
            raise PayloadError("body could not be decoded (no decoder process)") from exc
        theirs.close()
        try:
            for chunk in body.chunks():
                ours.send_bytes(chunk)
            ours.send_bytes(b"")
            if not ours.poll(self.timeout_s):
                raise PayloadError(f"body not decoded within {self.timeout_s:.0f} s")
            kind, value = ours.recv()
        except (EOFError, OSError) as exc:
            raise PayloadError("body could not be decoded") from exc
        finally:
            ours.close()
            if child.is_alive():
                child.kill()
            child.join(5)
        if kind == "ok":
            return value
        raise PayloadError(value)


def _child_main(
    conn: Connection,
    content_type: str | None,
    event: str,
    allow_private: bool,
    policy: SourcePolicy,
) -> None:
    """In the child: read the body in pieces, decode, classify, send back the result."""
    parts = []
    while chunk := conn.recv_bytes():
        parts.append(chunk)
    body = b"".join(parts)
    del parts
    try:
        result: tuple[str, Any] = (
            "ok",
            decode_and_classify(
                body, content_type, event, allow_private=allow_private, policy=policy
            ),
        )
    except PayloadError as exc:
        result = ("error", str(exc))
    except MemoryError:
        result = ("error", "body is not valid JSON: too large to decode")
    del body
    conn.send(result)
    conn.close()
