"""What sources are allowed and how much a clone may cost, tunable from the environment."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from repo2video_dagster.lib.core.errors import UserError

GITHUB_HOST = "github.com"


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
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> SourcePolicy:
        """Build a policy from ``REPO2VIDEO_*`` variables, so deployments tune it without code.

        ``REPO2VIDEO_ALLOWED_HOSTS`` (comma list), ``REPO2VIDEO_ALLOW_LOCAL``,
        ``REPO2VIDEO_ALLOW_SSH``, ``REPO2VIDEO_MAX_REPO_MB``, ``REPO2VIDEO_MAX_FILES``,
        ``REPO2VIDEO_CLONE_TIMEOUT_S``, ``REPO2VIDEO_HISTORY_DEPTH``,
        ``REPO2VIDEO_REQUIRE_README``, ``REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS`` (comma list
        of CIDRs). Keyword overrides
        (for example from CLI flags) win over the environment.
        """
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {}
        if hosts := env.get("REPO2VIDEO_ALLOWED_HOSTS", "").strip():
            values["allowed_hosts"] = tuple(h for h in hosts.split(",") if h.strip())
        if nets := env.get("REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS", "").strip():
            values["allowed_private_networks"] = tuple(n for n in nets.split(",") if n.strip())
        for name, field_name in (
            ("REPO2VIDEO_ALLOW_LOCAL", "allow_local"),
            ("REPO2VIDEO_ALLOW_SSH", "allow_ssh"),
            ("REPO2VIDEO_REQUIRE_README", "require_readme"),
        ):
            if name in env and env[name].strip():
                values[field_name] = _env_bool(name, env[name])
        for name, field_name, scale, kind in (
            ("REPO2VIDEO_MAX_REPO_MB", "max_repo_bytes", 1024**2, float),
            ("REPO2VIDEO_MAX_FILES", "max_files", 1, int),
            ("REPO2VIDEO_CLONE_TIMEOUT_S", "clone_timeout_s", 1, float),
            ("REPO2VIDEO_HISTORY_DEPTH", "history_depth", 1, int),
        ):
            if name in env and env[name].strip():
                number = _env_number(name, env[name], kind)
                values[field_name] = (
                    int(number * scale) if field_name != "clone_timeout_s" else number
                )
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise UserError(
            f"REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS: {text.strip()!r} is not a network",
            hint="Use CIDRs separated by commas, such as 127.0.0.0/8,10.20.0.0/16",
        ) from None


def _env_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise UserError(f"{name}={raw!r} is not a boolean", hint="Use 1 or 0")


def _env_number(name: str, raw: str, kind: type) -> float:
    try:
        number = kind(raw.strip())
    except ValueError:
        raise UserError(f"{name}={raw!r} is not a number", hint="Use a plain number") from None
    if number < 0:
        raise UserError(f"{name}={raw!r} is negative", hint="Use a number >= 0")
    return number
