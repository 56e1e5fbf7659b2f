"""A render job's publication, for ``/jobs/<id>`` and ``repo2video jobs ID``.

The publication runs in its own run (``publish_repository``), tagged with the render
run it follows (``repo2video/render_run``). A job shows the newest such run: its
state, and what its ``publication`` materialization recorded: ``published`` with the
URLs (YouTube, release, page), ``deferred`` with until when and why, ``failed`` with
the one-line reason, or ``off``.
"""

from __future__ import annotations

from typing import Any

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from repo2video_dagster.launch import stored_failure
from repo2video_dagster.run_tags import TAG_RENDER_RUN

_TEXT = ("status", "until", "reason")


def publication_of(instance: DagsterInstance, render_run_id: str) -> dict[str, Any] | None:
    """The publication that followed ``render_run_id``, or None when there is none (yet)."""
    records = instance.get_run_records(RunsFilter(tags={TAG_RENDER_RUN: render_run_id}), limit=1)
    if not records:
        return None
    run = records[0].dagster_run
    out: dict[str, Any] = {"run_id": run.run_id, "status": run.status.value.lower(), "urls": {}}
    events = instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
    ).records
    for rec in events:
        mat = rec.event_log_entry.asset_materialization
        if mat is None or mat.asset_key.to_user_string() != "publication":
            continue
        for key, value in (mat.metadata or {}).items():
            if key in _TEXT:
                out[key] = getattr(value, "value", value)
            elif type(value).__name__ == "UrlMetadataValue":
                out["urls"][key] = value.url
    if run.status == DagsterRunStatus.FAILURE:
        out["status"] = "failed"
        out["reason"] = stored_failure(instance, run.run_id).line
    return out


def publication_lines(publication: dict[str, Any] | None) -> list[str]:
    """``publish:`` lines for the human view of a job."""
    if not publication:
        return []
    status = publication.get("status", "-")
    if status == "deferred" and publication.get("until"):
        status = f"deferred until {publication['until']}"
    if publication.get("reason"):
        status = f"{status}: {publication['reason']}"
    lines = [f"publish:  {status}"]
    lines += [f"  {name}: {url}" for name, url in sorted(publication.get("urls", {}).items())]
    return lines
