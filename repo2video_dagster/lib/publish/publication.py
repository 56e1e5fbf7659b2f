"""Publish one render everywhere its settings say, and record the outcome.

YouTube first (each video its own :class:`VideoResult`), then GitHub (release
assets, commit status). A deferred YouTube publication makes the whole record
``deferred`` with the earliest time to try again; GitHub work is not deferred (its
rate limits are waited out, not budgeted per day).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from repo2video_dagster.lib.publish.github import GitHubClient, commit_status, release_assets
from repo2video_dagster.lib.publish.record import PublicationRecord
from repo2video_dagster.lib.publish.settings import PublishSettings
from repo2video_dagster.lib.publish.youtube.jobs import RenderFacts, video_jobs
from repo2video_dagster.lib.publish.youtube.publisher import YouTubePublisher

log = logging.getLogger(__name__)

GitHubStep = Callable[[RenderFacts, PublishSettings], dict[str, Any]]


def publish_render(
    facts: RenderFacts,
    settings: PublishSettings,
    *,
    commit: str | None,
    work_dir: Path,
    youtube: Callable[[], YouTubePublisher] | None = None,
    github: GitHubStep | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> PublicationRecord:
    """The publication record after doing (or resuming) every step ``settings`` ask for."""
    record = PublicationRecord(
        key=facts.key,
        commit=commit,
        status="off" if not settings.enabled else "published",
        updated_at=now().isoformat(timespec="seconds"),
    )
    if not settings.enabled:
        return record
    if "youtube" in settings.targets and youtube is not None:
        publisher = youtube()
        for job in video_jobs(facts, settings, work_dir):
            result = publisher.publish(job)
            log.info("youtube %s: %s %s", job.format, result.status, result.url or result.until)
            record.youtube.append(asdict(result))
        deferred = [r for r in record.youtube if r["status"] == "deferred"]
        if deferred:
            record.status = "deferred"
            record.until = min(r["until"] for r in deferred)
            record.reason = deferred[0]["reason"]
    if "github" in settings.targets and github is not None:
        record.github = github(facts, settings)
    record.updated_at = now().isoformat(timespec="seconds")
    return record


def github_files(facts: RenderFacts) -> dict[str, Path]:
    """Release asset name -> file: both videos, both subtitle formats, the thumbnail."""
    name = (facts.github_repo or facts.key).split("/")[-1]
    files: dict[str, Path] = {}
    for fmt, path in sorted(facts.videos.items()):
        files[f"{name}-{fmt}.mp4"] = path
    for label, path in (("srt", facts.srt), ("vtt", facts.vtt)):
        if path is not None:
            files[f"{name}-captions.{label}"] = path
    if facts.thumbnail is not None:
        files[f"{name}-thumbnail{facts.thumbnail.suffix}"] = facts.thumbnail
    return {k: v for k, v in files.items() if v.exists()}


def github_step(
    client: GitHubClient,
    *,
    commit: str | None,
    event: str | None,
    ref: str | None,
    page_url: str | None,
) -> GitHubStep:
    """The GitHub part of a publication: release assets (release events), commit status."""

    def step(facts: RenderFacts, settings: PublishSettings) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if not facts.github_repo:
            return {"skipped": "not a GitHub repository"}
        if settings.release_assets and event == "release" and ref and ref.startswith("refs/tags/"):
            tag = ref.removeprefix("refs/tags/")
            out["release_assets"] = release_assets(
                client, facts.github_repo, tag, github_files(facts)
            )
            out["release_url"] = f"https://github.com/{facts.github_repo}/releases/tag/{tag}"
        if settings.commit_status and commit:
            commit_status(client, facts.github_repo, commit, page_url, "Explainer video rendered")
            out["commit_status"] = "success"
            if page_url:
                out["page_url"] = page_url
        return out

    return step
