"""Errors a user can act on, in two kinds: permanent and transient.

Every expected failure is raised as a :class:`UserError` with one line that says
what is wrong and what to do. The CLI prints that line without a traceback, and
the Dagster assets re-raise it as a ``Failure`` with the same description, so the
UI and the terminal show the same message.

The kind decides what happens next:

- **Permanent** (plain :class:`UserError` subclasses): the input is wrong (a URL
  the policy refuses, a repository over a limit, no README, bad configuration, an
  LLM answer that is not a valid script). Trying again cannot help, so the run
  fails at once.
- **Transient** (:class:`TransientError`): something outside the input failed
  and may well work a moment later (DNS, a dropped connection, a timeout, HTTP
  429/5xx from a service, an engine process killed by a signal, a full disk).
  The step's ``RetryPolicy`` runs it again with backoff; after the last attempt
  the run fails with this line.

Each transient class also derives from its permanent family (a
:class:`SourceUnavailableError` is a :class:`SourceError`), so code that catches
a family still catches both kinds.

What to do depends on where the line shows: the terminal names a variable or a flag
(``REPO2VIDEO_ALLOW_LOCAL=1``, ``--allow-local``), the Dagster UI names the launchpad
key (``resources.source.config.allow_local: true``), because a variable there needs a
restart and a flag does not exist. Such an error carries both hints and each place
asks for its own (:meth:`UserError.line_for`).
"""

from __future__ import annotations

import errno
import signal
from typing import Literal

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
"""``OSError`` numbers that mean "no room to write": transient, space may be freed."""

Place = Literal["cli", "ui"]
CLI: Place = "cli"
"""The terminal and the environment of a deployment: variables and flags (``str(err)``)."""
UI: Place = "ui"
"""The Dagster UI: launchpad keys."""


def _one_line(text: str) -> str:
    """``text`` with its line breaks (and the blanks around them) made single spaces."""
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


class UserError(Exception):
    """An expected failure; ``str(err)`` is the one line shown in the terminal.

    ``ui_hint`` replaces ``hint`` where the line shows in the Dagster UI.
    """

    def __init__(
        self, message: str, *, hint: str | None = None, ui_hint: str | None = None
    ) -> None:
        self.problem = _one_line(message).rstrip(".")
        self.hints: dict[Place, str | None] = {CLI: hint, UI: ui_hint or hint}
        super().__init__(self.line_for(CLI))

    def line_for(self, place: Place) -> str:
        """The line for ``place``: the problem, then what to do there."""
        hint = self.hints.get(place)
        return f"{self.problem}. {_one_line(hint)}" if hint else self.problem

    @property
    def message(self) -> str:
        return str(self)


class TransientError(UserError):
    """A failure outside the input that may not happen again: retried, then reported."""


def is_transient(err: BaseException) -> bool:
    """Whether ``err`` is worth another attempt (see the module docstring)."""
    return isinstance(err, TransientError)


# ---- permanent families -------------------------------------------------------------


class SourceError(UserError):
    """The target (URL or path) is not allowed, not a repository, or private."""


class RepositoryLimitError(UserError):
    """The repository exceeds a configured limit (size, file count)."""


class EmptyRepositoryError(UserError):
    """The repository has nothing to make a video from."""


class ScriptError(UserError):
    """A script writer (for example the LLM) gave an answer that cannot be used."""


class EngineError(UserError):
    """A speech, recognition or rendering engine is missing, misconfigured or failed."""


class OutputError(UserError):
    """Outputs could not be written (permissions, a read-only file system)."""


# ---- transient members of those families ---------------------------------------------


class SourceUnavailableError(SourceError, TransientError):
    """The git host could not be reached or broke off the transfer (DNS, connection,
    HTTP 5xx, an early end of the pack)."""


class CloneTimeoutError(RepositoryLimitError, TransientError):
    """A clone ran past its time limit: usually a slow network, so it is tried again."""


class ScriptServiceError(ScriptError, TransientError):
    """The LLM endpoint was unreachable, timed out, or answered HTTP 429 or 5xx."""


class EngineCrashError(EngineError, TransientError):
    """An engine process was killed by a signal (or stopped after hanging)."""


class DiskFullError(OutputError, TransientError):
    """A write failed with ENOSPC/EDQUOT: space may be freed before the next attempt."""


def process_killed(what: str, returncode: int) -> EngineCrashError | None:
    """An :class:`EngineCrashError` when ``returncode`` says ``what`` died by a signal
    (``subprocess`` reports ``-N``): the OOM killer, a crash, an operator's ``kill``."""
    if returncode >= 0:
        return None
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    return EngineCrashError(f"{what} was killed by {name}")


def disk_full_error(err: OSError) -> DiskFullError | None:
    """``err`` as a :class:`DiskFullError` when it says the disk (or quota) is full.

    Any stage may meet a full disk wherever it writes; the assets map it here, so a
    raw ``OSError(ENOSPC)`` is retried and then reported in one line.
    """
    if err.errno not in DISK_FULL_ERRNOS:
        return None
    where = f" writing {err.filename}" if err.filename else ""
    return DiskFullError(
        f"{err.strerror or 'No space left on device'}{where}", hint="Free disk space"
    )


def output_error(what: str, err: OSError, *, hint: str | None = None) -> OutputError:
    """``what`` failed with ``err``: a :class:`DiskFullError` when the disk is full, else
    an :class:`OutputError` (permissions, a read-only file system)."""
    reason = err.strerror or str(err)
    if err.errno in DISK_FULL_ERRNOS:
        return DiskFullError(f"{what}: {reason}", hint=hint or "Free disk space")
    return OutputError(f"{what}: {reason}", hint=hint)
