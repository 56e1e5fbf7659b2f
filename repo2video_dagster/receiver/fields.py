"""Text that may be stored or answered: valid UTF-8, no NUL, clipped to its column.

Webhook payloads are attacker-shaped JSON: a string may hold a lone surrogate
(``"\\ud800"`` is valid JSON but cannot be encoded as UTF-8, so SQLite's driver,
psycopg and the JSON response all fail on it), a NUL (PostgreSQL text refuses it),
or megabytes. Every value that reaches the event table or a response passes
through :func:`clean_text` with the limit of its column, so one odd delivery can
neither fail the group commit it shares with others nor differ between SQLite
(no length limits) and PostgreSQL (``varchar(n)`` refuses longer values).
"""

from __future__ import annotations

import math
import re
from typing import Any

# Column lengths of the event table (eventlog.py builds its columns from these).
DELIVERY_ID_MAX = 128
EVENT_MAX = 64
ACTION_MAX = 64
REPO_FULL_NAME_MAX = 255
REPO_URL_MAX = 1024
PARTITION_KEY_MAX = 255
COMMIT_SHA_MAX = 64
REF_MAX = 255
REASON_MAX = 255
SUMMARY_TEXT_MAX = 200
"""Each text value inside the summary JSON (which is a TEXT column)."""

_SURROGATE_OR_NUL = re.compile("[\ud800-\udfff\x00]")
_ELLIPSIS = "…"
_INT_LIMIT = 2**53  # what every JSON reader (and a float column) keeps exactly


def clean_text(value: str, limit: int) -> str:
    """``value`` with lone surrogates and NULs replaced by U+FFFD, at most ``limit`` characters.

    A clipped value ends with an ellipsis, so it never reads as the real thing.
    """
    text = _SURROGATE_OR_NUL.sub("\ufffd", value)
    if len(text) > limit:
        return text[: limit - 1] + _ELLIPSIS
    return text


def clean_optional(value: Any, limit: int) -> str | None:
    """:func:`clean_text` for strings; None for anything else (a number where text belongs)."""
    return clean_text(value, limit) if isinstance(value, str) else None


def clean_scalar(value: Any, limit: int = SUMMARY_TEXT_MAX) -> str | int | float | bool | None:
    """A summary value: clipped text, a bool, or a number JSON keeps exactly; else None.

    Objects and lists are dropped rather than stored: the summary names a few
    identifying fields, never whatever structure a payload put there.
    """
    if isinstance(value, str):
        return clean_text(value, limit)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_INT_LIMIT < value < _INT_LIMIT else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return None
