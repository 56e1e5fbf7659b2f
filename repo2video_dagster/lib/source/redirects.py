"""Redirects of an https remote, followed here one validated hop at a time instead of by git.

git's own redirect following (``http.followRedirects``) would let a server send
the clone to any host and any address. Git runs with redirects off instead, and
before it starts, :func:`final_endpoint` asks the server for what git asks for
first (``<url>/info/refs?service=git-upload-pack``). Every redirect must stay on
https, go to an allowed host and resolve to addresses that pass
:func:`~repo2video_dagster.lib.source.addresses.check_host_addresses`; each
request is sent to those validated addresses. Git is then given the final URL,
pinned to the final host's addresses. GitHub's renames (a 301 to the new
``owner/name`` on the same host) keep working.

Behind an http proxy (``https_proxy``) the request goes through the proxy's
``CONNECT`` tunnel, as git's does; then the proxy looks the name up, so the
address check is only as strong as the proxy's own egress rules.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from repo2video_dagster.lib.core.errors import SourceError, SourceUnavailableError
from repo2video_dagster.lib.source.addresses import Resolver, check_host_addresses
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.redaction import redact_credentials

ADVERTISEMENT = "/info/refs?service=git-upload-pack"
"""What git requests first; git requires a redirect to keep this tail, and so do we."""
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_HEADERS = {"User-Agent": "git/2 (repo2video)", "Git-Protocol": "version=2", "Accept": "*/*"}


@dataclass(frozen=True)
class Endpoint:
    """An https repository URL and the validated addresses its host is to be reached at."""

    url: str
    host: str
    port: int
    addresses: tuple[str, ...]


def final_endpoint(
    url: str, policy: SourcePolicy, timeout: float, resolver: Resolver | None = None
) -> Endpoint:
    """Follow the repository's redirects from ``url`` and return where git must connect.

    Raises :class:`SourceError` (one line) for a redirect that leaves https, goes to
    a host outside the allow list or to an internal address, or does not keep
    git's URL layout; and when the server cannot be reached.
    """
    deadline = time.monotonic() + timeout
    endpoint = _endpoint(url, policy, resolver, origin=None)
    for _ in range(MAX_REDIRECTS + 1):
        location = _redirect_location(endpoint, deadline - time.monotonic())
        if location is None:
            return endpoint
        target = _repository_url(endpoint.url, location)
        endpoint = _endpoint(target, policy, resolver, origin=endpoint.url)
    raise SourceError(
        f"{_shown(url)} redirects more than {MAX_REDIRECTS} times",
        hint="Check the URL; the server may be misconfigured",
    )


def _endpoint(
    url: str, policy: SourcePolicy, resolver: Resolver | None, *, origin: str | None
) -> Endpoint:
    """Validate one hop: scheme, host on the allow list, addresses; the error names the redirect."""
    moved = f"{_shown(origin)} redirects to {_shown(url)}" if origin else _shown(url)
    parts = urlsplit(url)
    try:
        port = parts.port or 443
    except ValueError:
        raise SourceError(f"{moved}, which is not a valid URL", hint="Check the URL") from None
    if parts.scheme != "https":
        raise SourceError(
            f"{moved}, which is not https; refusing to follow it",
            hint="Use the repository's https URL",
        )
    if parts.username is not None or parts.password is not None:
        raise SourceError(
            f"{moved}, which contains credentials; refusing to follow it",
            hint="Use a public repository URL",
        )
    host = (parts.hostname or "").rstrip(".")
    host_port = host if port == 443 else f"{host}:{port}"
    if host_port not in policy.allowed_hosts:
        allowed = ", ".join(policy.allowed_hosts) or "none"
        raise SourceError(
            f"{moved}, on host {host_port}, which is not allowed (allowed: {allowed})",
            hint="Clone the repository from a URL on an allowed host, "
            "or add the host to REPO2VIDEO_ALLOWED_HOSTS",
        )
    try:
        addresses = check_host_addresses(
            host, resolver, allowed_networks=policy.allowed_private_networks
        )
    except SourceError as err:
        if origin is None:
            raise
        raise SourceError(f"{moved}, refused: {err}") from None
    return Endpoint(url=url, host=host, port=port, addresses=tuple(addresses))


def _repository_url(current: str, location: str) -> str:
    """The repository URL a redirect of the advertisement points at (git's own rule)."""
    target = urljoin(current.rstrip("/") + ADVERTISEMENT, location.strip())
    if any(ord(ch) <= 32 or ord(ch) == 127 for ch in target) or not target.endswith(ADVERTISEMENT):
        raise SourceError(
            f"{_shown(current)} redirects to {_shown(target)}, which is not a git repository URL",
            hint="Check the URL",
        )
    return target[: -len(ADVERTISEMENT)]


def _redirect_location(endpoint: Endpoint, timeout: float) -> str | None:
    """Request the advertisement at ``endpoint``; the ``Location`` of a redirect, else None."""
    parts = urlsplit(endpoint.url)
    conn = _connection(endpoint, max(timeout, 0.1))
    try:
        conn.request("GET", parts.path.rstrip("/") + ADVERTISEMENT, headers=_HEADERS)
        response = conn.getresponse()
        location = response.getheader("Location")
        status = response.status
    except ssl.SSLCertVerificationError as exc:  # will not get better by retrying
        raise SourceError(
            f"cannot reach {endpoint.host}: {_reason(exc)}", hint="Check the URL or your network"
        ) from None
    except (OSError, http.client.HTTPException) as exc:  # a network blip: retried
        raise SourceUnavailableError(
            f"cannot reach {endpoint.host}: {_reason(exc)}", hint="Check the URL or your network"
        ) from None
    finally:
        conn.close()
    if status in _REDIRECTS and location:
        return location
    if status == 429 or status >= 500:  # the server is busy or failing: retried
        raise SourceUnavailableError(
            f"{endpoint.host} answered the repository request with HTTP {status}",
            hint="The host or the network failed; try again later",
        )
    return None  # anything else (the advertisement, 401, 404 ...) is git's to report


def _connection(endpoint: Endpoint, timeout: float) -> http.client.HTTPSConnection:
    # The same CA git uses: GIT_SSL_CAINFO when set, else the system store.
    context = ssl.create_default_context(cafile=os.environ.get("GIT_SSL_CAINFO") or None)
    proxy = _proxy_for(endpoint.host)
    if proxy is not None:
        conn = http.client.HTTPSConnection(*proxy, timeout=timeout, context=context)
        conn.set_tunnel(endpoint.host, endpoint.port)
        return conn
    return _PinnedHTTPSConnection(endpoint, timeout, context)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS for ``endpoint.host`` (SNI, certificate name, Host header) over a socket to
    one of its validated addresses, so no second lookup can change where it goes."""

    def __init__(self, endpoint: Endpoint, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(endpoint.host, endpoint.port, timeout=timeout, context=context)
        self._endpoint = endpoint
        self._tls = context

    def connect(self) -> None:
        error: OSError | None = None
        for address in self._endpoint.addresses:
            try:
                sock = socket.create_connection((address, self.port), self.timeout)
            except OSError as exc:
                error = exc
                continue
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            return
        raise error or OSError("no address to connect to")


def _reason(exc: Exception) -> str:
    """A short reason for a failed request, as a person reads it."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed ({exc.verify_message})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _proxy_for(host: str) -> tuple[str, int] | None:
    """The http proxy git would use for ``host`` (``https_proxy``/``all_proxy``, ``no_proxy``)."""
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get("https") or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass_environment(host, proxies):
        return None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if parts.scheme != "http" or not parts.hostname:
        return None
    return parts.hostname, parts.port or 1080


def _shown(url: str | None) -> str:
    return redact_credentials(url or "")
