"""The outgoing notification webhook: one signed JSON POST, retried with backoff.

When a signing key is set the body is signed like GitHub signs its deliveries:
``X-Repo2video-Signature-256: sha256=<HMAC-SHA256 of the body, hex>``, so the receiving
end can check it came from this service. Connection failures, timeouts, 429 and 5xx
are retried (``attempts`` in all, delays ``retry_delay_s`` × 1, 2, 4 …, or the
server's ``Retry-After`` when it names a shorter wait than a minute); any other
answer is final. Log lines name the host only: a Slack webhook's path is its token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from repo2video_dagster.lib.core.errors import TransientError, UserError

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Repo2video-Signature-256"
DELIVERY_HEADER = "X-Repo2video-Delivery"
MAX_RETRY_AFTER_S = 60.0


class NotifyError(UserError):
    """The notification webhook refused the message (a 4xx other than 429): not retried."""


class NotifyDeliveryError(NotifyError, TransientError):
    """Every attempt to deliver a notification failed."""


def sign(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def shown_address(url: str) -> str:
    """``scheme://host[:port]``: what logs and errors may say about the address."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


@dataclass(frozen=True)
class Delivered:
    status: int
    attempts: int


def post_json(
    url: str,
    body: bytes,
    *,
    delivery_id: str,
    signing_key: str | None = None,
    attempts: int = 3,
    retry_delay_s: float = 1.0,
    timeout_s: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivered:
    """POST ``body``; raises :class:`NotifyError` when refused, :class:`NotifyDeliveryError`
    when every attempt failed."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise NotifyError(
            f"the notification webhook address must be http(s), not {urlsplit(url).scheme!r}",
            hint="Fix REPO2VIDEO_NOTIFY_WEBHOOK_URL",
        )
    headers = {"Content-Type": "application/json", DELIVERY_HEADER: delivery_id}
    if signing_key:
        headers[SIGNATURE_HEADER] = sign(signing_key, body)
    where = shown_address(url)
    last = "no attempt"
    attempts = max(1, attempts)
    for attempt in range(1, attempts + 1):
        wait = retry_delay_s * 2 ** (attempt - 1)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as answer:
                return Delivered(answer.status, attempt)
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if exc.code != 429 and exc.code < 500:
                raise NotifyError(
                    f"notification webhook {where} refused the message ({last})"
                ) from None
            wait = _retry_after(exc.headers.get("Retry-After"), wait)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            last = reason.__class__.__name__ if isinstance(reason, Exception) else str(reason)
        if attempt < attempts:
            log.warning(
                "notification webhook %s: attempt %d of %d failed (%s); again in %.1f s",
                where, attempt, attempts, last, wait,
            )  # fmt: skip
            sleep(wait)
    raise NotifyDeliveryError(
        f"notification webhook {where} failed after {attempts} attempts ({last})"
    )


def _retry_after(header: str | None, default: float) -> float:
    """The server's ``Retry-After`` in seconds when it is a number under a minute."""
    try:
        seconds = float(header or "")
    except ValueError:
        return default
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER_S else default
