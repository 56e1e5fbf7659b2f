"""Run the receiver with uvicorn against the instance that DAGSTER_HOME names."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.secrets import read_secret
from repo2video_dagster.lib.core.settings import ENV_PREFIX, env_bool, env_number
from repo2video_dagster.receiver.limits import ReceiverLimits

log = logging.getLogger("repo2video_dagster.receiver.serve")  # also under `python -m`

SECRET_ENV = "REPO2VIDEO_WEBHOOK_SECRET"
SECRET_FILE_ENV = "REPO2VIDEO_WEBHOOK_SECRET_FILE"
ALLOW_PRIVATE_ENV = "REPO2VIDEO_WEBHOOK_ALLOW_PRIVATE"
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
HEARTBEAT_AGE_ENV = "HEARTBEAT_MAX_AGE_S"
"""``REPO2VIDEO_HEARTBEAT_MAX_AGE_S``: how old a daemon's heartbeat may be before
``/health`` calls it stale (default 120 s)."""
HEARTBEAT_INTERVAL_S = 30.0
"""How often each dagster-daemon thread records a heartbeat (fixed by Dagster): a
staleness limit at or below it would call a live daemon stale between two beats."""

_INSECURE_BANNER = (
    "WARNING: webhook signature checks are OFF (--insecure-dev). Anyone who can reach this port "
    "can start renders. Use this only on a local machine for development."
)


def load_secret(env: Mapping[str, str] | None = None) -> bytes | None:
    """The webhook secret from the environment or the file it names; None when unset."""
    return read_secret(SECRET_ENV, SECRET_FILE_ENV, "webhook secret", env, strip_blanks=False)


def require_secret(*, insecure: bool, env: Mapping[str, str] | None = None) -> bytes | None:
    """The secret, or None only when the insecure flag was given (with a loud warning)."""
    secret = load_secret(env)
    if secret is None and not insecure:
        raise UserError(
            f"No webhook secret: set {SECRET_ENV} or {SECRET_FILE_ENV}",
            hint="Use the secret configured on the GitHub webhook (or --insecure-dev for local development only)",
        )
    if secret is None:
        log.warning(_INSECURE_BANNER)
        print(_INSECURE_BANNER, file=sys.stderr, flush=True)
    return secret


def _log_receiver_info() -> None:
    """The receiver's own one-line INFO records (refused, ignored, slow clients closed).

    Other libraries stay at WARNING (alembic would print every migration check);
    uvicorn configures its own loggers. A no-op where logging is configured already.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
        logging.getLogger("repo2video_dagster").setLevel(logging.INFO)


def server_options(limits: ReceiverLimits) -> dict[str, Any]:
    """The ``uvicorn.Config`` options that enforce ``limits`` (used by serve() and the tests).

    h11 with a capped receive buffer instead of httptools, which buffers headers
    without limit; the guarded protocol adds head/body deadlines and the
    connection cap; no WebSocket upgrades (nothing here speaks WebSocket, and an
    upgraded connection would leave the guarded protocol); forwarding headers are
    handled by the app from REPO2VIDEO_TRUSTED_PROXIES, not by uvicorn (which
    trusts 127.0.0.1 by default).
    """
    from repo2video_dagster.receiver.protocol import guarded_protocol

    return {
        "http": guarded_protocol(limits),
        "ws": "none",
        "h11_max_incomplete_event_size": limits.max_header_bytes,
        "timeout_keep_alive": max(1, round(limits.keepalive_timeout_s)),
        "limit_concurrency": limits.max_connections + 1,
        "proxy_headers": False,
        "server_header": False,
    }


def heartbeat_max_age(env: Mapping[str, str] | None = None) -> float:
    """The staleness limit for daemon heartbeats; it must exceed their 30 s interval."""
    limit = env_number(HEARTBEAT_AGE_ENV, 120.0, env)
    if limit <= HEARTBEAT_INTERVAL_S:
        raise UserError(
            f"{ENV_PREFIX}{HEARTBEAT_AGE_ENV}={limit:g} would call live daemons stale",
            hint=f"Daemons record a heartbeat every {HEARTBEAT_INTERVAL_S:.0f} s: use more than that",
        )
    return limit


def serve(host: str = "127.0.0.1", port: int = 8000, *, insecure: bool = False) -> None:
    """Serve until interrupted. Raises UserError when the secret, a limit or the instance is wrong."""
    _log_receiver_info()
    secret = require_secret(insecure=insecure)
    if not os.environ.get("DAGSTER_HOME", "").strip():
        raise UserError(
            "DAGSTER_HOME is not set", hint="Point it at the Dagster instance directory"
        )
    from repo2video_dagster.receiver.access import ApiAccess

    limits = ReceiverLimits.from_env()
    access = ApiAccess.from_env()
    max_heartbeat_age_s = heartbeat_max_age()

    # Imported here so that refusing to start is instant.
    import uvicorn
    from dagster import DagsterInstance

    from repo2video_dagster.receiver.app import create_app
    from repo2video_dagster.receiver.event_storage import default_events_url
    from repo2video_dagster.receiver.eventlog import EventLog

    instance = DagsterInstance.get()
    eventlog = EventLog(default_events_url())
    app = create_app(
        eventlog=eventlog,
        secret=secret,
        instance=instance,
        allow_private=env_bool("WEBHOOK_ALLOW_PRIVATE", False),
        heartbeat_max_age_s=max_heartbeat_age_s,
        close_eventlog=True,
        limits=limits,
        access=access,
    )
    log.info(
        "webhook receiver: POST /webhook (events: %s; job API: %s)",
        eventlog.url.split("@")[-1],
        "token" if access.token else "loopback clients only",
    )
    # uvicorn binds after the app's startup, so a client that can connect is served
    # at once; with --port 0 its "Uvicorn running on" line names the port it got.
    config = uvicorn.Config(app, host=host, port=port, log_level="info", **server_options(limits))
    uvicorn.Server(config).run()


def main(argv: list[str] | None = None) -> int:
    """``python -m repo2video_dagster.receiver.serve`` (the CLI wires the same call)."""
    parser = argparse.ArgumentParser(description="GitHub webhook receiver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--insecure-dev",
        dest="insecure",
        action="store_true",
        help="allow running without a secret",
    )
    args = parser.parse_args(argv)
    _log_receiver_info()
    try:
        serve(args.host, args.port, insecure=args.insecure)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
