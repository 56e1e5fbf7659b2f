"""Run-status sensors that tell people how a render ended: webhook and email.

``notify_on_failure`` (Dagster's ``run_failure_sensor``) and ``notify_on_success``
(``run_status_sensor`` for SUCCESS; it sends only with ``REPO2VIDEO_NOTIFY_SUCCESS=1``)
send, per finished run, one JSON POST to ``REPO2VIDEO_NOTIFY_WEBHOOK_URL`` (Slack's
incoming webhooks read its ``text``) and one email to ``REPO2VIDEO_NOTIFY_EMAIL_TO``
through ``REPO2VIDEO_SMTP_HOST``. The failure line is the one ``repo2video render``
and ``/jobs`` show (``launch.stored_failure``).

Once per run and channel: after a channel delivered, the run gets the tag
``repo2video/notified`` naming it, and a channel already named there is skipped, so
a sensor evaluated again for the same run (a daemon restarted between sending and
saving its cursor, a reset cursor) never sends twice. A channel that failed after its
retries is logged on the tick and not tried again for that run.

Settings that are not secret are fields of :class:`NotifyResource`; the webhook
address (a Slack address carries its token), the signing key and the SMTP password
are read from the environment (or ``*_FILE``) when a message is sent.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from dagster import (
    ConfigurableResource,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    SensorDefinition,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
)

from repo2video_dagster.launch import stored_failure
from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.settings import DEFAULT_UI_URL, ENV_PREFIX
from repo2video_dagster.lib.notify.mail import SmtpSettings, send_mail
from repo2video_dagster.lib.notify.message import RunNotice, run_links
from repo2video_dagster.lib.notify.secrets import (
    SIGNING_KEY,
    SMTP_PASSWORD,
    WEBHOOK_URL,
    read_secret,
)
from repo2video_dagster.lib.notify.webhook import post_json
from repo2video_dagster.lib.publish.links import DEFAULT_PUBLIC_URL
from repo2video_dagster.resources import env_default
from repo2video_dagster.run_tags import (
    PARTITION_TAG,
    TAG_COMMIT,
    TAG_DELIVERY,
    TAG_REPO,
    TAG_TRIGGER,
)

TAG_NOTIFIED = "repo2video/notified"
"""Channels (``webhook``, ``email``) that delivered this run's notification."""
WEBHOOK = "webhook"
EMAIL = "email"


class NotifyResource(ConfigurableResource):
    """Who is told how runs end, and how hard to try (secrets are not fields: see module)."""

    on_success: bool = env_default("NOTIFY_SUCCESS", False)
    attempts: int = env_default("NOTIFY_ATTEMPTS", 3)
    retry_delay_s: float = env_default("NOTIFY_RETRY_DELAY_S", 1.0)
    timeout_s: float = env_default("NOTIFY_TIMEOUT_S", 10.0)
    smtp_host: str = env_default("SMTP_HOST", "")
    smtp_port: int = env_default("SMTP_PORT", 587)
    smtp_starttls: bool = env_default("SMTP_STARTTLS", True)
    smtp_user: str = env_default("SMTP_USER", "")
    email_from: str = env_default("NOTIFY_EMAIL_FROM", "repo2video@localhost")
    email_to: list[str] = env_default("NOTIFY_EMAIL_TO", [])
    ui_url: str = env_default("UI_URL", DEFAULT_UI_URL)
    public_url: str = env_default("PUBLIC_URL", DEFAULT_PUBLIC_URL)

    def smtp(self) -> SmtpSettings | None:
        if not self.smtp_host or not self.email_to:
            return None
        return SmtpSettings(
            host=self.smtp_host,
            port=self.smtp_port,
            starttls=self.smtp_starttls,
            user=self.smtp_user or None,
            sender=self.email_from,
            recipients=tuple(self.email_to),
            timeout_s=self.timeout_s,
        )


def notice_for(instance: DagsterInstance, run: DagsterRun, notify: NotifyResource) -> RunNotice:
    tags = run.tags
    repository = tags.get(TAG_REPO) or tags.get(PARTITION_TAG)
    failed = run.status == DagsterRunStatus.FAILURE
    return RunNotice(
        run_id=run.run_id,
        job_name=run.job_name,
        status="failure" if failed else "success",
        repository=repository,
        error=stored_failure(instance, run.run_id).line if failed else None,
        trigger=tags.get(TAG_TRIGGER),
        commit=tags.get(TAG_COMMIT),
        links=run_links(
            notify.ui_url, notify.public_url, run.run_id, repository, tags.get(TAG_DELIVERY)
        ),
    )


def _notified(instance: DagsterInstance, run_id: str) -> set[str]:
    """The channels already delivered for the run, read from storage (not the context's copy)."""
    run = instance.get_run_by_id(run_id)
    value = (run.tags.get(TAG_NOTIFIED, "") if run else "") or ""
    return {part for part in value.split(",") if part}


def _mark(instance: DagsterInstance, run_id: str, channel: str) -> None:
    done = _notified(instance, run_id) | {channel}
    instance.add_run_tags(run_id, {TAG_NOTIFIED: ",".join(sorted(done))})


def notify_run(
    instance: DagsterInstance, run: DagsterRun, notify: NotifyResource, log: Any
) -> list[str]:
    """Send what has not been sent for ``run``; one line per channel tried (sent or why not)."""
    done = _notified(instance, run.run_id)
    sent: list[str] = []
    notice: RunNotice | None = None
    smtp = notify.smtp()
    webhook_set = any(os.environ.get(f"{ENV_PREFIX}{WEBHOOK_URL}{s}") for s in ("", "_FILE"))
    for channel, wanted in ((WEBHOOK, webhook_set), (EMAIL, smtp is not None)):
        if not wanted or channel in done:
            continue
        notice = notice or notice_for(instance, run, notify)
        try:
            url = read_secret(WEBHOOK_URL) if channel == WEBHOOK else None
            if url:
                post_json(
                    url,
                    notice.json_body(),
                    delivery_id=f"{run.run_id}:{notice.status}",
                    signing_key=read_secret(SIGNING_KEY),
                    attempts=notify.attempts,
                    retry_delay_s=notify.retry_delay_s,
                    timeout_s=notify.timeout_s,
                )
            elif smtp is not None:
                send_mail(notice, smtp, read_secret(SMTP_PASSWORD))
        except UserError as err:
            line = f"{channel} not sent: {err}"
            log.error(f"run {run.run_id[:8]}: {line}")
            sent.append(line)
            continue
        _mark(instance, run.run_id, channel)
        sent.append(f"{channel} sent")
    return sent


def _result(run: DagsterRun, sent: Sequence[str]) -> SkipReason:
    what = "; ".join(sent) if sent else "nothing new to send"
    return SkipReason(f"run {run.run_id[:8]} ({run.status.value.lower()}): {what}")


def build_notify_sensors(
    monitored_jobs: Sequence[Any], minimum_interval_seconds: int = 5
) -> list[SensorDefinition]:
    """The failure and success notification sensors for ``monitored_jobs``."""

    @run_failure_sensor(
        name="notify_on_failure",
        monitored_jobs=list(monitored_jobs),
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Sends a webhook and/or email when a render fails (once per run).",
    )
    def notify_on_failure(context: RunFailureSensorContext, notify: NotifyResource) -> SkipReason:
        run = context.dagster_run
        return _result(run, notify_run(context.instance, run, notify, context.log))

    @run_status_sensor(
        name="notify_on_success",
        run_status=DagsterRunStatus.SUCCESS,
        monitored_jobs=list(monitored_jobs),
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="With REPO2VIDEO_NOTIFY_SUCCESS=1: a webhook and/or email per finished render.",
    )
    def notify_on_success(context: RunStatusSensorContext, notify: NotifyResource) -> SkipReason:
        run = context.dagster_run
        if not notify.on_success:
            return SkipReason("success notifications are off (REPO2VIDEO_NOTIFY_SUCCESS=0)")
        return _result(run, notify_run(context.instance, run, notify, context.log))

    return [notify_on_failure, notify_on_success]
