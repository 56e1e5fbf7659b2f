"""From a finished render to the videos YouTube gets: which file, which metadata.

The landscape cut is a regular video with chapters, the thumbnail and the caption
track; the reel is a Short (``#Shorts``, no chapters: Shorts do not show them, and
YouTube picks a Short's frame itself, so ``thumbnails.set`` is landscape only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from repo2video_dagster.lib.publish.settings import PublishSettings
from repo2video_dagster.lib.publish.youtube.metadata import (
    VideoMetadata,
    build_description,
    clean_title,
    fit_tags,
)
from repo2video_dagster.lib.publish.youtube.publisher import CaptionTrack, VideoJob

THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class RenderFacts:
    """What a render produced, as the publication needs it (from the stage records)."""

    key: str
    title: str
    description: str
    tags: Sequence[str]
    videos: dict[str, Path]
    duration_s: float
    chapters: Sequence[tuple[float, str]]
    thumbnail: Path | None
    srt: Path | None
    repo_url: str | None = None
    page_url: str | None = None
    vtt: Path | None = None
    github_repo: str | None = None
    """``owner/name`` when the repository is on GitHub (release assets, commit status)."""
    subtitles: Sequence[tuple[str, Path]] = ()
    """Subtitle-only languages (``REPO2VIDEO_LANGUAGES`` ``code:subtitles``): code and SRT,
    timed to this narration, uploaded as more caption tracks."""


def youtube_thumbnail(path: Path | None, work_dir: Path) -> Path | None:
    """The thumbnail, as a JPEG when the PNG is over YouTube's 2 MB limit."""
    if path is None or not path.exists():
        return None
    if path.stat().st_size <= THUMBNAIL_MAX_BYTES:
        return path
    from PIL import Image

    work_dir.mkdir(parents=True, exist_ok=True)
    out = work_dir / (path.stem + "-youtube.jpg")
    with Image.open(path) as image:
        image.convert("RGB").save(out, "JPEG", quality=88)
    return out


def video_jobs(facts: RenderFacts, settings: PublishSettings, work_dir: Path) -> list[VideoJob]:
    links = [f"Source: {url}" for url in (facts.repo_url,) if url]
    links += [f"Page: {url}" for url in (facts.page_url,) if url]
    tags = fit_tags([*facts.tags, "repo2video"])
    thumbnail = youtube_thumbnail(facts.thumbnail, work_dir)
    captions = (
        (CaptionTrack(settings.language, "Captions", facts.srt),)
        if facts.srt and facts.srt.exists()
        else ()
    )
    captions += tuple(
        CaptionTrack(code, "Subtitles", path) for code, path in facts.subtitles if path.exists()
    )
    jobs = []
    for fmt in settings.formats:
        path = facts.videos.get(fmt)
        if path is None or not path.exists():
            continue
        short = fmt == "reel"
        metadata = VideoMetadata(
            title=clean_title(facts.title, suffix=" #Shorts" if short else ""),
            description=build_description(
                facts.description,
                chapters=facts.chapters,
                duration_s=facts.duration_s,
                links=links,
                short=short,
            ),
            tags=tags,
            category_id=settings.category,
            language=settings.language,
            privacy=settings.privacy,
            publish_at=settings.publish_at,
        )
        jobs.append(
            VideoJob(
                key=facts.key,
                format=fmt,
                video_path=path,
                metadata=metadata,
                thumbnail_path=None if short else thumbnail,
                captions=captions,
                playlist_id=settings.playlist,
            )
        )
    return jobs
