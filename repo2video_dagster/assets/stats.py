"""``render_stats``: how the render service has been doing, from Dagster's run storage.

Not partitioned: one materialization covers every repository. It reads the newest
finished render runs (``REPO2VIDEO_STATS_RUNS``), computes with pandas the daily
success rate, the median and p95 duration of each stage, and the queue wait, and shows
them on the asset's page in the UI (markdown tables and the success-rate chart). It
writes the tables as CSV under ``<data>/stats/`` and refreshes the site's status page
(``site/status.html``: recent renders, the queue, the chart). The automation daemon
materializes it every hour; "Materialize" in the UI refreshes it at once.
"""

import base64
import time
from collections.abc import Sequence
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AutomationCondition,
    DagsterInstance,
    MaterializeResult,
    MetadataValue,
    asset,
)

from repo2video_dagster.assets.common import code_version, path_value, user_errors
from repo2video_dagster.lib import stats as stats_lib
from repo2video_dagster.lib.core.settings import env_number, ui_url
from repo2video_dagster.lib.publish import status_page
from repo2video_dagster.lib.stats.chart import success_chart_png
from repo2video_dagster.lib.stats.history import RunFacts
from repo2video_dagster.lib.stats.tables import daily_success, markdown, stage_durations, summary
from repo2video_dagster.resources import StorageResource
from repo2video_dagster.run_history import queued_runs, recent_renders, render_history

DEFAULT_STATS_RUNS = 500


def stats_window() -> int:
    return env_number("STATS_RUNS", DEFAULT_STATS_RUNS) or DEFAULT_STATS_RUNS


def publish_status_page(
    instance: DagsterInstance,
    site_dir: Path,
    history: Sequence[RunFacts] | None = None,
    chart: bytes | None = None,
) -> Path:
    """Write the site's status page from run storage (``history``: finished runs, read
    without stage timings when not given)."""
    if history is None:
        history = render_history(instance, limit=stats_window(), stages=False)
    if chart is None:
        chart = success_chart_png(daily_success(history))
    return status_page.write_status_page(
        site_dir,
        recent=recent_renders(instance),
        queue=queued_runs(instance),
        summary=summary(history),
        chart_png=chart,
        ui_url=ui_url(),
        now=time.time(),
    )


@asset(
    group_name="operations",
    kinds={"pandas", "png", "html"},
    code_version=code_version(__name__, stats_lib, status_page),
    automation_condition=AutomationCondition.on_cron("0 * * * *"),
    description=(
        "Daily success rate, median and p95 duration per stage, and queue wait of recent "
        "renders (pandas over run storage), with a chart; refreshes the site's status page."
    ),
)
def render_stats(context: AssetExecutionContext, storage: StorageResource) -> MaterializeResult:
    instance = context.instance
    history = render_history(instance, limit=stats_window())
    daily = daily_success(history)
    stages = stage_durations(history)
    figures = summary(history)
    chart = success_chart_png(daily)
    layout = storage.layout
    out = layout.root / "stats"
    with user_errors():
        out.mkdir(parents=True, exist_ok=True)
        daily.to_csv(out / "daily_success.csv", index=False)
        stages.to_csv(out / "stage_durations.csv", index=False)
        chart_path = out / "success_rate.png"
        chart_path.write_bytes(chart)
        page = publish_status_page(instance, layout.site, history, chart)
    context.log.info(
        f"render_stats: {figures['runs']} finished renders, success rate {figures['success_rate']}"
    )
    return MaterializeResult(
        metadata={
            "finished_runs": figures["runs"],
            "success_rate": figures["success_rate"],
            "render_median_s": figures["render_median_s"],
            "render_p95_s": figures["render_p95_s"],
            "queue_wait_median_s": figures["queue_wait_median_s"],
            "queue_wait_p95_s": figures["queue_wait_p95_s"],
            "daily_success": MetadataValue.md(markdown(daily)),
            "stage_durations": MetadataValue.md(markdown(stages)),
            "success_chart": MetadataValue.md(
                f"![success rate](data:image/png;base64,{base64.b64encode(chart).decode()})"
            ),
            "success_chart_path": path_value(chart_path),
            "status_page": path_value(page),
        }
    )
