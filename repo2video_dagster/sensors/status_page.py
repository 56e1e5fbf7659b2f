"""``refresh_status_page``: the site's status page follows the runs, not only the hour.

``render_stats`` rewrites ``status.html`` when it is materialized (hourly); between
two materializations this sensor rewrites it whenever a render run changed state
(queued, started, ended): one indexed query per tick finds the newest change, and the
page is built from run storage without stage timings (a query per run), so a tick
costs little. The cursor is the update time of the newest change it has shown.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import (
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from repo2video_dagster.assets.stats import publish_status_page
from repo2video_dagster.partitions import RENDER_JOB_NAME
from repo2video_dagster.resources import StorageResource


@sensor(
    name="refresh_status_page",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Rewrites the site's status page (site/status.html) when a render run changes state.",
)
def refresh_status_page(context: SensorEvaluationContext, storage: StorageResource) -> SensorResult:
    since = float(context.cursor) if (context.cursor or "").replace(".", "", 1).isdigit() else 0.0
    newest = context.instance.get_run_records(
        RunsFilter(job_name=RENDER_JOB_NAME, updated_after=datetime.fromtimestamp(since, UTC)),
        limit=1,
        order_by="update_timestamp",
        ascending=False,
    )
    if not newest or newest[0].update_timestamp.timestamp() <= since:
        return SensorResult(skip_reason="no render run changed since the last page")
    changed = newest[0].update_timestamp.timestamp()
    page = publish_status_page(context.instance, storage.layout.site)
    context.log.info(f"status page rewritten: {page}")
    return SensorResult(skip_reason=f"status page rewritten ({page.name})", cursor=repr(changed))
