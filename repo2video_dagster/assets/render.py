"""Stages that make pictures: slides per scene, then the encoded videos."""

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
)

from repo2video_dagster.assets.common import (
    TRANSIENT_RETRY,
    code_version,
    human_bytes,
    markdown_table,
    path_value,
    user_errors,
)
from repo2video_dagster.assets.previews import image_link
from repo2video_dagster.lib.core.errors import output_error
from repo2video_dagster.lib.core.records import (
    Captions,
    Chapter,
    Narration,
    RenderedVideo,
    RepoProfile,
    RepoSnapshot,
    Scene,
    SceneFrames,
    VideoScript,
    Visuals,
    VisualSpec,
)
from repo2video_dagster.lib.core.reuse import file_digest, fingerprint, memoized
from repo2video_dagster.lib.render import fonts, slides, theme
from repo2video_dagster.lib.render import storyboard as storyboard_module
from repo2video_dagster.lib.render.media import integrated_loudness, video_info
from repo2video_dagster.lib.render.slides import render_slide_motion, render_thumbnail
from repo2video_dagster.lib.render.slides.picture import load_picture
from repo2video_dagster.lib.render.storyboard import contact_sheet
from repo2video_dagster.lib.render.storyboard import still as storyboard_still
from repo2video_dagster.lib.render.video import ENCODE_SOURCES, encode_stats, render_video
from repo2video_dagster.lib.script.slide_data import fill_visual
from repo2video_dagster.lib.speech import music as music_module
from repo2video_dagster.lib.speech.music import mix_music, music_source
from repo2video_dagster.lib.speech.subtitles import group_cues
from repo2video_dagster.partitions import repositories_partitions
from repo2video_dagster.resources import RenderResource, StorageResource

if TYPE_CHECKING:
    from PIL import Image

VISUALS_CODE_VERSION = code_version(__name__, slides, theme, fonts, storyboard_module)
VIDEO_CODE_VERSION = code_version(__name__, *ENCODE_SOURCES, music_module)
MUSIC_CODE_VERSION = code_version(__name__, music_module)
FORMAT_SIZES = {"reel": (1080, 1920), "landscape": (1920, 1080)}
LOUDNESS_TARGET = -14.0
LOUDNESS_TOLERANCE = 1.5


def _save_png(image, path: Path) -> None:
    tmp = path.with_suffix(".tmp.png")
    image.save(tmp, format="PNG", compress_level=1)
    tmp.replace(path)


@asset(
    partitions_def=repositories_partitions,
    group_name="render",
    kinds={"python", "pillow"},
    code_version=VISUALS_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "A slide per scene in both formats, drawn with Pillow from the repository itself: title "
        "card, highlighted real code, language chart, directory tree, install/usage card, activity "
        "stats. Plus the thumbnail. Slides whose spec did not change are reused."
    ),
)
def visuals(
    context: AssetExecutionContext,
    video_script: VideoScript,
    repo_profile: RepoProfile,
    repo_snapshot: RepoSnapshot,
    storage: StorageResource,
) -> Output[Visuals]:
    out_dir = storage.layout.output(context.partition_key) / "slides"
    out_dir.mkdir(parents=True, exist_ok=True)
    name = repo_profile.full_name
    count = len(video_script.scenes)
    frames: list[SceneFrames] = []
    stills: dict[str, Image.Image] = {}  # storyboard stills of the slides drawn now
    rendered = 0
    with user_errors():
        for index, scene in enumerate(video_script.scenes):
            scene = with_picture(scene, repo_profile, Path(repo_snapshot.checkout_dir), context)
            paths: dict[str, str] = {}
            steps: dict[str, list] = {}
            for fmt in FORMAT_SIZES:
                key = fingerprint(
                    VISUALS_CODE_VERSION,
                    fmt,
                    name,
                    index,
                    count,
                    scene.visual,
                    picture_digest(scene.visual),
                )

                def draw(fmt=fmt, index=index, scene=scene) -> tuple[str, list]:
                    path = out_dir / f"{index:02d}_{scene.id}_{fmt}.png"
                    img, steps = render_slide_motion(
                        scene.visual, fmt, repo_name=name, scene_index=index, scene_count=count
                    )
                    _save_png(img, path)
                    stills[str(path)] = storyboard_still(img, fmt)  # no re-read for the sheet
                    return str(path), steps

                (paths[fmt], steps[fmt]), reused = memoized(
                    out_dir / ".memo",
                    f"{index:02d}_{fmt}_motion",
                    key,
                    draw,
                    files=lambda p: [p[0]],
                    reuse=storage.reuse,
                )
                rendered += not reused
            frames.append(
                SceneFrames(
                    scene_id=scene.id,
                    reel_path=paths["reel"],
                    landscape_path=paths["landscape"],
                    reel_steps=steps["reel"],
                    landscape_steps=steps["landscape"],
                )
            )
        badges = [b for b in (repo_profile.primary_language, repo_profile.license) if b]
        if repo_profile.stars is not None:
            badges.append(f"★ {repo_profile.stars}")
        thumb = out_dir / "thumbnail.png"
        _save_png(
            render_thumbnail(repo_profile.name, repo_profile.description, badges, repo_name=name),
            thumb,
        )
        storyboard = contact_sheet(
            frames,
            [scene.title for scene in video_script.scenes],
            out_dir / "storyboard.png",
            title=f"{name}: {count} scenes",
            stills=stills,
        )
    context.log.info(f"{rendered} slides drawn, {2 * count - rendered} reused")
    links = storage.links
    return Output(
        Visuals(scenes=frames, thumbnail_path=str(thumb)),
        metadata={
            "slides": 2 * count,
            "drawn": rendered,
            "thumbnail": path_value(thumb),
            # The storyboard is the preview: every scene in both formats, before the encode.
            "preview": image_link(links, storyboard, width=720, alt="storyboard"),
            "storyboard": path_value(storyboard),
            "first_reel_slide": image_link(
                links, frames[0].reel_path, width=160, alt="first reel slide"
            ),
            "motion_steps": sum(len(f.reel_steps) for f in frames),
        },
    )


def final_audio(
    narration_wav: Path, music: str, key: str, out_dir: Path, reuse: bool
) -> tuple[Path, str]:
    """The soundtrack the videos carry: the narration alone, or with the ducked music bed
    (``REPO2VIDEO_MUSIC``), at −14 LUFS. Captions stay timed from the narration alone."""
    source = music_source(music, key)
    if source is None:
        return narration_wav, "off"
    name = "default" if source == "default" else Path(source).name
    mix_key = fingerprint(MUSIC_CODE_VERSION, narration_wav, str(source), key)
    if source != "default":
        mix_key = fingerprint(mix_key, Path(source))
    path = out_dir / "audio" / "soundtrack.wav"

    def mix() -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.wav")
        mix_music(narration_wav, source, tmp, seed=key)
        tmp.replace(path)
        return str(path)

    try:
        result, _ = memoized(
            out_dir / ".memo", "soundtrack", mix_key, mix, files=lambda p: [p], reuse=reuse
        )
    except OSError as err:  # a read-only or full output folder: one line, as for the videos
        raise output_error(
            f"Cannot write the soundtrack in {path.parent}",
            err,
            hint="Choose a writable data directory",
        ) from err
    return Path(result), name


FALLBACK_HEADING = "At a glance"


def with_picture(scene: Scene, profile: RepoProfile, checkout: Path, context) -> Scene:
    """An ``image`` scene with its picture's file resolved inside the checkout; a picture
    that cannot be shown (outside the checkout, undecodable, an icon, an SVG without
    rsvg-convert) becomes the overview slide, with a log line saying why."""
    if scene.visual.kind != "image":
        return scene
    rel = str(scene.visual.data.get("image") or "")
    root = checkout.resolve()
    path = (root / rel).resolve()
    usable = path.is_relative_to(root) and path.is_file() and load_picture(path) is not None
    if not usable:
        # The scene's heading named the picture ("The logo"): the overview gets its own.
        context.log.info(f"picture {rel!r} not shown (unusable); overview slide instead")
        return replace(
            scene, visual=fill_visual("overview", FALLBACK_HEADING, profile, scene_id=scene.id)
        )
    data = {**scene.visual.data, "image_file": str(path)}
    return replace(scene, visual=VisualSpec("image", data))


def picture_digest(visual: VisualSpec) -> str | None:
    image = visual.data.get("image_file") if visual.kind == "image" else None
    return file_digest(Path(image)) if image else None


def scene_spans(narration: Narration) -> list[tuple[str, float, float]]:
    """Scene time spans covering the whole track: the first slide shows from 0 (through the
    lead-in silence) and the last until the end."""
    spans = [(s.scene_id, s.offset_s, s.offset_s + s.duration_s) for s in narration.scenes]
    if spans:
        spans[0] = (spans[0][0], 0.0, spans[0][2])
        spans[-1] = (spans[-1][0], spans[-1][1], narration.duration_s)
    return spans


def chapters_for(script: VideoScript, narration: Narration) -> list[Chapter]:
    titles = {s.id: s.title for s in script.scenes}
    return [
        Chapter(
            start_s=0.0 if i == 0 else round(s.offset_s, 2),
            title=titles.get(s.scene_id, s.scene_id),
        )
        for i, s in enumerate(narration.scenes)
    ]


@asset(
    partitions_def=repositories_partitions,
    group_name="render",
    kinds={"moviepy", "ffmpeg"},
    code_version=VIDEO_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "The reel (1080x1920) and the landscape cut (1920x1080) from one timeline: 30 fps H.264 + "
        "AAC, karaoke captions with the spoken word highlighted, short crossfades between scenes. "
        "Each file is written to a temp name, probed, then renamed into place."
    ),
    check_specs=[
        # Blocking: a video with the wrong streams, size or length is broken, and the blog
        # post must not publish it (the run fails with the problems).
        AssetCheckSpec(
            "video_streams",
            asset="video",
            blocking=True,
            description="H.264 + AAC, exact resolution, 30 fps, duration matches the narration "
            "(blocking: a failure stops the blog post)",
        ),
        AssetCheckSpec(
            "loudness",
            asset="video",
            description=f"integrated loudness {LOUDNESS_TARGET} ±{LOUDNESS_TOLERANCE} LUFS "
            "(warning: the video plays, louder or quieter than the target)",
        ),
    ],
)
def video(
    context: AssetExecutionContext,
    visuals: Visuals,
    narration: Narration,
    captions: Captions,
    video_script: VideoScript,
    render: RenderResource,
    storage: StorageResource,
) -> Iterator[Output[RenderedVideo] | AssetCheckResult]:
    out_dir = storage.layout.output(context.partition_key)
    links = storage.links
    spans = scene_spans(narration)
    cues = group_cues(captions.words, track_end=narration.duration_s)
    with user_errors():
        soundtrack, music_name = final_audio(
            Path(narration.track_path), render.music, context.partition_key, out_dir, storage.reuse
        )
    context.log.info(f"soundtrack: narration + music {music_name}")
    videos = []
    reused_formats: list[str] = []
    chunk_counts: dict[str, str] = {}
    with user_errors():
        for fmt in render.formats:
            frames_key = [getattr(f, f"{fmt}_path") for f in visuals.scenes]
            key = fingerprint(
                VIDEO_CODE_VERSION,
                fmt,
                render.fps,
                render.preset,
                render.crf,
                [Path(p) for p in frames_key],
                soundtrack,
                captions.words,
                spans,
            )

            def encode(fmt=fmt):
                context.log.info(f"encoding {fmt} ({narration.duration_s:.1f} s of video)")
                video_file = render_video(
                    fmt,
                    visuals.scenes,
                    spans,
                    cues,
                    soundtrack,
                    out_dir / f"{fmt}.mp4",
                    fps=render.fps,
                    preset=render.preset,
                    crf=render.crf,
                    threads=render.threads,
                    chunks_dir=out_dir / ".chunks" / fmt,
                    reuse_chunks=storage.reuse,
                )
                stats = encode_stats()
                if stats is not None and stats.chunks:
                    encoded = stats.chunks - stats.chunks_reused
                    chunk_counts[fmt] = f"{encoded} of {stats.chunks} encoded"
                    context.log.info(
                        f"{fmt}: {encoded} of {stats.chunks} scene chunks encoded, "
                        f"{stats.chunks_reused} unchanged"
                    )
                return video_file

            result, reused = memoized(
                out_dir / ".memo",
                f"video_{fmt}",
                key,
                encode,
                files=lambda v: [v.path],
                reuse=storage.reuse,
            )
            if reused:
                context.log.info(f"{fmt} unchanged: reused")
                reused_formats.append(fmt)
            videos.append(result)
    rendered = RenderedVideo(
        videos=videos,
        thumbnail_path=visuals.thumbnail_path,
        chapters=chapters_for(video_script, narration),
        duration_s=narration.duration_s,
    )
    first_video = links.output_file(videos[0].path) if videos else None
    # First what people open: the thumbnail (a click plays the first video), the videos.
    metadata: dict[str, object] = {
        "preview": image_link(links, rendered.thumbnail_path, link_url=first_video),
    }
    for v in videos:
        metadata[f"{v.format}_url"] = MetadataValue.url(links.output_file(v.path))
    metadata |= {
        "duration_s": round(rendered.duration_s, 2),
        "music": music_name,
        "reused": MetadataValue.json(reused_formats),
        "scene_chunks": MetadataValue.json(chunk_counts),
        "thumbnail_path": path_value(rendered.thumbnail_path),
        "chapters": MetadataValue.md(
            markdown_table(
                [
                    {"start": f"{int(c.start_s // 60)}:{int(c.start_s % 60):02d}", "title": c.title}
                    for c in rendered.chapters
                ]
            )
        ),
    }
    for v in videos:
        metadata[f"{v.format}_path"] = path_value(v.path)
        metadata[f"{v.format}_size"] = human_bytes(v.size_bytes)
    yield Output(rendered, metadata=metadata)

    problems: list[str] = []
    for v in videos:
        info = video_info(Path(v.path))
        want = FORMAT_SIZES[v.format]
        if (info.width, info.height) != want:
            problems.append(f"{v.format}: {info.width}x{info.height}, expected {want[0]}x{want[1]}")
        if info.vcodec != "h264" or info.acodec != "aac":
            problems.append(f"{v.format}: streams {info.vcodec}/{info.acodec}, expected h264/aac")
        if abs(info.fps - render.fps) > 0.01:
            problems.append(f"{v.format}: {info.fps} fps")
        if abs(info.duration_s - narration.duration_s) > 0.25:
            problems.append(
                f"{v.format}: {info.duration_s:.2f} s vs narration {narration.duration_s:.2f} s"
            )
    if not videos:
        problems.append("no video was made")
    yield AssetCheckResult(
        check_name="video_streams",
        passed=not problems,
        description="; ".join(problems) or None,
        metadata={"problems": MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none")},
    )
    lufs = integrated_loudness(Path(videos[0].path)) if videos else float("nan")
    loud_ok = abs(lufs - LOUDNESS_TARGET) <= LOUDNESS_TOLERANCE
    yield AssetCheckResult(
        check_name="loudness",
        passed=loud_ok,
        severity=AssetCheckSeverity.WARN,
        description=None
        if loud_ok
        else f"{lufs:.1f} LUFS, target {LOUDNESS_TARGET:g} ±{LOUDNESS_TOLERANCE:g}",
        metadata={
            "integrated_lufs": round(lufs, 2),
            "target": LOUDNESS_TARGET,
            "tolerance": LOUDNESS_TOLERANCE,
        },
    )
