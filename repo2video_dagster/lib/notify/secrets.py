"""Secrets for notifications, from the environment or a file it names.

A secret (the outgoing webhook's address, which for Slack carries its token; the
signing key; the SMTP password) is read when a notification is sent, never kept in
a resource field, run config or tag, and an error names the file, never its content.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.settings import ENV_PREFIX

WEBHOOK_URL = "NOTIFY_WEBHOOK_URL"
SIGNING_KEY = "NOTIFY_WEBHOOK_SECRET"
SMTP_PASSWORD = "SMTP_PASSWORD"


def read_secret(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """``REPO2VIDEO_<name>``, else the content of the file ``REPO2VIDEO_<name>_FILE`` names."""
    env = os.environ if env is None else env
    value = env.get(ENV_PREFIX + name, "").strip()
    if value:
        return value
    path = env.get(f"{ENV_PREFIX}{name}_FILE", "").strip()
    if not path:
        return None
    try:
        data = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise UserError(
            f"Cannot read the file {path} named by {ENV_PREFIX}{name}_FILE ({why})",
            hint=f"Fix {ENV_PREFIX}{name}_FILE or set {ENV_PREFIX}{name}",
        ) from None
    if not data:
        raise UserError(
            f"The file {path} named by {ENV_PREFIX}{name}_FILE is empty",
            hint="Put the secret in it",
        )
    return data
