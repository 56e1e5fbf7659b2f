"""Credentials in URLs never reach logs or error messages.

A target typed by a user, or git's own error output, may carry
``user:password@`` or a token; every message built from them goes through here.
"""

from __future__ import annotations

import re

_CRED_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def redact_credentials(text: str) -> str:
    """Hide ``user:password@`` / ``token@`` in URLs before they reach logs or messages."""
    return _CRED_RE.sub(lambda m: m.group(1) + "***@", text)
