"""Notification email over SMTP (``smtplib``), STARTTLS when asked, login when a user is set."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from repo2video_dagster.lib.core.errors import TransientError
from repo2video_dagster.lib.notify.message import RunNotice


class NotifyMailError(TransientError):
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    starttls: bool = True
    user: str | None = None
    sender: str = "repo2video@localhost"
    recipients: tuple[str, ...] = ()
    timeout_s: float = 10.0


def build_message(notice: RunNotice, settings: SmtpSettings) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = notice.headline
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["X-Repo2video-Run"] = notice.run_id
    message.set_content(notice.text() + "\n")
    return message


def send_mail(
    notice: RunNotice,
    settings: SmtpSettings,
    password: str | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> None:
    """Send the notice to every recipient; raises :class:`NotifyMailError` (never the password)."""
    where = f"{settings.host}:{settings.port}"
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
            if settings.starttls:
                smtp.starttls(context=tls_context or ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, password or "")
            smtp.send_message(build_message(notice, settings))
    except smtplib.SMTPAuthenticationError as exc:
        raise NotifyMailError(
            f"SMTP server {where} refused the login of {settings.user} ({exc.smtp_code})"
        ) from None
    except smtplib.SMTPException as exc:
        raise NotifyMailError(f"SMTP server {where}: {exc.__class__.__name__}") from None
    except (OSError, ssl.SSLError) as exc:
        why = exc.strerror or exc.__class__.__name__
        raise NotifyMailError(f"SMTP server {where} could not be reached ({why})") from None
