"""The operations settings (notifications, watcher, statistics, priorities): each one
documented in the README, and each resource field set by its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo2video_dagster.priorities import DEFAULT_PRIORITIES
from repo2video_dagster.sensors.notifications import NotifyResource
from repo2video_dagster.sensors.owner_watch import WatchResource

FIELDS = {
    "REPO2VIDEO_NOTIFY_SUCCESS": (NotifyResource, "on_success", "1", True),
    "REPO2VIDEO_NOTIFY_ATTEMPTS": (NotifyResource, "attempts", "5", 5),
    "REPO2VIDEO_NOTIFY_RETRY_DELAY_S": (NotifyResource, "retry_delay_s", "0.5", 0.5),
    "REPO2VIDEO_NOTIFY_TIMEOUT_S": (NotifyResource, "timeout_s", "3", 3.0),
    "REPO2VIDEO_SMTP_HOST": (NotifyResource, "smtp_host", "mail.example", "mail.example"),
    "REPO2VIDEO_SMTP_PORT": (NotifyResource, "smtp_port", "2525", 2525),
    "REPO2VIDEO_SMTP_STARTTLS": (NotifyResource, "smtp_starttls", "0", False),
    "REPO2VIDEO_SMTP_USER": (NotifyResource, "smtp_user", "r2v", "r2v"),
    "REPO2VIDEO_NOTIFY_EMAIL_FROM": (NotifyResource, "email_from", "a@b.example", "a@b.example"),
    "REPO2VIDEO_NOTIFY_EMAIL_TO": (
        NotifyResource,
        "email_to",
        "x@y.example,z@y.example",
        ["x@y.example", "z@y.example"],
    ),
    "REPO2VIDEO_UI_URL": (NotifyResource, "ui_url", "https://ui.example", "https://ui.example"),
    "REPO2VIDEO_PUBLIC_URL": (
        NotifyResource,
        "public_url",
        "https://r2v.example",
        "https://r2v.example",
    ),
    "REPO2VIDEO_WATCH_ORGS": (WatchResource, "orgs", "acme,initech", ["acme", "initech"]),
    "REPO2VIDEO_WATCH_USERS": (WatchResource, "users", "alice", ["alice"]),
    "REPO2VIDEO_WATCH_EXISTING": (WatchResource, "existing", "1", True),
    "REPO2VIDEO_WATCH_FORKS": (WatchResource, "forks", "1", True),
}
OTHERS = [
    "REPO2VIDEO_NOTIFY_WEBHOOK_URL",
    "REPO2VIDEO_NOTIFY_WEBHOOK_URL_FILE",
    "REPO2VIDEO_NOTIFY_WEBHOOK_SECRET",
    "REPO2VIDEO_NOTIFY_WEBHOOK_SECRET_FILE",
    "REPO2VIDEO_SMTP_PASSWORD",
    "REPO2VIDEO_SMTP_PASSWORD_FILE",
    "REPO2VIDEO_STATS_RUNS",
    "REPO2VIDEO_WATCH_INTERVAL_S",
    *(f"REPO2VIDEO_PRIORITY_{level.upper()}" for level in DEFAULT_PRIORITIES),
]


def test_every_operations_setting_is_in_the_readme() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [v for v in [*FIELDS, *OTHERS] if f"`{v}`" not in readme]
    assert missing == []


def test_each_variable_sets_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, (_, _, raw, _) in FIELDS.items():
        monkeypatch.setenv(variable, raw)
    built = {NotifyResource: NotifyResource(), WatchResource: WatchResource()}
    for variable, (cls, field, _, expected) in FIELDS.items():
        assert getattr(built[cls], field) == expected, variable


def test_secrets_are_not_resource_fields() -> None:
    """What the UI shows of a resource's config never holds a secret."""
    for cls in (NotifyResource, WatchResource):
        names = " ".join(cls.model_fields).lower()
        for word in ("password", "secret", "token", "key", "webhook_url"):
            assert word not in names, (cls.__name__, word)
