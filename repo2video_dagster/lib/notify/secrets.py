"""Secrets for notifications, from the environment or a file it names.

A secret (the outgoing webhook's address, which for Slack carries its token; the
signing key; the SMTP password) is read when a notification is sent, never kept in
a resource field, run config or tag, and an error names the file, never its content.
"""

from __future__ import annotations

from collections.abc import Mapping

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.secrets import read_secret as read_secret_bytes
from repo2video_dagster.lib.core.settings import ENV_PREFIX

WEBHOOK_URL = "NOTIFY_WEBHOOK_URL"
SIGNING_KEY = "NOTIFY_WEBHOOK_SECRET"
SMTP_PASSWORD = "SMTP_PASSWORD"


def read_secret(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """``REPO2VIDEO_<name>``, else the content of the file ``REPO2VIDEO_<name>_FILE`` names."""
    value_env = ENV_PREFIX + name
    data = read_secret_bytes(value_env, f"{value_env}_FILE", "secret", env)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(
            f"The file named by {value_env}_FILE is not UTF-8 text",
            hint=f"Fix {value_env}_FILE or set {value_env}",
        ) from None
