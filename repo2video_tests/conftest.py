"""Isolation from Dagster state that outlives a test."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


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
