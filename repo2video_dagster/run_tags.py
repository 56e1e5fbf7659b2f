"""Tags on render runs: who started a run, for which repository and commit, and why it failed.

The CLI, the sensors and the schedule set them (:func:`render_tags`); ``repo_snapshot``
adds the repository and commit to runs started without them (the UI's Materialize
button, a backfill); ``/jobs`` and ``repo2video jobs`` read them back, and the sensor
finds queued runs by them. A failed run gets its one-line reason as ``TAG_ERROR``,
which the Dagster UI shows on the run page and in the runs list.
"""

from __future__ import annotations

from collections.abc import Iterable

from repo2video_dagster.priorities import PRIORITY_TAG, priority_for

# Ours.
TAG_REPO = "repo2video/repo"
TAG_TARGET = "repo2video/target"
TAG_DELIVERY = "repo2video/delivery_id"
TAG_EVENT = "repo2video/event"
TAG_REF = "repo2video/ref"
TAG_RENDER_RUN = "repo2video/render_run"
"""On a publication run: the render run it publishes (``/jobs`` shows it with that job)."""
TAG_COMMIT = "repo2video/commit"
TAG_TRIGGER = "repo2video/trigger"
TAG_COALESCED = "repo2video/coalesced"
"""How many webhook deliveries a sensor run request stands for."""
TAG_ERROR = "repo2video/error"
"""On a failed run: why, in one line (``launch.record_failure``)."""
TAG_ADDED_BY = "repo2video/added_by"
"""On the render a UI-added repository starts with: the ``add_repository`` run's id."""

# Dagster's.
PARTITION_TAG = "dagster/partition"
RETRY_NUMBER_TAG = "dagster/retry_number"
ROOT_RUN_TAG = "dagster/root_run_id"
MAX_RUNTIME_TAG = "dagster/max_runtime"

TRIGGER_CLI = "cli"
TRIGGER_WEBHOOK = "webhook"
TRIGGER_SCHEDULE = "schedule"
TRIGGER_UI = "ui"

RENDER_JOB_TAGS = {MAX_RUNTIME_TAG: "1800", PRIORITY_TAG: str(priority_for("ui"))}
"""On every render run: a 30-minute timeout (the system this replaces used 30
minutes), enforced by run monitoring; the priority of a launch from the UI (a run
request's own priority replaces it)."""


def render_tags(
    key: str,
    target: str,
    trigger: str,
    commit: str | None = None,
    events: Iterable[str] = (),
) -> dict[str, str]:
    """The tags every render run carries; ``commit`` when the starter knows it.

    The priority follows the trigger and, for webhooks, the highest of ``events``.
    """
    tags = {
        TAG_REPO: key,
        TAG_TARGET: target,
        TAG_TRIGGER: trigger,
        PRIORITY_TAG: str(priority_for(trigger, events)),
    }
    if commit:
        tags[TAG_COMMIT] = commit
    return tags
