"""Where git connects: the URL it is given and the validated addresses its host is pinned to.

Checking a host's addresses and then letting git look the name up again would
leave a window (DNS rebinding: the second answer may be ``127.0.0.1`` or
``169.254.169.254``). :func:`pin_remote` resolves once, validates every address,
follows redirects itself (:mod:`~repo2video_dagster.lib.source.redirects`) and
returns ``http.curloptResolve`` entries, so git's curl connects to exactly the
addresses that were checked. One :class:`PinnedRemote` serves every network
command of a clone (``ls-remote``, ``clone``, the checkout's lazy fetch).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from repo2video_dagster.lib.core.errors import EngineError, SourceError
from repo2video_dagster.lib.core.records import RepoSource
from repo2video_dagster.lib.source.addresses import Resolver, check_host_addresses, is_ip_literal
from repo2video_dagster.lib.source.git import GitCommandError, git_version
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.redaction import redact_credentials
from repo2video_dagster.lib.source.redirects import Endpoint, final_endpoint

PINNING_GIT = (2, 37)
"""The first git with ``http.curloptResolve``; older ones ignore the key and would go unpinned."""


@dataclass(frozen=True)
class PinnedRemote:
    """The URL git is given, and the ``host:port:addresses`` entries that pin its host."""

    url: str
    pins: tuple[str, ...] = ()
    """Values for git's ``http.curloptResolve`` (curl's ``CURLOPT_RESOLVE``)."""


def pin_remote(
    source: RepoSource, policy: SourcePolicy, timeout: float, *, resolver: Resolver | None = None
) -> PinnedRemote:
    """Validate where ``source`` leads and pin git to it; refuses with one line (SourceError).

    Local sources need no pin. ssh remotes get the address check but no pin (the
    pin is a curl option; ssh is off unless ``REPO2VIDEO_ALLOW_SSH`` is set).
    ``resolver`` replaces the system resolver (tests).
    """
    if source.kind == "local":
        return PinnedRemote(url="file://" + quote(source.url))
    parts = urlsplit(source.url)
    if parts.scheme == "ssh" and policy.allow_ssh:
        check_host_addresses(
            (parts.hostname or "").rstrip("."),
            resolver,
            allowed_networks=policy.allowed_private_networks,
        )
        return PinnedRemote(url=source.url)
    if parts.scheme != "https":
        raise SourceError(
            f"{redact_credentials(source.target)}: the {parts.scheme or 'given'} transport "
            "is not allowed for a remote repository",
            hint="Use an https:// URL",
        )
    endpoint = final_endpoint(source.url, policy, timeout, resolver)
    _require_pinning_git()
    if is_ip_literal(endpoint.host):  # nothing for curl to look up
        return PinnedRemote(url=endpoint.url)
    return PinnedRemote(url=endpoint.url, pins=(curl_resolve_entry(endpoint),))


def _require_pinning_git() -> None:
    """Refuse rather than run a git that would ignore the pin and look the name up itself."""
    try:
        version = git_version()
    except GitCommandError as exc:
        raise EngineError(
            f"cannot run git: {exc.reason}", hint="Install git 2.37 or newer"
        ) from None
    if version < PINNING_GIT:
        have = ".".join(map(str, version))
        raise EngineError(
            f"git {have} cannot pin a clone to the checked addresses (http.curloptResolve)",
            hint="Install git 2.37 or newer",
        )


def curl_resolve_entry(endpoint: Endpoint) -> str:
    """``host:port:addr[,addr]`` with IPv6 addresses in brackets, as curl expects."""
    shown = []
    for address in endpoint.addresses:
        bare = address.split("%", 1)[0]
        shown.append(f"[{bare}]" if ipaddress.ip_address(bare).version == 6 else bare)
    return f"{endpoint.host}:{endpoint.port}:{','.join(shown)}"
