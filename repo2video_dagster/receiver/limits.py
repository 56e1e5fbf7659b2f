"""Per-connection and per-request bounds of the receiver, from ``REPO2VIDEO_WEBHOOK_*``.

The receiver listens where anyone may connect, so every resource a client can
make it hold is bounded: the bytes of a request head (request line and headers),
the number of headers, the URL, how long a head or a body may take to arrive,
how long an idle connection is kept, how many connections are open, how large a
body is, how much of a body is kept in memory (the rest goes to a temporary file,
with a total cap), and how long a large body may take to decode.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from repo2video_dagster.lib.core.errors import UserError

ENV_PREFIX = "REPO2VIDEO_WEBHOOK_"
MB = 1024 * 1024


@dataclass(frozen=True)
class ReceiverLimits:
    """Each field is read from ``REPO2VIDEO_WEBHOOK_<FIELD NAME IN CAPITALS>``."""

    max_header_bytes: int = 16 * 1024
    """Request line plus headers; more is answered 431 and the connection closed."""
    max_headers: int = 100
    """Header lines; more is answered 431."""
    max_url_bytes: int = 2048
    """Path plus query string; longer is answered 414."""
    header_timeout_s: float = 10.0
    """The whole request head must arrive within this (408, then close)."""
    body_timeout_s: float = 30.0
    """The whole body must arrive within this after the head (408, then close)."""
    keepalive_timeout_s: float = 5.0
    """An idle connection between requests is closed after this."""
    max_connections: int = 1000
    """Open connections; above it new ones are answered 503 and closed."""
    max_body_bytes: int = 25 * MB
    """GitHub caps payloads at 25 MB; larger bodies are answered 413."""
    memory_body_bytes: int = 64 * 1024
    """Bodies up to this stay in memory and are decoded in the event loop."""
    spool_bytes: int = 1024 * MB
    """Bytes of larger bodies held in temporary files at once; beyond it 503."""
    decode_timeout_s: float = 30.0
    """A large body is decoded in a child process, killed after this (400)."""
    decode_workers: int = 2
    """Child processes decoding large bodies at once."""

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) <= 0:
                raise UserError(
                    f"{ENV_PREFIX}{f.name.upper()} must be positive",
                    hint="Unset it to use the default",
                )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReceiverLimits:
        """Defaults, overridden by every ``REPO2VIDEO_WEBHOOK_<NAME>`` that is set."""
        env = os.environ if env is None else env
        values: dict[str, int | float] = {}
        for f in fields(cls):
            name = ENV_PREFIX + f.name.upper()
            raw = (env.get(name) or "").strip()
            if not raw:
                continue
            kind = float if f.name.endswith("_s") else int
            try:
                values[f.name] = kind(raw)
            except ValueError:
                raise UserError(
                    f"{name}={raw!r} is not a number", hint="Unset it to use the default"
                ) from None
        return cls(**values)
