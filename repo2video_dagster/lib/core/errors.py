"""Errors a user can act on.

Every failure caused by input (a bad URL, a repository that cannot be rendered, a
malformed LLM answer) is raised as :class:`UserError` with one line that says what
is wrong and what to do. The CLI prints that line without a traceback, and the
Dagster assets re-raise it as a ``Failure`` with the same description, so the UI
and the terminal show the same message.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can fix; ``str(err)`` is the one line shown to them."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        line = message.strip().rstrip(".")
        if hint:
            line = f"{line}. {hint.strip()}"
        super().__init__(line)

    @property
    def message(self) -> str:
        return str(self)


class SourceError(UserError):
    """The target (URL or path) is not allowed, unreachable, or not a repository."""


class RepositoryLimitError(UserError):
    """The repository exceeds a configured limit (size, file count, clone time)."""


class EmptyRepositoryError(UserError):
    """The repository has nothing to make a video from."""


class ScriptError(UserError):
    """A script writer (for example the LLM) gave an answer that cannot be used."""


class EngineError(UserError):
    """A speech, recognition or rendering engine is missing or failed."""


class OutputError(UserError):
    """Outputs could not be written (disk full, permissions)."""
