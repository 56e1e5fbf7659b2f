"""The ``publication`` stage: the finished render on YouTube and GitHub.

Off unless ``REPO2VIDEO_PUBLISH`` names targets (the asset then records ``off``
and calls nothing). Its own job (``publish_repository``) runs it after a
successful render and again for deferred publications after the daily quota reset
(``sensors/publication.py``), so a render never waits for, or fails because of, an
upload. Idempotent: a retried step or a re-run resumes or reuses what the upload
records hold, and never uploads the same video twice.
"""

from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from repo2video_dagster.assets.common import TRANSIENT_RETRY, code_version, user_errors
from repo2video_dagster.lib import publish as publish_lib
from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.records import (
    BlogPost,
    Captions,
    RenderedVideo,
    RepoSnapshot,
    VideoScript,
)
from repo2video_dagster.lib.publish.publication import publish_render
from repo2video_dagster.lib.publish.record import PublicationRecord, write_publication
from repo2video_dagster.lib.publish.youtube.jobs import RenderFacts
from repo2video_dagster.partitions import repositories_partitions
from repo2video_dagster.resources import GitHubApiResource, PublishResource, StorageResource
from repo2video_dagster.run_tags import TAG_EVENT, TAG_REF

PUBLICATION_CODE_VERSION = code_version(__name__, publish_lib)


def render_facts(
    key: str,
    snapshot: RepoSnapshot,
    script: VideoScript,
    video: RenderedVideo,
    captions: Captions,
    post: BlogPost,
    page_url: str | None = None,
) -> RenderFacts:
    return RenderFacts(
        key=key,
        title=script.title,
        description=script.description,
        tags=script.tags,
        videos={v.format: Path(v.path) for v in video.videos},
        duration_s=video.duration_s,
        chapters=[(c.start_s, c.title) for c in video.chapters],
        thumbnail=Path(video.thumbnail_path) if video.thumbnail_path else None,
        srt=Path(captions.srt_path) if captions.srt_path else None,
        repo_url=snapshot.source.web_url,
        vtt=Path(captions.vtt_path) if captions.vtt_path else None,
        github_repo=(
            f"{snapshot.source.owner}/{snapshot.source.name}"
            if snapshot.source.kind == "github" and snapshot.source.owner
            else None
        ),
        page_url=page_url or (post.url if post.url.startswith(("http://", "https://")) else None),
        subtitles=_subtitle_tracks(captions),
    )


def _subtitle_tracks(captions: Captions) -> tuple[tuple[str, Path], ...]:
    """Subtitle-only languages written by ``language_versions`` beside this render."""
    if not captions.srt_path:
        return ()
    lang_dir = Path(captions.srt_path).parent.parent / "lang"
    return tuple((p.parent.name, p) for p in sorted(lang_dir.glob("*/subtitles.srt")))


def _github_step(
    context: AssetExecutionContext, github: GitHubApiResource, page_url: str | None, commit: str
):
    from repo2video_dagster.lib.publish.errors import PublishError
    from repo2video_dagster.lib.publish.github import GitHubClient
    from repo2video_dagster.lib.publish.publication import github_step

    token = github.token()
    if not token:
        raise PublishError(
            "publishing to GitHub needs GITHUB_TOKEN",
            hint="Set it, or drop github from REPO2VIDEO_PUBLISH",
        )
    client = GitHubClient(api_url=github.base_url, token=token)
    tags = context.run.tags
    return github_step(
        client, commit=commit, event=tags.get(TAG_EVENT), ref=tags.get(TAG_REF), page_url=page_url
    )


def _annotate_page(
    site_dir: Path, key: str, facts: RenderFacts, record: PublicationRecord, site_url: str | None
) -> None:
    """Open Graph / Twitter tags and the YouTube links on the video page."""
    from repo2video_dagster.lib.publish.blog import site_key
    from repo2video_dagster.lib.publish.social import PageSocial, annotate_page

    youtube = {v["format"]: v["url"] for v in record.youtube if v.get("url")}
    social = PageSocial(title=facts.title, description=facts.description, youtube=youtube)
    annotate_page(site_dir / site_key(key), social, site_url)


def _metadata(record: PublicationRecord) -> dict:
    meta: dict = {"status": record.status}
    if record.until:
        meta["until"] = record.until
    if record.reason:
        meta["reason"] = record.reason
    for name, url in record.urls().items():
        meta[name] = MetadataValue.url(url)
    return meta


@asset(
    partitions_def=repositories_partitions,
    group_name="publish",
    kinds={"youtube", "github"},
    code_version=PUBLICATION_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "The render published where REPO2VIDEO_PUBLISH says: YouTube (resumable, idempotent, "
        "quota-aware; deferred until the quota resets when today's budget is spent) and GitHub "
        "(release assets, commit status). Off unless configured."
    ),
)
def publication(
    context: AssetExecutionContext,
    repo_snapshot: RepoSnapshot,
    video_script: VideoScript,
    video: RenderedVideo,
    captions: Captions,
    blog_post: BlogPost,
    storage: StorageResource,
    publish: PublishResource,
    github: GitHubApiResource,
) -> MaterializeResult:
    layout = storage.layout
    key = context.partition_key
    out_dir = layout.output(key)
    page_url = publish.page_url(key)
    facts = render_facts(key, repo_snapshot, video_script, video, captions, blog_post, page_url)
    with user_errors():
        settings = publish.settings_for(key, layout.root)
        youtube = None
        if "youtube" in settings.targets:
            from repo2video_dagster.lib.publish.youtube.service import open_publisher

            config = publish.youtube_config(layout.root)
            youtube = lambda: open_publisher(config, layout.root)  # noqa: E731
        github_work = None
        if "github" in settings.targets:
            github_work = _github_step(context, github, page_url, repo_snapshot.commit)
        try:
            record = publish_render(
                facts,
                settings,
                commit=repo_snapshot.commit,
                work_dir=layout.cache / "publish" / key,
                youtube=youtube,
                github=github_work,
            )
        except UserError as err:
            from datetime import UTC, datetime

            failed = PublicationRecord(
                key=key,
                commit=repo_snapshot.commit,
                status="failed",
                reason=str(err),
                updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            write_publication(out_dir, failed)
            raise
        write_publication(out_dir, record)
        _annotate_page(layout.site, key, facts, record, publish.site_url or None)
    if record.status == "deferred":
        context.log.warning(f"publication deferred until {record.until}: {record.reason}")
    else:
        context.log.info(f"publication {record.status}: {record.urls() or '-'}")
    return MaterializeResult(metadata=_metadata(record))
