"""One retry policy for transient failures, in Dagster steps and outside them.

Every asset step retries a :class:`~repo2video_dagster.lib.core.errors.TransientError`
through Dagster's ``RetryPolicy`` (``assets/common.TRANSIENT_RETRY``). A few calls run
before any Dagster run exists, such as ``repo2video render`` resolving the remote's HEAD
to decide whether the stored video is current; :func:`call_with_retries` gives them the
same number of attempts and the same backoff, so a git host's passing 500 does not fail
the command at once while the same fault inside the run would have been retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from repo2video_dagster.lib.core.errors import UserError, is_transient
from repo2video_dagster.lib.core.settings import env_number

T = TypeVar("T")

MAX_RETRIES = 2


def retry_delay_s() -> float:
    """Base delay between attempts (``REPO2VIDEO_RETRY_DELAY_S``, default 2 s); tests set
    it small so retried steps finish quickly."""
    return max(0.0, env_number("RETRY_DELAY_S", 2.0))


def backoff_s(retry: int, base_s: float) -> float:
    """Wait before retry number ``retry`` (1, 2, ...): ``base × (2^retry − 1)``, i.e. about
    2 s, then 6 s by default: Dagster's ``Backoff.EXPONENTIAL`` for the same delay."""
    return base_s * (2**retry - 1)


def call_with_retries(
    call: Callable[[], T],
    *,
    on_retry: Callable[[UserError, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, tried again up to :data:`MAX_RETRIES` times while it raises a transient
    error; permanent errors and anything else are raised at once. ``on_retry(error,
    wait_s)`` is told before each wait (the CLI prints a line)."""
    base = retry_delay_s()
    for retry in range(1, MAX_RETRIES + 2):
        try:
            return call()
        except UserError as err:
            if retry > MAX_RETRIES or not is_transient(err):
                raise
            wait = backoff_s(retry, base)
            if on_retry is not None:
                on_retry(err, wait)
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
