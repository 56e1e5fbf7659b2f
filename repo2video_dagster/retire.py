"""Retiring a repository: the inverse of ``launch.register_repository``, plus its files.

``repo2video retire TARGET_OR_KEY`` and the ``retire_repository`` job of the Dagster
UI both come here: the repository's dynamic partition goes (so the UI, backfills and
the schedule no longer offer it), its registry entry, its outputs and checkout, and
its page on the site. The run history stays in Dagster's storage, so adding the
repository again shows its earlier runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.registry import SourceRegistry, valid_key
from repo2video_dagster.lib.core.settings import DataLayout
from repo2video_dagster.lib.publish.retire import retire_files
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.targets import key_for, with_github_shorthand
from repo2video_dagster.partitions import REPOSITORIES_PARTITIONS_NAME
from repo2video_dagster.run_tags import PARTITION_TAG

IN_PROGRESS = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class Retired:
    """What retiring a repository removed."""

    key: str
    target: str | None
    partition: bool
    """Whether it had a dynamic partition."""
    removed: list[Path]
    """Folders deleted: outputs, checkout, site page."""

    @property
    def line(self) -> str:
        parts = ["partition"] if self.partition else []
        parts += ["registry entry"] if self.target else []
        parts += [str(p) for p in self.removed]
        return f"retired {self.key}: removed {', '.join(parts) or 'nothing'}"


def resolve_key(instance: DagsterInstance, data_dir: Path, text: str) -> str:
    """The partition key ``text`` names: a key itself, or the URL, ``owner/name`` or path
    a repository was added with (the key is derived; nothing is fetched)."""
    text = text.strip()
    known = set(instance.get_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME))
    if text in known or (text and SourceRegistry(data_dir).get(text)):
        return text
    # Any host and local paths: deriving a key reads nothing and fetches nothing.
    policy = dataclasses.replace(SourcePolicy.from_env(), allow_local=True, allow_ssh=True)
    try:
        key = key_for(with_github_shorthand(text), policy)
    except UserError:
        key = None
    if key is None or not (key in known or SourceRegistry(data_dir).get(key)):
        raise UserError(
            f"no repository {text!r} is registered",
            hint="Give its partition key (`repo2video jobs` lists them) or the URL or path it "
            "was added with",
            ui_hint="Give its partition key (Assets → video → Partitions lists them) or the "
            "URL or path it was added with",
        )
    return key


def retire_repository(instance: DagsterInstance, data_dir: Path, key: str) -> Retired:
    """Delete partition ``key``, its registry entry, outputs, checkout and site page.

    Refused while a run for it is queued or running: the run would write its outputs
    again, or fail for want of a partition.
    """
    active = instance.get_run_records(
        RunsFilter(tags={PARTITION_TAG: key}, statuses=IN_PROGRESS), limit=1
    )
    if active:
        run_id = active[0].dagster_run.run_id
        raise UserError(
            f"{key} has a run in progress ({run_id[:8]})",
            hint="Wait for it to end or cancel it, then retire the repository",
        )
    partition = key in instance.get_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME)
    if partition:
        instance.delete_dynamic_partition(REPOSITORIES_PARTITIONS_NAME, key)
    registry = SourceRegistry(data_dir)
    target = registry.get(key)
    registry.remove(key)
    # A key that is no file name (a URL typed into "Add partition") never had files.
    removed = retire_files(DataLayout(Path(data_dir)), key) if valid_key(key) else []
    return Retired(key=key, target=target, partition=partition, removed=removed)
