"""Stages that publish: the blog post + static site, and the catalog of all renders."""

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import (
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
)

if TYPE_CHECKING:
    import pandas as pd

from repo2video_dagster.assets.common import (
    TRANSIENT_RETRY,
    code_version,
    markdown_table,
    path_value,
    user_errors,
)
from repo2video_dagster.assets.previews import image_link
from repo2video_dagster.launch import stored_failed_checks
from repo2video_dagster.lib import publish as publish_lib
from repo2video_dagster.lib.core import manifest
from repo2video_dagster.lib.core.manifest import read_manifest, write_manifest
from repo2video_dagster.lib.core.records import (
    BlogPost,
    Captions,
    RenderedVideo,
    RepoProfile,
    RepoSnapshot,
    VideoScript,
)
from repo2video_dagster.lib.core.reuse import source_version
from repo2video_dagster.lib.publish.blog import write_blog
from repo2video_dagster.partitions import repositories_partitions
from repo2video_dagster.resources import (
    RenderResource,
    ScriptWriterResource,
    SpeechResource,
    StorageResource,
    output_settings,
)

PUBLISH_CODE_VERSION = code_version(__name__, publish_lib, manifest)


def _run_seconds(context: AssetExecutionContext) -> float | None:
    record = context.instance.get_run_record_by_id(context.run.run_id)
    if record is None or record.start_time is None:
        return None
    return round(time.time() - record.start_time, 2)


@asset(
    partitions_def=repositories_partitions,
    group_name="publish",
    kinds={"markdown", "html"},
    code_version=PUBLISH_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "A markdown post (front matter, embedded video, chapters, transcript) and a static HTML "
        "page per repository, plus the site index listing every rendered repository: the default "
        "local publication, viewable in a browser."
    ),
)
def blog_post(
    context: AssetExecutionContext,
    repo_snapshot: RepoSnapshot,
    repo_profile: RepoProfile,
    video_script: VideoScript,
    video: RenderedVideo,
    captions: Captions,
    storage: StorageResource,
    speech: SpeechResource,
    script_writer: ScriptWriterResource,
    render: RenderResource,
) -> Output[BlogPost]:
    layout = storage.layout
    key = context.partition_key
    out_dir = layout.output(key)
    rendered_at = datetime.now(UTC).isoformat(timespec="seconds")
    with user_errors():
        post = write_blog(
            repo_profile,
            video_script,
            video,
            captions,
            out_dir=out_dir,
            site_dir=layout.site,
            commit=repo_snapshot.commit,
            rendered_at=rendered_at,
            key=key,
            repo_url=repo_snapshot.source.web_url,
        )
    write_manifest(
        out_dir,
        {
            "key": key,
            "repo": repo_profile.full_name,
            "target": repo_snapshot.source.target,
            "commit": repo_snapshot.commit,
            "commit_date": repo_snapshot.commit_date,
            "rendered_at": rendered_at,
            "render_seconds": _run_seconds(context),
            "duration_s": round(video.duration_s, 2),
            "title": video_script.title,
            "writer": video_script.writer,
            "languages": [lang.name for lang in repo_profile.languages[:5]],
            "videos": [
                {"format": v.format, "path": v.path, "size_bytes": v.size_bytes}
                for v in video.videos
            ],
            "thumbnail": video.thumbnail_path,
            "srt": captions.srt_path,
            "vtt": captions.vtt_path,
            "words_json": captions.words_json_path,
            "post_markdown": post.markdown_path,
            "post_html": post.html_path,
            "site_index": post.index_path,
            "chapters": [{"start_s": c.start_s, "title": c.title} for c in video.chapters],
            "wer": round(captions.wer, 4),
            "caption_coverage": round(captions.coverage, 4),
            # What the CLI tells even when it answers "cached" later.
            "checks_failed": [
                c.as_dict() for c in stored_failed_checks(context.instance, context.run.run_id)
            ],
            "settings": {
                "code": source_version(),
                **output_settings(script_writer, speech, render),
            },
        },
    )
    return Output(post, metadata=_links_metadata(storage, post, video, captions))


def _links_metadata(
    storage: StorageResource, post: BlogPost, video: RenderedVideo, captions: Captions
) -> dict[str, MetadataValue]:
    """The page, the videos and the subtitles as links the UI opens, the thumbnail inline."""
    links = storage.links
    page = links.site_page(Path(post.html_path).parent.name)
    metadata = {
        "preview": image_link(links, video.thumbnail_path, link_url=page),
        "page_url": MetadataValue.url(page),
        "site_url": MetadataValue.url(links.site_index()),
    }
    for v in video.videos:
        metadata[f"{v.format}_url"] = MetadataValue.url(links.output_file(v.path))
    metadata["vtt_url"] = MetadataValue.url(links.output_file(captions.vtt_path))
    metadata["srt_url"] = MetadataValue.url(links.output_file(captions.srt_path))
    metadata["post_markdown"] = path_value(post.markdown_path)
    metadata["post_html"] = path_value(post.html_path)
    metadata["site_index"] = path_value(post.index_path)
    return metadata


CATALOG_COLUMNS = [
    "repo",
    "key",
    "commit",
    "duration_s",
    "languages",
    "render_seconds",
    "rendered_at",
    "reel",
    "landscape",
    "post_html",
]


def catalog_frame(output_root) -> "pd.DataFrame":
    import pandas as pd  # imported here: it costs ~0.6 s of every process that loads the code

    rows = []
    for out_dir in sorted(p for p in output_root.glob("*") if p.is_dir()):
        data = read_manifest(out_dir)
        if not data:
            continue
        paths = {v["format"]: v["path"] for v in data.get("videos", [])}
        rows.append(
            {
                "repo": data.get("repo"),
                "key": data.get("key"),
                "commit": (data.get("commit") or "")[:12],
                "duration_s": data.get("duration_s"),
                "languages": ", ".join(data.get("languages", [])),
                "render_seconds": data.get("render_seconds"),
                "rendered_at": data.get("rendered_at"),
                "reel": paths.get("reel", ""),
                "landscape": paths.get("landscape", ""),
                "post_html": data.get("post_html", ""),
            }
        )
    frame = pd.DataFrame(rows, columns=CATALOG_COLUMNS)
    return frame.sort_values("rendered_at", ascending=False, ignore_index=True) if rows else frame


@asset(
    deps=[blog_post],
    group_name="publish",
    kinds={"pandas", "parquet"},
    code_version=PUBLISH_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "One row per rendered repository (repo, commit, duration, languages, render time, "
        "paths), stored as parquet and CSV. Refreshed after every successful render: by "
        "`repo2video render` itself, and by the refresh_catalog_after_render sensor for runs "
        "from the UI, backfills, webhooks and the schedule."
    ),
)
def catalog(context: AssetExecutionContext, storage: StorageResource) -> MaterializeResult:
    layout = storage.layout
    frame = catalog_frame(layout.root / "output")
    layout.catalog.mkdir(parents=True, exist_ok=True)
    parquet, csv = layout.catalog / "catalog.parquet", layout.catalog / "catalog.csv"
    with user_errors():
        frame.to_parquet(parquet.with_suffix(".tmp"), index=False)
        parquet.with_suffix(".tmp").replace(parquet)
        frame.to_csv(csv.with_suffix(".tmp"), index=False)
        csv.with_suffix(".tmp").replace(csv)
    context.log.info(f"catalog: {len(frame)} repositories")
    shown = frame.drop(columns=["reel", "landscape", "post_html"]).head(50)
    return MaterializeResult(
        metadata={
            "repositories": len(frame),
            "table": MetadataValue.md(markdown_table(shown.to_dict("records"))),
            "parquet": path_value(parquet),
            "csv": path_value(csv),
        }
    )
