"""Which addresses a remote host may be reached at: resolved once, every one validated.

A host name on the allow list can still point at an internal address (a cloud
metadata service, a database on the private network, the machine itself). The
addresses returned here are the only ones git is then allowed to connect to
(see :mod:`repo2video_dagster.lib.source.pinning`), so a second DNS answer cannot
redirect the clone.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable

from repo2video_dagster.lib.core.errors import SourceError, SourceUnavailableError

Resolver = Callable[[str], Iterable[str]]
"""Host name -> IP address strings; raises ``OSError`` when the name does not resolve."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
PRIVATE_NETWORKS_HINT = (
    "Use a public repository URL, or list the network in REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS"
)


def check_host_addresses(
    host: str, resolver: Resolver | None = None, *, allowed_networks: Iterable[str] = ()
) -> list[str]:
    """Resolve ``host`` once and return its addresses, refusing any internal one.

    Internal means private, loopback, link-local, multicast, reserved or otherwise
    not globally routable, unless it lies in one of ``allowed_networks`` (CIDRs the
    operator listed explicitly, for example a self-hosted git server). An IP
    literal is checked as it is, without a lookup.
    """
    if is_ip_literal(host):
        addresses = [host]
    else:
        resolve = resolver or system_resolver
        try:
            addresses = sorted(set(resolve(host)))
        except UnicodeError as exc:  # not a valid name at all (say, an empty label)
            raise SourceError(
                f"cannot reach {host}: {exc}", hint="Check the URL or your network"
            ) from exc
        except OSError as exc:  # the resolver failed: a DNS outage as often as a typo
            reason = exc.strerror or str(exc) or "name does not resolve"
            raise SourceUnavailableError(
                f"cannot reach {host}: {reason}", hint="Check the URL or your network"
            ) from exc
    if not addresses:
        raise SourceUnavailableError(
            f"cannot reach {host}: no addresses", hint="Check the URL or your network"
        )
    networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
    for text in addresses:
        addr = _parse(host, text)
        if is_internal(addr) and not any(addr in net for net in networks):
            raise SourceError(
                f"{host} resolves to {addr}, an internal address; refusing to clone from it",
                hint=PRIVATE_NETWORKS_HINT,
            )
    return addresses


def is_internal(addr: IPAddress) -> bool:
    """Whether an address is anything but a public unicast address."""
    return (
        not addr.is_global
        or addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_reserved
        or addr.is_multicast
        or addr.is_unspecified
    )


def is_ip_literal(host: str) -> bool:
    """Whether ``host`` is an IP address written out (``127.0.0.1``, ``::1``)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def system_resolver(host: str) -> list[str]:
    """The machine's resolver (``getaddrinfo``), as the default :data:`Resolver`."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]


def _parse(host: str, text: str) -> IPAddress:
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        raise SourceError(
            f"cannot reach {host}: bad address {text!r}", hint="Check the URL or your network"
        ) from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        return addr.ipv4_mapped
    return addr
