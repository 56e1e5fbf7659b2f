"""The render statistics as pandas frames: daily success rate, stage durations, queue wait.

pandas is imported inside the functions: it costs about 0.6 s of every process that
loads the code location.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from repo2video_dagster.lib.stats.history import RunFacts

if TYPE_CHECKING:
    import pandas as pd

FINISHED = ("success", "failure", "canceled")


def runs_frame(runs: Sequence[RunFacts]) -> pd.DataFrame:
    """One row per run: day (UTC), status, duration, queue wait."""
    import pandas as pd

    rows = [
        {
            "run_id": r.run_id,
            "repository": r.repository,
            "status": r.status,
            "day": datetime.fromtimestamp(r.created, UTC).date().isoformat(),
            "duration_s": r.duration_s,
            "queue_wait_s": r.queue_wait_s,
        }
        for r in runs
    ]
    columns = ["run_id", "repository", "status", "day", "duration_s", "queue_wait_s"]
    return pd.DataFrame(rows, columns=columns)


def daily_success(runs: Sequence[RunFacts]) -> pd.DataFrame:
    """Per day (UTC, oldest first): finished runs, successes, failures, success rate (0–1)."""
    import pandas as pd

    frame = runs_frame(runs)
    frame = frame[frame["status"].isin(FINISHED)]
    if frame.empty:
        return pd.DataFrame(columns=["day", "runs", "successes", "failures", "success_rate"])
    grouped = frame.groupby("day")["status"]
    out = pd.DataFrame(
        {
            "runs": grouped.size(),
            "successes": grouped.apply(lambda s: int((s == "success").sum())),
            "failures": grouped.apply(lambda s: int((s == "failure").sum())),
        }
    ).reset_index()
    out["success_rate"] = (out["successes"] / out["runs"]).round(3)
    return out.sort_values("day", ignore_index=True)


def stage_durations(runs: Sequence[RunFacts], stage_order: Sequence[str] = ()) -> pd.DataFrame:
    """Per stage: runs measured, median and p95 seconds (stages in ``stage_order`` first)."""
    import pandas as pd

    rows = [{"stage": s, "seconds": sec} for r in runs for s, sec in r.stages.items()]
    if not rows:
        return pd.DataFrame(columns=["stage", "runs", "median_s", "p95_s"])
    frame = pd.DataFrame(rows)
    grouped = frame.groupby("stage")["seconds"]
    out = pd.DataFrame(
        {
            "runs": grouped.size(),
            "median_s": grouped.median().round(2),
            "p95_s": grouped.quantile(0.95).round(2),
        }
    ).reset_index()
    rank = {stage: i for i, stage in enumerate(stage_order)}
    out["_rank"] = out["stage"].map(lambda s: rank.get(s, len(rank)))
    return out.sort_values(["_rank", "stage"], ignore_index=True).drop(columns="_rank")


def summary(runs: Sequence[RunFacts]) -> dict[str, Any]:
    """Whole-window figures: finished runs, success rate, render and queue-wait median/p95."""
    frame = runs_frame(runs)
    finished = frame[frame["status"].isin(FINISHED)]
    durations = finished["duration_s"].dropna()
    waits = frame["queue_wait_s"].dropna()

    def q(series: Any, p: float) -> float | None:
        return round(float(series.quantile(p)), 2) if len(series) else None

    return {
        "runs": int(len(finished)),
        "success_rate": round(float((finished["status"] == "success").mean()), 3)
        if len(finished)
        else None,
        "render_median_s": q(durations, 0.5),
        "render_p95_s": q(durations, 0.95),
        "queue_wait_median_s": q(waits, 0.5),
        "queue_wait_p95_s": q(waits, 0.95),
    }


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table (pandas' ``to_markdown`` needs tabulate)."""
    if frame.empty:
        return "_(no runs yet)_"
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)
