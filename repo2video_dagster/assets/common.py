"""Small helpers shared by the asset modules: error mapping, retry policy, metadata."""

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from dagster import Backoff, Failure, Jitter, MetadataValue, RetryPolicy

from repo2video_dagster.launch import CLI_ERROR_KEY
from repo2video_dagster.lib.core.errors import CLI, UI, UserError, disk_full_error, is_transient
from repo2video_dagster.lib.core.retry import MAX_RETRIES, retry_delay_s
from repo2video_dagster.lib.core.reuse import source_version

# Every stage can meet a transient failure (a network, an engine process, a full disk),
# so every stage has this policy: 2 retries, exponential backoff with jitter (about
# 2 s, then 6 s, by default). Permanent errors opt out with Failure(allow_retries=False)
# (see user_errors); unexpected exceptions (bugs) are retried too, since nothing says
# they will not pass, and keep their traceback in the event log.
TRANSIENT_RETRY = RetryPolicy(
    max_retries=MAX_RETRIES,
    delay=retry_delay_s(),
    backoff=Backoff.EXPONENTIAL,
    jitter=Jitter.PLUS_MINUS,
)


def code_version(asset_module: str, *lib: ModuleType) -> str:
    """An asset's code version: the source of its module and of the library code it calls.

    Dagster marks an asset changed when it changes, and stage reuse keys include it, so
    editing a stage never serves a result the old code made (a hand-bumped number gets
    forgotten). ``asset_module`` is the asset module's ``__name__``; ``lib`` are modules
    or whole packages (see :func:`source_version`).
    """
    return source_version(sys.modules[asset_module], *lib)


def user_failure(err: UserError) -> Failure:
    """The Dagster ``Failure`` for ``err``, with its one line as the description.

    Permanent errors get ``allow_retries=False``: a bad URL or an empty repository will
    not get better by retrying, so the run fails at once with the line the CLI also
    prints. Transient ones may be retried by the step's ``RetryPolicy``; when the last
    attempt fails too, the run fails with this line.
    """
    transient = is_transient(err)
    line = err.line_for(UI)
    return Failure(
        description=line,
        allow_retries=transient,
        metadata={"error": line, CLI_ERROR_KEY: err.line_for(CLI), "transient": transient},
    )


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`UserError` (or a write that found the disk full) into a ``Failure``.

    The description (what the UI shows) names the launchpad key that fixes it; the
    terminal's line, naming the variable or flag, rides along as metadata for
    ``repo2video render`` and ``/jobs`` (``launch.failure_of``). The error is chained
    (``from err``), so the event log keeps where it was raised. Other exceptions pass
    untouched: Dagster records them with their traceback.
    """
    try:
        yield
    except UserError as err:
        raise user_failure(err) from err
    except OSError as err:
        full = disk_full_error(err)
        if full is None:
            raise
        raise user_failure(full) from err


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A GitHub-flavoured markdown table (the UI renders it; pandas' to_markdown needs tabulate)."""
    if not rows:
        return "_(none)_"
    cols = list(columns or rows[0].keys())

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def path_value(path: str | os.PathLike[str]) -> MetadataValue:
    return MetadataValue.path(str(Path(path)))


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GB"
