"""Reading a delivery's body: size-capped, signed while it streams, large ones spooled to disk.

GitHub signs the raw bytes, so the HMAC is computed chunk by chunk as the body
arrives and checked before anything decodes it. Only the first
``memory_body_bytes`` are kept in memory; a larger body goes to an anonymous
temporary file (removed by the kernel when closed, even after ``kill -9``), so
thirty unsigned 24 MB bodies arriving at once cost the process kilobytes, not
720 MB. The temporary files together may hold at most ``spool_bytes``
(:class:`SpoolBudget`); beyond that a delivery is answered 503.
"""

from __future__ import annotations

import hashlib
import hmac
import tempfile
import threading
from collections.abc import AsyncIterable, Iterator
from typing import IO

CHUNK = 1024 * 1024


class BodyTooLarge(Exception):
    """More bytes than the body limit (answered 413)."""


class SpoolFull(Exception):
    """The temporary files of bodies in flight would exceed their budget (answered 503)."""


class SpoolBudget:
    """Bytes of large bodies held in temporary files at once, across all requests."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, n: int) -> None:
        with self._lock:
            if self.used + n > self.limit:
                raise SpoolFull
            self.used += n

    def give(self, n: int) -> None:
        with self._lock:
            self.used -= n


class ReceivedBody:
    """The raw body, in memory or in a temporary file, with its HMAC-SHA256 (if a key was given)."""

    def __init__(self, key: bytes | None, memory_limit: int, budget: SpoolBudget) -> None:
        self._mac = hmac.new(key, digestmod=hashlib.sha256) if key is not None else None
        self._memory_limit = memory_limit
        self._budget = budget
        self._memory = bytearray()
        self._file: IO[bytes] | None = None
        self._spooled = 0
        self.size = 0

    def add(self, chunk: bytes) -> None:
        if self._mac is not None:
            self._mac.update(chunk)
        self.size += len(chunk)
        if self._file is None and len(self._memory) + len(chunk) <= self._memory_limit:
            self._memory += chunk
            return
        if self._file is None:
            self._budget.take(len(self._memory))
            self._spooled = len(self._memory)
            # Closed in close(), which read_body and the receiver always reach.
            self._file = tempfile.TemporaryFile(prefix="repo2video-body-")  # noqa: SIM115
            self._file.write(self._memory)
            self._memory = bytearray()
        self._budget.take(len(chunk))
        self._spooled += len(chunk)
        self._file.write(chunk)

    @property
    def in_memory(self) -> bool:
        return self._file is None

    def signature(self) -> str | None:
        """``sha256=<hex>`` of everything added, as GitHub computes it; None without a key."""
        return "sha256=" + self._mac.hexdigest() if self._mac is not None else None

    def bytes(self) -> bytes:
        """The whole body (for a spooled one this reads the file: use :meth:`chunks` when large)."""
        return b"".join(self.chunks())

    def chunks(self) -> Iterator[bytes]:
        if self._file is None:
            yield bytes(self._memory)
            return
        self._file.flush()
        self._file.seek(0)
        while chunk := self._file.read(CHUNK):
            yield chunk

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._budget.give(self._spooled)
            self._spooled = 0
        self._memory = bytearray()


async def read_body(
    stream: AsyncIterable[bytes],
    *,
    key: bytes | None,
    limit: int,
    memory_limit: int,
    budget: SpoolBudget,
) -> ReceivedBody:
    """Read ``stream`` into a :class:`ReceivedBody`; raises BodyTooLarge or SpoolFull.

    The size is counted while reading, so a lying or absent Content-Length cannot
    get past ``limit``. On any exception the partial body is released.
    """
    body = ReceivedBody(key, memory_limit, budget)
    try:
        async for chunk in stream:
            if body.size + len(chunk) > limit:
                raise BodyTooLarge
            body.add(chunk)
    except BaseException:
        body.close()
        raise
    return body
