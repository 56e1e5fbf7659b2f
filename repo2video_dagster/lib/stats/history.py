"""Run history as plain records: what the ``render_stats`` asset and the status page read.

The Dagster side (``repo2video_dagster/run_history.py``) fills these from run storage,
so the tables and the chart can be computed (and tested) from plain values.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RunFacts:
    """One render run: who, how it ended, when, and how long each stage took."""

    run_id: str
    repository: str | None
    status: str
    """Dagster's status, lower case: ``success``, ``failure``, ``queued``, ``started`` …"""
    trigger: str | None
    created: float
    """Epoch seconds the run was created (queued)."""
    started: float | None = None
    ended: float | None = None
    priority: int = 0
    error: str | None = None
    stages: dict[str, float] = field(default_factory=dict)
    """Stage (step key) -> seconds, for the steps that finished."""

    @property
    def duration_s(self) -> float | None:
        return self.ended - self.started if self.started and self.ended else None

    @property
    def queue_wait_s(self) -> float | None:
        return max(0.0, self.started - self.created) if self.started else None
