"""ASGI middleware in front of the receiver: header count, URL length, the real client address.

The protocol (:mod:`repo2video_dagster.receiver.protocol`) bounds the bytes and
time of a request head; this refuses what is within those bytes but still not a
request the receiver serves (hundreds of tiny headers, a long URL), before any
route looks at it, and resolves the client address from a trusted proxy.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from repo2video_dagster.receiver.access import ApiAccess
from repo2video_dagster.receiver.limits import ReceiverLimits


class RequestGuard:
    def __init__(self, app: ASGIApp, limits: ReceiverLimits, access: ApiAccess) -> None:
        self.app = app
        self.limits = limits
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        self.access.resolve_client(scope)
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        headers: list[Any] = scope.get("headers") or []
        if len(headers) > self.limits.max_headers:
            return _closing(431, f"more than {self.limits.max_headers} header lines")
        url_bytes = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if url_bytes > self.limits.max_url_bytes:
            return _closing(414, f"URL longer than {self.limits.max_url_bytes} bytes")
        # The protocol caps a head that is still arriving; one that arrived whole in a
        # single read (up to 256 KB) is measured here.
        head_bytes = url_bytes + sum(len(k) + len(v) + 4 for k, v in headers)
        if head_bytes > self.limits.max_header_bytes:
            return _closing(431, f"request head larger than {self.limits.max_header_bytes} bytes")
        return None


def _closing(status: int, message: str) -> JSONResponse:
    """A one-line error that also ends the connection (its body, if any, is not read)."""
    return JSONResponse({"error": message}, status_code=status, headers={"connection": "close"})
