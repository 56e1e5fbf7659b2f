"""Who may read ``/jobs`` and ``/health`` detail, who the client is, and what URL the receiver has.

The webhook port is reachable by anyone who can send a delivery, but the job
API lists every delivery with its repository, run and outputs. So:

- with ``REPO2VIDEO_API_TOKEN`` (or a file named by ``REPO2VIDEO_API_TOKEN_FILE``)
  set, the API answers only requests with ``Authorization: Bearer <token>``;
- without a token it answers only clients on loopback that did not come through
  a proxy (a request with forwarding headers from an untrusted peer may be a
  local reverse proxy relaying the whole internet);
- ``GET /health`` without either still answers ``{"status": "ok"}`` (liveness).

The forwarding header ``X-Forwarded-For`` is believed only
from peers listed in ``REPO2VIDEO_TRUSTED_PROXIES`` (addresses or networks,
default none): anyone else could use them to rewrite the logged client address.
Links the receiver hands out (``status_url``) start with ``REPO2VIDEO_PUBLIC_URL``,
or else the address of the socket the request arrived on; never with the Host
header, which the client chooses.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.secrets import read_secret

log = logging.getLogger(__name__)

TOKEN_ENV = "REPO2VIDEO_API_TOKEN"
TOKEN_FILE_ENV = "REPO2VIDEO_API_TOKEN_FILE"
PUBLIC_URL_ENV = "REPO2VIDEO_PUBLIC_URL"
TRUSTED_PROXIES_ENV = "REPO2VIDEO_TRUSTED_PROXIES"

PEER_KEY = "repo2video.peer"
"""Scope key holding the socket's peer address when that peer is a trusted proxy."""

_FORWARDING_HEADERS = (b"x-forwarded-for", b"forwarded", b"x-real-ip", b"x-forwarded-host")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin-1")
    return None


def load_token(env: Mapping[str, str] | None = None) -> bytes | None:
    """The API token from the environment or the file it names; None when unset."""
    return read_secret(TOKEN_ENV, TOKEN_FILE_ENV, "API token", env)


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.1, 192.168.0.0/16"`` -> networks; raises UserError for a bad entry."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise UserError(
                f"{TRUSTED_PROXIES_ENV}: {part!r} is not an address or network",
                hint="Use addresses or CIDR networks, separated by commas",
            ) from None
    return tuple(out)


def parse_public_url(text: str) -> str | None:
    text = text.strip().rstrip("/")
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UserError(
            f"{PUBLIC_URL_ENV}={text!r} is not an http(s) base URL",
            hint="For example https://hooks.example.com (a path prefix is allowed)",
        )
    return text


@dataclass(frozen=True)
class ApiAccess:
    token: bytes | None = None
    trusted_proxies: tuple[Network, ...] = ()
    public_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiAccess:
        env = os.environ if env is None else env
        return cls(
            token=load_token(env),
            trusted_proxies=parse_networks(env.get(TRUSTED_PROXIES_ENV, "")),
            public_url=parse_public_url(env.get(PUBLIC_URL_ENV, "")),
        )

    # ---- client address -------------------------------------------------------------

    def _trusted(self, host: str | None) -> bool:
        addr = _ip(host) if host else None
        return addr is not None and any(addr in net for net in self.trusted_proxies)

    def resolve_client(self, scope: MutableMapping[str, Any]) -> None:
        """Rewrite ``scope["client"]`` from a trusted proxy's ``X-Forwarded-For``, in place.

        The client is the right-most address that is not itself a trusted proxy.
        From any other peer the header is ignored. (Links behind a proxy come from
        ``REPO2VIDEO_PUBLIC_URL``, so ``X-Forwarded-Proto``/``-Host`` are not needed.)
        """
        client = scope.get("client")
        if not client or not self._trusted(client[0]):
            return
        scope[PEER_KEY] = client
        forwarded = _header(scope, b"x-forwarded-for")
        if forwarded:
            hops = [h.strip() for h in forwarded.split(",") if h.strip()]
            for hop in reversed(hops):
                if _ip(hop) is None:
                    break  # garbage: stop believing the chain here
                if not self._trusted(hop):
                    scope["client"] = (str(_ip(hop)), 0)
                    break

    # ---- reading the API --------------------------------------------------------------

    def may_read(self, scope: Mapping[str, Any]) -> tuple[bool, int, str]:
        """(allowed, status when not, one-line reason) for the job API and /health detail."""
        if self.token is not None:
            given = _header(scope, b"authorization") or ""
            scheme, _, value = given.partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(
                value.strip().encode("utf-8", "replace"), self.token
            ):
                return True, 200, ""
            return False, 401, "send Authorization: Bearer <REPO2VIDEO_API_TOKEN>"
        client = scope.get("client")
        addr = _ip(client[0]) if client else None
        proxied_by_stranger = PEER_KEY not in scope and any(
            _header(scope, h) is not None for h in _FORWARDING_HEADERS
        )
        if addr is not None and addr.is_loopback and not proxied_by_stranger:
            return True, 200, ""
        return False, 403, f"the job API answers only loopback clients unless {TOKEN_ENV} is set"

    # ---- links --------------------------------------------------------------------------

    def base_url(self, scope: Mapping[str, Any]) -> str:
        """``REPO2VIDEO_PUBLIC_URL``, else ``http://<address the socket listens on>``."""
        if self.public_url:
            return self.public_url
        server = scope.get("server")
        if not server:
            return ""
        host, port = server[0], server[1]
        if ":" in str(host):
            host = f"[{host}]"
        scheme = scope.get("scheme") or "http"
        return f"{scheme}://{host}:{port}" if port is not None else f"{scheme}://{host}"

    def status_url(self, scope: Mapping[str, Any], job_id: str) -> str:
        return f"{self.base_url(scope)}/jobs/{quote(job_id, safe='')}"
