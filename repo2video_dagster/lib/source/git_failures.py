"""What a failed git command means for the user: a permanent or a transient error.

Permanent: the repository is missing or private, the URL is not a repository, or
git failed for a reason we do not recognise (the status quo: fail with git's line).
Transient: the host could not be resolved or reached, or the transfer broke off
(HTTP 429/5xx, a dropped connection, an early end of the pack, a full disk). Those
are :class:`~repo2video_dagster.lib.core.errors.SourceUnavailableError`, which the
``repo_snapshot`` step retries.
"""

from __future__ import annotations

import re

from repo2video_dagster.lib.core.errors import (
    CloneTimeoutError,
    SourceError,
    SourceUnavailableError,
)
from repo2video_dagster.lib.core.records import RepoSource
from repo2video_dagster.lib.source.git import GitCommandError
from repo2video_dagster.lib.source.policy import SourcePolicy, launchpad_key
from repo2video_dagster.lib.source.redaction import redact_credentials

_NOT_FOUND = (
    "terminal prompts disabled",
    "authentication failed",
    "repository not found",
    "not found",
    "permission denied (publickey",
)
_DNS = ("could not resolve host", "couldn't resolve host", "temporary failure in name resolution")
TRANSFER_FAILURES = (
    # curl: the connection could not be made or was lost
    "failed to connect",
    "couldn't connect",
    "connection refused",
    "connection reset",
    "connection timed out",
    "operation timed out",
    "empty reply from server",
    "recv failure",
    "send failure",
    "transfer closed",
    "gnutls recv error",
    "non-properly terminated",
    "ssl_read",
    # the server answered 429 or 5xx (curl: "returned error: 502"; git: "RPC failed; HTTP 502")
    "returned error: 5",
    "returned error: 429",
    "rpc failed",
    # the pack stopped part way
    "early eof",
    "unexpected disconnect",
    "the remote end hung up",
    "index-pack failed",
    "invalid index-pack output",
    # the checkout filled the disk
    "no space left on device",
    "disk quota exceeded",
)
"""Lower-case fragments of git's (or curl's) stderr that mark a failure worth retrying."""


def is_transfer_failure(detail: str) -> bool:
    """Whether git's stderr ``detail`` says the network or the disk failed, not the input."""
    low = detail.lower()
    return any(marker in low for marker in (*_DNS, *TRANSFER_FAILURES))


def source_error(source: RepoSource, exc: GitCommandError) -> SourceError:
    """The user's one line for a failed ``git clone`` / ``ls-remote`` of ``source``."""
    reason = exc.reason
    low = reason.lower()
    shown = redact_credentials(source.target or source.url)
    if any(s in low for s in _NOT_FOUND):
        return SourceError(
            f"repository {shown} was not found or is private",
            hint="Check the URL; only public repositories can be cloned over https",
        )
    if any(s in exc.detail.lower() for s in _DNS):
        return SourceUnavailableError(
            f"cannot reach {source.host or shown}: {reason}", hint="Check the URL or your network"
        )
    if "does not appear to be a git repository" in low or "not a git repository" in low:
        return SourceError(f"{shown} is not a git repository", hint="Check the URL or path")
    if is_transfer_failure(exc.detail):
        return SourceUnavailableError(
            f"git {exc.command} of {shown} failed: {_telling_line(exc)}",
            hint="The host or the network failed; try again later",
        )
    return SourceError(
        f"git clone failed for {shown}: {reason}", hint="Check the URL and try again"
    )


def command_error(source: RepoSource, exc: GitCommandError) -> SourceError:
    """The one line for a failed git command after the clone (``checkout`` fetches the
    file contents of a partial clone, so it can meet the network too)."""
    shown = redact_credentials(source.target)
    if is_transfer_failure(exc.detail):
        return SourceUnavailableError(
            f"git {exc.command} of {shown} failed: {_telling_line(exc)}",
            hint="The host or the network failed; try again later",
        )
    return SourceError(
        f"git {exc.command} failed for {shown}: {exc.reason}",
        hint="Check that the repository is intact and try again",
    )


def clone_timeout(source: RepoSource, policy: SourcePolicy) -> CloneTimeoutError:
    """A clone past its time limit: most often a slow or stalled network, so transient."""
    return CloneTimeoutError(
        f"clone of {source.display_name} took longer than {policy.clone_timeout_s:g} s",
        hint="Raise REPO2VIDEO_CLONE_TIMEOUT_S or pick a smaller repository",
        ui_hint=f"Raise {launchpad_key('clone_timeout_s')} or pick a smaller repository",
    )


def _telling_line(exc: GitCommandError) -> str:
    """The stderr line that names the transfer failure (git's last line often does not:
    "RPC failed; HTTP 502" comes before "expected flush after ref listing")."""
    lines = [line.strip() for line in exc.detail.split(" | ") if line.strip()]
    found = next(
        (line for line in lines if any(m in line.lower() for m in TRANSFER_FAILURES)), exc.reason
    )
    found = re.sub(r"^(error|fatal):\s*", "", found)
    return re.sub(r"unable to access '[^']*':\s*", "", found)[:300]
