"""The languages besides the default: voice, captions, videos and page per language, and
subtitle-only tracks.

Per-language outputs inside each repository's partition (see the README, "Languages"):
the default language's files keep their paths, every other language writes under
``output/<key>/lang/<code>/``. The stage reads the stored snapshot, profile, script,
visuals and narration, so adding a language to every repository is one backfill of
this asset alone: nothing language-independent runs again.
"""

import time
from collections.abc import Iterator
from pathlib import Path

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
    markdown_table,
    user_errors,
)
from repo2video_dagster.assets.render import (
    VIDEO_CODE_VERSION,
    chapters_for,
    final_audio,
    scene_spans,
)
from repo2video_dagster.lib.core.language_records import LanguageVersion, LanguageVersions
from repo2video_dagster.lib.core.records import (
    BlogPost,
    Captions,
    Narration,
    RenderedVideo,
    RepoProfile,
    RepoSnapshot,
    VideoScript,
    Visuals,
)
from repo2video_dagster.lib.core.reuse import fingerprint, memoized
from repo2video_dagster.lib.publish import languages as publish_languages
from repo2video_dagster.lib.publish.blog import site_key
from repo2video_dagster.lib.publish.languages import (
    LanguageLink,
    add_languages_to_page,
    write_language_post,
)
from repo2video_dagster.lib.render.slides import render_thumbnail
from repo2video_dagster.lib.render.video import render_video
from repo2video_dagster.lib.script import languages as script_languages
from repo2video_dagster.lib.script.languages import LANGUAGES, Language, get_language
from repo2video_dagster.lib.script.languages.localize import localize_script
from repo2video_dagster.lib.script.llm import LlmWriter, language_rule
from repo2video_dagster.lib.speech import align, number_words, subtitle_tracks, voices
from repo2video_dagster.lib.speech import localized as speech_localized
from repo2video_dagster.lib.speech.localized import speak_language
from repo2video_dagster.lib.speech.subtitle_tracks import subtitle_cues, write_subtitle_track
from repo2video_dagster.lib.speech.subtitles import group_cues
from repo2video_dagster.lib.speech.voices import make_voice, parse_piper_voices, voice_for
from repo2video_dagster.partitions import repositories_partitions
from repo2video_dagster.resources import (
    RenderResource,
    ScriptWriterResource,
    SpeechResource,
    StorageResource,
)

LANGUAGES_CODE_VERSION = code_version(
    __name__,
    script_languages,
    speech_localized,
    subtitle_tracks,
    voices,
    number_words,
    align,
    publish_languages,
)
MIN_LANGUAGE_COVERAGE = 0.95


def write_language_script(
    base: VideoScript, profile: RepoProfile, language: Language, cfg: ScriptWriterResource
) -> VideoScript:
    """The template phrases, or the LLM asked to write in the language (same scenes)."""
    if cfg.writer != "llm":
        return localize_script(base, profile, language)
    writer = LlmWriter(
        base_url=cfg.llm_base_url,
        model=cfg.llm_model,
        api_key=cfg.api_key(),
        timeout_s=cfg.llm_timeout_s,
    )
    note = language_rule(language.code, language.english_name, [s.id for s in base.scenes])
    written = writer.write(profile, language_note=note)
    return localize_script(base, profile, language, written=written)


def _spoken(
    context: AssetExecutionContext,
    language: Language,
    script: VideoScript,
    profile: RepoProfile,
    visuals: Visuals,
    snapshot: RepoSnapshot,
    speech: SpeechResource,
    render: RenderResource,
    storage: StorageResource,
) -> LanguageVersion:
    key = context.partition_key
    layout = storage.layout
    out_dir = layout.output(key) / "lang" / language.code
    choice = voice_for(language.code, parse_piper_voices(speech.piper_voices), speech.tts_engine)
    tts = make_voice(choice, speech.tts_length_scale)
    asr = speech.multilingual_asr(layout.cache / "models")
    context.log.info(f"{language.code}: {choice.describe()}, recognised with {asr.model}")
    spoken = speak_language(
        script,
        language.code,
        tts,
        asr,
        out_dir,
        cache_dir=layout.cache if storage.reuse else None,
        frame_rate=render.fps,
    )
    narration, captions = spoken.narration, spoken.captions
    spans = scene_spans(narration)
    cues = group_cues(captions.words, track_end=narration.duration_s)
    soundtrack, _music = final_audio(
        Path(narration.track_path), render.music, key, out_dir, storage.reuse
    )
    videos = []
    for fmt in render.formats:
        frames = [Path(getattr(f, f"{fmt}_path")) for f in visuals.scenes]
        video_key = fingerprint(
            VIDEO_CODE_VERSION, fmt, render.fps, render.preset, render.crf, frames, soundtrack,
            captions.words, spans,
        )  # fmt: skip

        def encode(fmt=fmt):
            context.log.info(f"{language.code}: encoding {fmt} ({narration.duration_s:.1f} s)")
            return render_video(
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

        video_file, _ = memoized(
            out_dir / ".memo", f"video_{fmt}", video_key, encode,
            files=lambda v: [v.path], reuse=storage.reuse,
        )  # fmt: skip
        videos.append(video_file)
    thumb = out_dir / "thumbnail.png"
    badges = [b for b in (profile.primary_language, profile.license, language.name) if b]
    render_thumbnail(script.title, script.description, badges, repo_name=profile.full_name).save(
        thumb, format="PNG"
    )
    rendered = RenderedVideo(
        videos=videos,
        thumbnail_path=str(thumb),
        chapters=chapters_for(script, narration),
        duration_s=narration.duration_s,
    )
    post: BlogPost = write_language_post(
        profile,
        script,
        rendered,
        captions,
        key=key,
        code=language.code,
        site_dir=layout.site,
        out_dir=out_dir / "post",
        commit=snapshot.commit,
        rendered_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        repo_url=snapshot.source.web_url,
    )
    return LanguageVersion(
        code=language.code,
        name=language.name,
        mode="spoken",
        voice=choice.describe(),
        videos={v.format: v.path for v in videos},
        srt_path=captions.srt_path,
        vtt_path=captions.vtt_path,
        thumbnail_path=str(thumb),
        page_path=post.html_path,
        duration_s=narration.duration_s,
        wer=captions.wer,
        coverage=captions.coverage,
    )


@asset(
    partitions_def=repositories_partitions,
    group_name="languages",
    kinds={"python", "whisper", "ffmpeg"},
    code_version=LANGUAGES_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "Every language of REPO2VIDEO_LANGUAGES besides English: a script written in the "
        "language (same scenes and slides), its voice (Piper when configured, else espeak-ng), "
        "captions timed by the multilingual Whisper base model, reel + landscape, thumbnail and "
        "a page; subtitle-only languages (code:subtitles) get SRT/VTT timed to the narration. "
        "Adding a language is a backfill of this asset alone."
    ),
    check_specs=[
        AssetCheckSpec(
            "language_caption_alignment",
            asset="language_versions",
            description=f"≥ {MIN_LANGUAGE_COVERAGE:.0%} of each language's script words timed "
            "from recognised words",
        )
    ],
)
def language_versions(
    context: AssetExecutionContext,
    repo_snapshot: RepoSnapshot,
    repo_profile: RepoProfile,
    video_script: VideoScript,
    visuals: Visuals,
    narration: Narration,
    captions: Captions,
    blog_post: BlogPost,
    speech: SpeechResource,
    render: RenderResource,
    storage: StorageResource,
    script_writer: ScriptWriterResource,
) -> Iterator[Output[LanguageVersions] | AssetCheckResult]:
    key = context.partition_key
    layout = storage.layout
    versions: list[LanguageVersion] = []
    with user_errors():
        plan = speech.language_plan(key, layout.root)
        for code in plan.extra:
            language = get_language(code)
            started = time.monotonic()
            script = write_language_script(video_script, repo_profile, language, script_writer)
            version = _spoken(
                context, language, script, repo_profile, visuals, repo_snapshot,
                speech, render, storage,
            )  # fmt: skip
            version.seconds = round(time.monotonic() - started, 1)
            versions.append(version)
        for code in plan.subtitles:
            language = get_language(code)
            script = write_language_script(video_script, repo_profile, language, script_writer)
            cues = subtitle_cues(script, narration, captions.words)
            srt, vtt = write_subtitle_track(cues, layout.output(key) / "lang" / code)
            versions.append(
                LanguageVersion(
                    code, language.name, "subtitles", srt_path=str(srt), vtt_path=str(vtt)
                )
            )
        page = layout.site / site_key(key) / "index.html"
        links = [
            LanguageLink(
                v.code,
                v.name,
                f"lang/{v.code}/index.html" if v.mode == "spoken" else None,
                # Only subtitle-only tracks follow the default video's timeline.
                Path(v.vtt_path) if v.mode == "subtitles" else None,
            )
            for v in versions
        ]
        if links:
            links.insert(0, LanguageLink("en", LANGUAGES["en"].name, "index.html", None))
        add_languages_to_page(page, links)
    rows = [
        {
            "language": v.code,
            "mode": v.mode,
            "voice": v.voice or "-",
            "duration_s": f"{v.duration_s:.1f}" if v.mode == "spoken" else "-",
            "wer": f"{v.wer:.1%}" if v.wer is not None else "-",
            "coverage": f"{v.coverage:.1%}" if v.coverage is not None else "-",
            "seconds": f"{v.seconds:.1f}" if v.mode == "spoken" else "-",
        }
        for v in versions
    ]
    links_out = storage.links
    metadata: dict[str, object] = {
        "languages": plan.describe(),
        "table": MetadataValue.md(markdown_table(rows) if rows else "English only"),
    }
    for v in versions:
        for fmt, path in v.videos.items():
            metadata[f"{v.code}_{fmt}_url"] = MetadataValue.url(links_out.output_file(path))
        if v.vtt_path:
            metadata[f"{v.code}_vtt_url"] = MetadataValue.url(links_out.output_file(v.vtt_path))
    yield Output(LanguageVersions(plan.describe(), versions), metadata=metadata)
    low = [
        f"{v.code}: {v.coverage:.1%}"
        for v in versions
        if v.coverage is not None and v.coverage < MIN_LANGUAGE_COVERAGE
    ]
    yield AssetCheckResult(
        check_name="language_caption_alignment",
        passed=not low,
        severity=AssetCheckSeverity.WARN,
        description="; ".join(low) or None,
        metadata={"threshold": MIN_LANGUAGE_COVERAGE},
    )
