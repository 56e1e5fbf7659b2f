"""Stages that make and time the voice: narration audio and captions."""

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
    path_value,
    user_errors,
)
from repo2video_dagster.lib.core.records import Captions, Narration, VideoScript
from repo2video_dagster.lib.core.reuse import fingerprint, memoized
from repo2video_dagster.lib.speech import align, asr, audio, scene_words, subtitles, word_match
from repo2video_dagster.lib.speech import narrate as narrate_lib
from repo2video_dagster.lib.speech import tts as tts_lib
from repo2video_dagster.lib.speech.align import align_words, word_error_rate
from repo2video_dagster.lib.speech.asr import make_asr
from repo2video_dagster.lib.speech.narrate import narrate
from repo2video_dagster.lib.speech.scene_words import recognize_scenes
from repo2video_dagster.lib.speech.subtitles import write_caption_set
from repo2video_dagster.lib.speech.tts import make_tts
from repo2video_dagster.lib.speech.word_match import words_of
from repo2video_dagster.partitions import repositories_partitions
from repo2video_dagster.resources import RenderResource, SpeechResource, StorageResource

NARRATION_CODE_VERSION = code_version(__name__, narrate_lib, tts_lib, audio)
CAPTIONS_CODE_VERSION = code_version(
    __name__, asr, scene_words, align, subtitles, word_match, audio
)
MIN_CAPTION_COVERAGE = 0.98
MAX_RECOGNITION_WER = 0.15


@asset(
    partitions_def=repositories_partitions,
    group_name="speech",
    kinds={"python", "wav"},
    code_version=NARRATION_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "Speech for every scene with Piper and the bundled en_US voice (or espeak-ng): a WAV per "
        "scene and the full track, normalised to -14 LUFS integrated. Scenes whose text did not "
        "change are reused from a content-addressed cache."
    ),
)
def narration(
    context: AssetExecutionContext,
    video_script: VideoScript,
    speech: SpeechResource,
    storage: StorageResource,
    render: RenderResource,
) -> Output[Narration]:
    layout = storage.layout
    out_dir = layout.output(context.partition_key) / "audio"
    with user_errors():
        tts = make_tts(speech.tts_engine, length_scale=speech.tts_length_scale)
        result = narrate(
            video_script.scenes,
            out_dir,
            tts,
            cache_dir=layout.cache / "tts" if storage.reuse else None,
            frame_rate=render.fps,
            progress=context.log.info,
        )
    rows = [
        {"scene": s.scene_id, "start_s": f"{s.offset_s:.2f}", "duration_s": f"{s.duration_s:.2f}"}
        for s in result.scenes
    ]
    return Output(
        result,
        metadata={
            "duration_s": round(result.duration_s, 2),
            "loudness_lufs": round(result.loudness_lufs, 2),
            "peak_dbfs": round(result.peak_dbfs, 2),
            "engine": result.engine,
            "voice": result.voice,
            "synthesized": result.synthesized,
            "reused_from_cache": len(result.scenes) - result.synthesized,
            "scene_durations": MetadataValue.md(markdown_table(rows)),
            "track": path_value(result.track_path),
        },
    )


@asset(
    partitions_def=repositories_partitions,
    group_name="speech",
    kinds={"python", "whisper"},
    code_version=CAPTIONS_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "Word timings from Whisper (faster-whisper tiny.en by default, openai-whisper selectable) "
        "aligned back to the script's own words, so captions show exactly the script text. "
        "Writes SRT, VTT and a words JSON."
    ),
    check_specs=[
        AssetCheckSpec(
            "caption_alignment",
            asset="captions",
            description=f"≥ {MIN_CAPTION_COVERAGE:.0%} of script words timed from recognised words",
        ),
        AssetCheckSpec(
            "recognition_wer",
            asset="captions",
            description=f"raw recognition WER against the script ≤ {MAX_RECOGNITION_WER:.0%}",
        ),
    ],
)
def captions(
    context: AssetExecutionContext,
    narration: Narration,
    video_script: VideoScript,
    speech: SpeechResource,
    storage: StorageResource,
) -> Iterator[Output[Captions] | AssetCheckResult]:
    out_dir = storage.layout.output(context.partition_key) / "captions"
    script_words = [(w, s.id) for s in video_script.scenes for w in words_of(s.narration)]
    spans = [(s.scene_id, s.offset_s, s.offset_s + s.duration_s) for s in narration.scenes]
    key = fingerprint(
        CAPTIONS_CODE_VERSION,
        Path(narration.track_path),
        script_words,
        speech.asr_engine,
        speech.asr_model,
    )

    recognized_scenes: list[str] = []  # stays empty when the captions are reused whole

    def compute() -> Captions:
        asr = make_asr(
            speech.asr_engine,
            model=speech.asr_model,
            device=speech.asr_device,
            cache_dir=storage.layout.cache / "models",
        )
        context.log.info(f"recognising speech with {asr.name} {asr.model} on {asr.device}")
        recognition = recognize_scenes(
            asr, narration, storage.layout.cache / "asr" if storage.reuse else None
        )
        recognized = recognition.words
        recognized_scenes.extend(recognition.recognized)
        unchanged = len(narration.scenes) - len(recognition.recognized)
        how = "the whole track" if recognition.whole_track else "scene by scene"
        context.log.info(
            f"recognised {len(recognition.recognized)} scenes ({how}), {unchanged} unchanged"
            if recognition.recognized
            else f"all {unchanged} scenes unchanged: stored words reused"
        )
        timed, coverage = align_words(script_words, recognized, spans)
        wer = word_error_rate([w for w, _ in script_words], [r.text for r in recognized])
        return write_caption_set(
            timed,
            out_dir,
            track_end=narration.duration_s,
            wer=wer,
            coverage=coverage,
            asr=asr,
        )

    with user_errors():
        result, reused = memoized(
            out_dir,
            "captions",
            key,
            compute,
            files=lambda c: [c.srt_path, c.vtt_path, c.words_json_path],
            reuse=storage.reuse,
        )
    if reused:
        context.log.info("captions unchanged (same narration and settings): reused")
    links = storage.links
    yield Output(
        result,
        metadata={
            "words": len(result.words),
            "coverage": round(result.coverage, 4),
            "wer": round(result.wer, 4),
            "engine": f"{result.engine} {result.model} ({result.device})",
            "srt": path_value(result.srt_path),
            "vtt": path_value(result.vtt_path),
            "srt_url": MetadataValue.url(links.output_file(result.srt_path)),
            "vtt_url": MetadataValue.url(links.output_file(result.vtt_path)),
            "words_json": path_value(result.words_json_path),
            "reused": reused,
            "recognized_scenes": MetadataValue.json(recognized_scenes),
        },
    )
    aligned = result.coverage >= MIN_CAPTION_COVERAGE
    yield AssetCheckResult(
        check_name="caption_alignment",
        passed=aligned,
        description=None
        if aligned
        else f"{result.coverage:.1%} of words timed from speech, want ≥ {MIN_CAPTION_COVERAGE:.0%}",
        metadata={"coverage": round(result.coverage, 4), "threshold": MIN_CAPTION_COVERAGE},
    )
    recognised = result.wer <= MAX_RECOGNITION_WER
    yield AssetCheckResult(
        check_name="recognition_wer",
        passed=recognised,
        severity=AssetCheckSeverity.WARN,
        description=None
        if recognised
        else f"WER {result.wer:.1%} > {MAX_RECOGNITION_WER:.0%} ({result.model})",
        metadata={
            "wer": round(result.wer, 4),
            "threshold": MAX_RECOGNITION_WER,
            "model": result.model,
        },
    )
