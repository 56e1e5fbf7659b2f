"""Starting a render, and telling how a render ended: one way, for every entry point.

A render starts in three steps that the CLI, the development tools and the tests
need in the same form: record where the repository comes from in the
:class:`SourceRegistry` (``repo_snapshot`` reads it back), add the repository's
partition, and execute the render job (:func:`register_repository`,
:func:`run_render`). The sensor records its targets here too
(:func:`record_targets`) and adds the partitions through its result, which the
daemon applies before it launches the runs.

How a failed run is told, one line and whether the user can fix it, is read here
from the run's events, as an in-process run returns them (:func:`result_failure`)
or as the instance stored them (:func:`stored_failure`, for ``/jobs``), so the
terminal and the API say the same thing; :func:`record_failure` puts that line where
the Dagster UI shows it (a run tag, and an observation of the asset partition). Checks that failed in a successful run
are read the same two ways (:func:`failed_checks`, :func:`stored_failed_checks`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetObservation,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    MetadataValue,
)

from repo2video_dagster.lib.core.errors import CLI, UI, Place
from repo2video_dagster.lib.core.records import RepoSource
from repo2video_dagster.lib.core.registry import SourceRegistry
from repo2video_dagster.partitions import RENDER_JOB_NAME, REPOSITORIES_PARTITIONS_NAME
from repo2video_dagster.run_tags import PARTITION_TAG, TAG_ERROR

FAILURE_LINE_MAX = 500
CLI_ERROR_KEY = "error_in_terminal"
"""Failure metadata: the line for the terminal (variables and flags), where the
description, shown by the UI, names launchpad keys (``assets/common.user_errors``)."""
NO_DETAILS = "the run failed; open the Dagster UI (make dev) for details"


# ---- starting a render ---------------------------------------------------------------


def register_repository(instance: DagsterInstance, data_dir: Path, source: RepoSource) -> None:
    """Record the source's target and add its partition, so the render job can run for it."""
    SourceRegistry(data_dir).add(source)
    instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, [source.key])


def record_targets(
    instance: DagsterInstance, data_dir: Path, targets: Iterable[tuple[str, str | None]]
) -> list[str]:
    """Record each ``(key, target)``; return the keys without a partition yet, first seen first.

    For the sensor: the receiver parsed each URL and chose its target by the
    registry's rule (``registered_target``); a later target for a key replaces an
    earlier one. The caller adds the returned keys as partitions.
    """
    registry = SourceRegistry(data_dir)
    known = set(instance.get_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME))
    new_keys: list[str] = []
    for key, target in targets:
        if key not in known:
            known.add(key)
            new_keys.append(key)
        if target:
            registry.put(key, target)
    return new_keys


def run_render(
    defs: Definitions,
    instance: DagsterInstance,
    key: str,
    *,
    tags: Mapping[str, str] | None = None,
    assets: Sequence[str] | None = None,
    loggers: Mapping[str, Any] | None = None,
) -> ExecuteInProcessResult:
    """Execute the render job for partition ``key`` in this process, on ``instance``.

    ``assets`` limits the run to some stages; ``loggers`` is the run config of the
    loggers (for example the progress logger's terminal fd). A failed step does not
    raise: read the result with :func:`result_failure` (a failed run is tagged with it).
    """
    job = defs.resolve_job_def(RENDER_JOB_NAME)
    result = job.execute_in_process(
        instance=instance,
        partition_key=key,
        asset_selection=[AssetKey(name) for name in assets] if assets else None,
        run_config={"loggers": dict(loggers)} if loggers else None,
        tags=dict(tags or {}),
        raise_on_error=False,
    )
    if not result.success:
        assets = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
        record_failure(instance, result.run_id, assets)
    return result


# ---- how a render failed -------------------------------------------------------------


@dataclass(frozen=True)
class RunFailure:
    """Why a run failed, as the one line a person sees."""

    line: str
    users_to_fix: bool
    """True when a stage raised ``Failure`` (a ``UserError``'s message: a bad target, an
    empty repository), False for a crash, which is reported with the stage's name."""
    step: str | None = None
    """The step that failed (an asset's name in the render job); None for a run failure."""


def failure_of(events: Iterable[DagsterEvent], place: Place = CLI) -> RunFailure:
    """The first failed step's line; else the run's failure message; else where to look.

    ``place`` is where the line shows: a fix the user can make names a variable or flag
    for the terminal and ``/jobs`` (``CLI``), a launchpad key for the Dagster UI (``UI``).
    """
    run_failure: DagsterEvent | None = None
    checks: list[DagsterEvent] = []
    for event in events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            checks.append(event)
        if event.event_type == DagsterEventType.STEP_FAILURE:
            blocked = _blocking_check_failure(event, checks)
            return blocked or _step_failure(event, place)
        if event.event_type == DagsterEventType.RUN_FAILURE and run_failure is None:
            run_failure = event
    if run_failure is not None:
        error = getattr(run_failure.event_specific_data, "error", None)
        text = _innermost_line(error) if error is not None else run_failure.message
        return RunFailure(_one_line(text or NO_DETAILS), False)
    return RunFailure(NO_DETAILS, False)


def result_failure(result: ExecuteInProcessResult, place: Place = CLI) -> RunFailure:
    """How an in-process run failed (what the CLI prints)."""
    return failure_of(result.all_events, place)


def stored_failure(instance: DagsterInstance, run_id: str, place: Place = CLI) -> RunFailure:
    """How a stored run failed, read from its event log (what ``/jobs`` answers)."""
    kinds = {
        DagsterEventType.STEP_FAILURE,
        DagsterEventType.RUN_FAILURE,
        DagsterEventType.ASSET_CHECK_EVALUATION,
    }
    records = instance.get_records_for_run(run_id, of_type=kinds).records
    events = (r.event_log_entry.dagster_event for r in records)
    return failure_of((event for event in events if event is not None), place)


def record_failure(
    instance: DagsterInstance, run_id: str, assets: Collection[str] = ()
) -> RunFailure:
    """Put why run ``run_id`` failed where the Dagster UI shows it, in the UI's words.

    As the run's ``TAG_ERROR`` (the runs list shows tags), and, when the stage of a
    partition that failed is one of ``assets``, as an observation of that asset
    partition with the line as its ``error`` metadata: the partition page lists the
    observations newer than the partition's last materialization (its failure banner
    names only the run), and a later successful materialization hides it again.
    """
    failure = stored_failure(instance, run_id, UI)
    instance.add_run_tags(run_id, {TAG_ERROR: failure.line})
    run = instance.get_run_by_id(run_id)
    partition = run.tags.get(PARTITION_TAG) if run is not None else None
    if partition and failure.step in assets:
        instance.report_runless_asset_event(
            AssetObservation(
                asset_key=failure.step,
                partition=partition,
                metadata={"error": failure.line, "failed_run": MetadataValue.dagster_run(run_id)},
            )
        )
    return failure


# ---- checks that failed --------------------------------------------------------------


@dataclass(frozen=True)
class CheckFailure:
    """An asset check that did not pass, as the CLI summary and ``/jobs`` show it."""

    asset: str
    check: str
    severity: str
    """``ERROR`` or ``WARN``."""
    description: str

    @property
    def line(self) -> str:
        what = f": {self.description}" if self.description else ""
        return f"{self.check} ({self.asset}) failed [{self.severity.lower()}]{what}"

    def as_dict(self) -> dict[str, str]:
        return {
            "asset": self.asset,
            "check": self.check,
            "severity": self.severity,
            "description": self.description,
        }


def failed_checks(events: Iterable[DagsterEvent]) -> list[CheckFailure]:
    """The checks evaluated in these events that failed, in the order they ran."""
    out: list[CheckFailure] = []
    for event in events:
        if event.event_type != DagsterEventType.ASSET_CHECK_EVALUATION:
            continue
        data = event.event_specific_data
        if isinstance(data, AssetCheckEvaluation) and not data.passed:
            out.append(
                CheckFailure(
                    asset=data.asset_key.to_user_string(),
                    check=data.check_name,
                    severity=data.severity.value,
                    description=_one_line(data.description or ""),
                )
            )
    return out


def stored_failed_checks(instance: DagsterInstance, run_id: str) -> list[CheckFailure]:
    """The failed checks of a stored run (what ``/jobs`` answers)."""
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    events = (r.event_log_entry.dagster_event for r in records)
    return failed_checks(event for event in events if event is not None)


def _blocking_check_failure(step: DagsterEvent, checks: list[DagsterEvent]) -> RunFailure | None:
    """A step stopped by a blocking check: the check and what it found, not Dagster's
    "1 blocking asset check failed" (the broken output is not the user's to fix)."""
    error = step.step_failure_data.error
    names = set()
    while error is not None:
        names.add(error.cls_name)
        error = error.cause
    if "DagsterAssetCheckFailedError" not in names:
        return None
    failed = [c for c in failed_checks(checks) if c.severity == "ERROR"]
    if not failed:
        return None
    line = "; ".join(f"check {c.check} of {c.asset} failed: {c.description}" for c in failed)
    return RunFailure(_one_line(line), False, step.step_key)


def _step_failure(event: DagsterEvent, place: Place) -> RunFailure:
    data = event.step_failure_data
    user = data.user_failure_data
    if user is not None and user.description:
        line = user.description
        in_terminal = (user.metadata or {}).get(CLI_ERROR_KEY)
        if place == CLI and in_terminal is not None:
            line = str(getattr(in_terminal, "value", in_terminal))
        return RunFailure(_one_line(line), True, event.step_key)
    what = _innermost_line(data.error) if data.error is not None else "failed"
    return RunFailure(_one_line(f"stage {event.step_key} failed: {what}"), False, event.step_key)


def _innermost_line(error: Any) -> str:
    """The first line of the innermost cause (``ValueError: what went wrong``)."""
    while error.cause is not None:
        error = error.cause
    lines = (error.message or "").strip().splitlines()
    return lines[0] if lines else error.cls_name or "error"


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= FAILURE_LINE_MAX else text[: FAILURE_LINE_MAX - 1] + "…"
