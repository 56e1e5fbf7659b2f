"""What sources are allowed and how much a clone may cost, tunable from the environment."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.settings import env_bool, env_list, env_number

GITHUB_HOST = "github.com"
LAUNCHPAD_SECTION = "resources.source.config"
"""Where the Dagster launchpad sets these fields for one run (``SourceResource``)."""


def launchpad_key(field: str, value: str | None = None) -> str:
    """How to set ``field`` for one run in the Dagster launchpad, for an error's UI hint."""
    setting = f"{LAUNCHPAD_SECTION}.{field}" + (f": {value}" if value is not None else "")
    return f"{setting} in the launchpad"


@dataclass(frozen=True)
class SourcePolicy:
    """What sources are allowed and how much a clone may cost."""

    allowed_hosts: tuple[str, ...] = (GITHUB_HOST,)
    allow_local: bool = False
    """Local paths and ``file://`` URLs only when enabled (a server must not read its own disk)."""
    allow_ssh: bool = False
    """``ssh://git@host/...`` and ``git@host:owner/name`` only when enabled."""
    max_repo_bytes: int = 500 * 1024**2
    """Checkout size limit (working tree, excluding ``.git``)."""
    max_files: int = 50_000
    clone_timeout_s: float = 180.0
    history_depth: int = 1000
    """Shallow clone depth for remote URLs (0 = full history)."""
    require_readme: bool = True
    allowed_private_networks: tuple[str, ...] = ()
    """CIDRs a remote host may resolve into although they are internal (private,
    loopback, link-local, reserved ...): a self-hosted git server, or loopback test
    servers. Empty by default: every internal address is refused."""

    def __post_init__(self) -> None:
        raw = self.allowed_hosts
        if isinstance(raw, str):  # "github.com,gitlab.com" must not become single letters
            raw = tuple(raw.split(","))
        hosts = tuple(h.strip().lower().rstrip(".") for h in raw if h.strip())
        object.__setattr__(self, "allowed_hosts", hosts)
        nets = self.allowed_private_networks
        if isinstance(nets, str):
            nets = tuple(nets.split(","))
        object.__setattr__(
            self, "allowed_private_networks", tuple(_network(n) for n in nets if n.strip())
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> SourcePolicy:
        """Build a policy from ``REPO2VIDEO_*`` variables, so deployments tune it without code.

        ``REPO2VIDEO_ALLOWED_HOSTS`` (comma list), ``REPO2VIDEO_ALLOW_LOCAL``,
        ``REPO2VIDEO_ALLOW_SSH``, ``REPO2VIDEO_MAX_REPO_MB``, ``REPO2VIDEO_MAX_FILES``,
        ``REPO2VIDEO_CLONE_TIMEOUT_S``, ``REPO2VIDEO_HISTORY_DEPTH``,
        ``REPO2VIDEO_REQUIRE_README``, ``REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS`` (comma list
        of CIDRs). Keyword overrides
        (for example from CLI flags) win over the environment. This is the one place
        that maps these variables to fields; ``SourceResource`` takes its defaults from here.
        """
        default = cls()
        values: dict[str, object] = {
            "allowed_hosts": tuple(env_list("ALLOWED_HOSTS", list(default.allowed_hosts), env)),
            "allow_local": env_bool("ALLOW_LOCAL", default.allow_local, env),
            "allow_ssh": env_bool("ALLOW_SSH", default.allow_ssh, env),
            "max_repo_bytes": int(
                env_number("MAX_REPO_MB", default.max_repo_bytes / 1024**2, env) * 1024**2
            ),
            "max_files": env_number("MAX_FILES", default.max_files, env),
            "clone_timeout_s": env_number("CLONE_TIMEOUT_S", default.clone_timeout_s, env),
            "history_depth": env_number("HISTORY_DEPTH", default.history_depth, env),
            "require_readme": env_bool("REQUIRE_README", default.require_readme, env),
            "allowed_private_networks": tuple(
                env_list("ALLOWED_PRIVATE_NETWORKS", list(default.allowed_private_networks), env)
            ),
        }
        return cls(**{**values, **overrides})  # type: ignore[arg-type]


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise UserError(
            f"REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS: {text.strip()!r} is not a network",
            hint="Use CIDRs separated by commas, such as 127.0.0.0/8,10.20.0.0/16",
        ) from None
