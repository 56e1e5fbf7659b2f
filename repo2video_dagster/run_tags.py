"""Tags on render runs: who started a run, for which repository and commit.

The CLI, the sensor and the schedule set them (:func:`render_tags`); ``/jobs`` and
``repo2video jobs`` read them back, and the sensor finds queued runs by them.
"""

from __future__ import annotations

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

# Dagster's.
PARTITION_TAG = "dagster/partition"
RETRY_NUMBER_TAG = "dagster/retry_number"
ROOT_RUN_TAG = "dagster/root_run_id"
MAX_RUNTIME_TAG = "dagster/max_runtime"

TRIGGER_CLI = "cli"
TRIGGER_WEBHOOK = "webhook"
TRIGGER_SCHEDULE = "schedule"

RENDER_JOB_TAGS = {MAX_RUNTIME_TAG: "1800"}
"""On every render run: a 30-minute timeout (the system this replaces used 30
minutes), enforced by run monitoring."""


def render_tags(key: str, target: str, trigger: str, commit: str | None = None) -> dict[str, str]:
    """The tags every render run carries; ``commit`` when the starter knows it."""
    tags = {TAG_REPO: key, TAG_TARGET: target, TAG_TRIGGER: trigger}
    if commit:
        tags[TAG_COMMIT] = commit
    return tags
