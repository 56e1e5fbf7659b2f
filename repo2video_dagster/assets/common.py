"""Small helpers shared by the asset modules: error mapping, metadata, retry policy."""

import base64
import io
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from dagster import Backoff, Failure, Jitter, MetadataValue, RetryPolicy

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.reuse import source_version

# Stages that touch the network or external processes retry transient failures
# with exponential backoff and jitter. User errors never retry (see user_errors).
TRANSIENT_RETRY = RetryPolicy(
    max_retries=2, delay=2.0, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)


def code_version(asset_module: str, *lib: ModuleType) -> str:
    """An asset's code version: the source of its module and of the library code it calls.

    Dagster marks an asset changed when it changes, and stage reuse keys include it, so
    editing a stage never serves a result the old code made (a hand-bumped number gets
    forgotten). ``asset_module`` is the asset module's ``__name__``; ``lib`` are modules
    or whole packages (see :func:`source_version`).
    """
    return source_version(sys.modules[asset_module], *lib)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`UserError` into a Dagster ``Failure`` with the same one-line message.

    ``allow_retries=False``: a bad URL or an empty repository will not get better
    by retrying, so the run fails at once with the message the CLI also prints.
    """
    try:
        yield
    except UserError as err:
        raise Failure(
            description=str(err), allow_retries=False, metadata={"error": str(err)}
        ) from None


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


def image_preview(path: str | os.PathLike[str], width: int = 360) -> MetadataValue:
    """An inline image for the asset's materialization page (a small JPEG as a data URI)."""
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("RGB")
        img.thumbnail((width, width * 2))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=80)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return MetadataValue.md(f"![preview](data:image/jpeg;base64,{data})")


def path_value(path: str | os.PathLike[str]) -> MetadataValue:
    return MetadataValue.path(str(Path(path)))


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GB"
