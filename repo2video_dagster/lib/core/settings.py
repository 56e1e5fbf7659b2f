"""Reading ``REPO2VIDEO_*`` environment variables, and where the data directory lives.

One parser per kind of value (text, boolean, number, list), used by everything that
reads the environment: the Dagster resources (which declare, per field, the
variable that sets its default), ``SourcePolicy.from_env`` (used outside Dagster by
the webhook receiver too), the CLI and the receiver. A value that cannot be read
is a :class:`UserError` naming the variable, never a silent fallback to the default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from repo2video_dagster.lib.core.errors import UserError

ENV_PREFIX = "REPO2VIDEO_"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
N = TypeVar("N", int, float)


def env_raw(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The stripped value of ``REPO2VIDEO_<name>``; None when unset or blank."""
    value = (os.environ if env is None else env).get(ENV_PREFIX + name)
    return value.strip() if value and value.strip() else None


def env_str(name: str, default: str, env: Mapping[str, str] | None = None) -> str:
    return env_raw(name, env) or default


def env_bool(name: str, default: bool, env: Mapping[str, str] | None = None) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case); anything else is refused."""
    raw = env_raw(name, env)
    if raw is None:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise UserError(f"{ENV_PREFIX}{name}={raw!r} is not a boolean", hint="Use 1 or 0")


def env_number(name: str, default: N, env: Mapping[str, str] | None = None) -> N:
    """A number >= 0 of the default's type (``int`` or ``float``)."""
    raw = env_raw(name, env)
    if raw is None:
        return default
    try:
        number = type(default)(raw)
    except ValueError:
        raise UserError(
            f"{ENV_PREFIX}{name}={raw!r} is not a number", hint="Use a plain number"
        ) from None
    if number < 0:
        raise UserError(f"{ENV_PREFIX}{name}={raw!r} is negative", hint="Use a number >= 0")
    return number


def env_list(name: str, default: list[str], env: Mapping[str, str] | None = None) -> list[str]:
    """A comma-separated list, lower-cased, blanks dropped."""
    raw = env_raw(name, env)
    if raw is None:
        return list(default)
    return [part.strip().lower() for part in raw.split(",") if part.strip()]


DEFAULT_UI_URL = "http://127.0.0.1:3000"


def ui_url(env: Mapping[str, str] | None = None) -> str:
    """Where people open the Dagster UI (``REPO2VIDEO_UI_URL``), for links to runs."""
    return env_str("UI_URL", DEFAULT_UI_URL, env).rstrip("/")


def default_data_dir() -> Path:
    """``$REPO2VIDEO_DATA_DIR``, else ``var/`` in the current directory (absolute)."""
    return Path(env_str("DATA_DIR", "var")).expanduser().resolve()


@dataclass(frozen=True)
class DataLayout:
    """Where everything lives under the data directory (one place to change it)."""

    root: Path

    @property
    def workspace(self) -> Path:
        """Checkouts of repositories, one directory per partition key."""
        return self.root / "workspace"

    @property
    def cache(self) -> Path:
        """Content-addressed caches (per-scene audio, converted models)."""
        return self.root / "cache"

    @property
    def site(self) -> Path:
        """The static site (default local publication): index + one page per repository."""
        return self.root / "site"

    @property
    def catalog(self) -> Path:
        return self.root / "catalog"

    def output(self, key: str) -> Path:
        """All outputs of one repository: videos, captions, thumbnail, blog post."""
        return self.root / "output" / key


def parse_formats(value: str) -> tuple[str, ...]:
    """``both`` (or empty) -> reel and landscape; else a comma list of them."""
    value = value.strip().lower()
    if value in {"both", "all", ""}:
        return ("reel", "landscape")
    parts = tuple(p.strip() for p in value.split(",") if p.strip())
    bad = [p for p in parts if p not in {"reel", "landscape"}]
    if bad:
        raise ValueError(f"unknown format {bad[0]!r}: use reel, landscape or both")
    return parts
