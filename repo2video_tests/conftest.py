"""Shared fixtures, and settings for the whole test session that must be in place
before any test module imports the product."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Retried steps wait REPO2VIDEO_RETRY_DELAY_S between attempts (read when the assets are
# imported; 2 s by default): tests of transient faults need the retries, not the sleep.
os.environ.setdefault("REPO2VIDEO_RETRY_DELAY_S", "0.05")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.heavy`` tests run only with ``REPO2VIDEO_HEAVY=1`` (``make
    check-heavy``, which CI runs after ``make test``): they keep ``make test`` inside its
    15-minute budget on 2 cores."""
    from repo2video_devtools.reliability import HEAVY_ENV

    if os.environ.get(HEAVY_ENV):
        return
    skip = pytest.mark.skip(reason=f"heavy: make check-heavy (or {HEAVY_ENV}=1)")
    for item in items:
        if "heavy" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def instance():
    """A throw-away Dagster instance (SQLite storage in a temp dir), closed afterwards."""
    from dagster import instance_for_test

    with instance_for_test() as inst:
        yield inst


@pytest.fixture
def eventlog(tmp_path: Path) -> Iterator:
    """The receiver's event table in a fresh SQLite file, closed afterwards."""
    from repo2video_dagster.receiver.event_storage import sqlite_url
    from repo2video_dagster.receiver.eventlog import EventLog

    log = EventLog(sqlite_url(tmp_path / "events.db"))
    yield log
    log.close()


@pytest.fixture(autouse=True)
def _no_defs_state_storage_from_earlier_tests() -> Iterator[None]:
    """Each test starts without a current defs-state storage.

    Entering a ``DagsterInstance`` makes its defs-state storage the current one (a
    context variable). Seen once in a full run (Dagster 1.13): it was still set to a
    garbage-collected instance's storage when a later test resolved a job outside any
    instance, which failed with "Attempted to resolve undefined DagsterInstance weakref".
    """
    base = sys.modules.get("dagster._core.storage.defs_state.base")
    if base is None:  # Dagster not imported yet: nothing can have leaked
        yield
        return
    with base.set_defs_state_storage(None):
        yield
