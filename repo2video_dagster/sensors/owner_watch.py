"""``github_owner_watcher``: renders new public repositories of watched GitHub owners.

For repositories that have no webhook: every ``REPO2VIDEO_WATCH_INTERVAL_S`` the
sensor lists the public repositories of each organisation in ``REPO2VIDEO_WATCH_ORGS``
and user in ``REPO2VIDEO_WATCH_USERS`` (``lib/source/github_watch.py``: conditional
requests, so an unchanged list costs no rate limit), adds each repository it has not
seen as a partition (its target recorded like the webhook sensor's) and requests its
render (trigger ``watcher``, star-level priority). Forks and archived repositories are
skipped unless ``REPO2VIDEO_WATCH_FORKS=1``.

The cursor (JSON) keeps, per owner, the last ETag and every repository seen, and the
time before which GitHub asked not to be called: nothing is requested twice, and no
request is made while a rate limit lasts. The repositories present when an owner is
first listed are only remembered, unless ``REPO2VIDEO_WATCH_EXISTING=1`` renders them
too. ``run_key`` is ``watch:<key>``, so even a lost cursor never starts a second run.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from dagster import (
    ConfigurableResource,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from repo2video_dagster.launch import record_targets
from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.settings import env_number
from repo2video_dagster.lib.source.github_api import GitHubApiError, GitHubClient
from repo2video_dagster.lib.source.github_watch import RateLimited, RepoWatcher
from repo2video_dagster.partitions import RENDER_JOB_NAME, repositories_partitions
from repo2video_dagster.receiver.webhooks import github_partition_key
from repo2video_dagster.resources import StorageResource, env_default
from repo2video_dagster.run_tags import render_tags

TRIGGER_WATCHER = "watcher"
DEFAULT_INTERVAL_S = 300


class WatchResource(ConfigurableResource):
    """Which GitHub owners to watch for new public repositories (the token stays in env)."""

    orgs: list[str] = env_default("WATCH_ORGS", [])
    users: list[str] = env_default("WATCH_USERS", [])
    existing: bool = env_default("WATCH_EXISTING", False)
    forks: bool = env_default("WATCH_FORKS", False)
    api_url: str = env_default("GITHUB_API_URL", "https://api.github.com")
    timeout_s: float = 10.0

    def owners(self) -> list[tuple[str, str]]:
        return [("org", o) for o in self.orgs] + [("user", u) for u in self.users]

    def watcher(self) -> RepoWatcher:
        token = os.environ.get("GITHUB_TOKEN") or os.environ.get("REPO2VIDEO_GITHUB_TOKEN")
        try:
            client = GitHubClient(self.api_url, token or None, self.timeout_s)
        except ValueError as err:
            raise UserError(str(err), hint="Fix REPO2VIDEO_GITHUB_API_URL") from None
        return RepoWatcher(client)


def _wanted(repo: dict[str, Any], forks: bool) -> bool:
    if repo.get("private") or repo.get("visibility") not in (None, "public"):
        return False
    if repo.get("archived") or repo.get("disabled"):
        return False
    return forks or not repo.get("fork")


def evaluate_watch(
    context: SensorEvaluationContext, watch: WatchResource, data_dir: Any, now: float | None = None
) -> SensorResult:
    """One tick: list each owner (unless waiting), request renders of new repositories."""
    now = time.time() if now is None else now
    try:
        state: dict[str, Any] = json.loads(context.cursor) if context.cursor else {}
    except ValueError:
        state = {}  # an unreadable cursor: start again (run keys still prevent a second run)
    if not isinstance(state, dict):
        state = {}
    owners_state: dict[str, Any] = state.setdefault("owners", {})
    if not watch.owners():
        return SensorResult(skip_reason="no owners to watch (REPO2VIDEO_WATCH_ORGS/USERS)")
    if state.get("not_before", 0) > now:
        wait = int(state["not_before"] - now)
        return SensorResult(
            skip_reason=f"GitHub asked to wait: {wait} s left", cursor=context.cursor
        )
    watcher = watch.watcher()
    new: list[tuple[str, str]] = []
    notes: list[str] = []
    for kind, name in watch.owners():
        owner = owners_state.setdefault(f"{kind}:{name.lower()}", {"etag": None, "seen": []})
        try:
            listing = watcher.list_repos(kind, name, owner.get("etag"))
        except RateLimited as err:
            state["not_before"] = err.until
            notes.append(str(err))
            break
        except (GitHubApiError, ValueError) as err:
            notes.append(f"{kind} {name}: {err}")
            continue
        if listing.wait_until:
            state["not_before"] = listing.wait_until
        if not listing.changed:
            continue
        first = "listed" not in owner
        seen = set(owner["seen"])
        for repo in listing.repos:
            full_name = str(repo.get("full_name") or "")
            if not full_name or full_name.lower() in seen or not _wanted(repo, watch.forks):
                continue
            seen.add(full_name.lower())
            if first and not watch.existing:
                continue
            try:
                key = github_partition_key(full_name)
            except UserError as err:
                notes.append(f"{full_name}: {err}")
                continue
            new.append((key, str(repo.get("html_url") or f"https://github.com/{full_name}")))
        owner.update(etag=listing.etag, seen=sorted(seen), listed=True)
        if listing.wait_until:
            break
    keys = record_targets(context.instance, data_dir, new) if new else []
    requests = [
        RunRequest(
            run_key=f"watch:{key}",
            partition_key=key,
            tags=render_tags(key, target, TRIGGER_WATCHER),
            job_name=RENDER_JOB_NAME,
        )
        for key, target in new
    ]
    cursor = json.dumps(state, sort_keys=True)
    for note in notes:
        context.log.warning(note)
    if not requests:
        reason = "; ".join(notes) or "no new repositories"
        return SensorResult(skip_reason=reason, cursor=cursor)
    dynamic = [repositories_partitions.build_add_request(keys)] if keys else []
    return SensorResult(run_requests=requests, dynamic_partitions_requests=dynamic, cursor=cursor)


def build_watch_sensor(minimum_interval_seconds: int | None = None):  # noqa: ANN201
    interval = minimum_interval_seconds or env_number("WATCH_INTERVAL_S", DEFAULT_INTERVAL_S)

    @sensor(
        name="github_owner_watcher",
        job_name=RENDER_JOB_NAME,
        minimum_interval_seconds=max(30, int(interval)),
        default_status=DefaultSensorStatus.RUNNING,
        description="Renders new public repositories of the GitHub organisations and users "
        "in REPO2VIDEO_WATCH_ORGS / REPO2VIDEO_WATCH_USERS (ETag-conditional listing).",
    )
    def github_owner_watcher(
        context: SensorEvaluationContext, watch: WatchResource, storage: StorageResource
    ) -> SensorResult:
        return evaluate_watch(context, watch, storage.layout.root)

    return github_owner_watcher


github_owner_watcher = build_watch_sensor()
