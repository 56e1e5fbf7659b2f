"""``dub_repository``: the Dagster path for dubbing a rendered repository's video.

The launchpad names a repository (partition key, URL or ``owner/name``), a target
language and a cut; the op dubs that rendered mp4 exactly as ``repo2video dub`` does
(:mod:`.dubbing`) into ``output/<key>/dub/<code>/<cut>.<code>.mp4`` with SRT and VTT
beside it. Bad input is one line in the UI: an unknown language, a repository that
is not registered or not rendered yet, no translation endpoint.

For a proper version in another language of repo2video's own render (new captions
drawn, the language's own script), ``REPO2VIDEO_LANGUAGES`` and a backfill of
``language_versions`` are better; this job is the seed's voice translation for what
was already rendered, captions of the original burned in included.
"""

# No ``from __future__ import annotations``: Dagster reads the config class from the
# op's annotations at import time.
from dagster import Config, MetadataValue, OpExecutionContext, Output, in_process_executor, job, op
from pydantic import Field

from repo2video_dagster.assets.common import user_errors
from repo2video_dagster.dubbing import dub_with
from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.script.languages import get_language
from repo2video_dagster.resources import ScriptWriterResource, SpeechResource, StorageResource
from repo2video_dagster.retire import resolve_key

DUB_JOB_NAME = "dub_repository"
DUB_OP_NAME = "dub"
"""The launchpad: ``ops: dub: config: {repository: owner__name, to: es}``."""
CUTS = ("landscape", "reel")


class DubRepositoryConfig(Config):
    repository: str = Field(
        description="the partition key (owner__name), or the URL, owner/name or path the "
        "repository was added with"
    )
    to: str = Field(description="target language: es, de, fr, pt or en")
    cut: str = Field(default="landscape", description="which rendered video: landscape or reel")
    source_language: str = Field(
        default="en", description="the language spoken in the video (or auto)"
    )


@op(
    name=DUB_OP_NAME,
    description="Dub a rendered repository's video into another language (as repo2video dub).",
)
def dub_repository_op(
    context: OpExecutionContext,
    config: DubRepositoryConfig,
    storage: StorageResource,
    speech: SpeechResource,
    script_writer: ScriptWriterResource,
) -> Output[str]:
    layout = storage.layout
    with user_errors():
        try:
            language = get_language(config.to)
        except UserError as err:  # its hint names REPO2VIDEO_LANGUAGES, not this launchpad
            raise UserError(err.problem, hint="set ops.dub.config.to to one of them") from None
        if config.cut not in CUTS:
            raise UserError(f"cut {config.cut!r} is not one of {', '.join(CUTS)}")
        key = resolve_key(context.instance, layout.root, config.repository)
        video = layout.output(key) / f"{config.cut}.mp4"
        if not video.is_file():
            raise UserError(
                f"{key} has no rendered {config.cut} video yet",
                hint=f"render it first: repo2video render {key}",
                ui_hint=f"materialize video for partition {key} first (include the {config.cut} "
                "format)",
            )
        out = layout.output(key) / "dub" / language.code / f"{config.cut}.{language.code}.mp4"
        out.parent.mkdir(parents=True, exist_ok=True)
        result, choice = dub_with(
            video,
            language.code,
            out,
            speech=speech,
            script_writer=script_writer,
            models_dir=layout.cache / "models",
            source_language=None if config.source_language == "auto" else config.source_language,
        )
    context.log.info(
        f"dubbed {key} {config.cut} into {language.name} with {choice.describe()}: "
        f"{result.sentences} sentences, {result.coverage:.0%} of words timed from speech"
    )
    return Output(
        result.video_path,
        metadata={
            "partition": key,
            "language": language.code,
            "voice": choice.describe(),
            "video": MetadataValue.path(result.video_path),
            "srt": MetadataValue.path(result.srt_path),
            "vtt": MetadataValue.path(result.vtt_path),
            "sentences": result.sentences,
            "tempo_range": f"{min(result.tempos):.2f}-{max(result.tempos):.2f}",
            "extended_s": result.extended_s,
            "coverage": round(result.coverage, 3),
            "wer": round(result.wer, 3),
            "loudness_lufs": result.loudness_lufs,
        },
    )


@job(
    name=DUB_JOB_NAME,
    executor_def=in_process_executor,
    description="Dub a rendered repository's video into another language. Launchpad: "
    "ops: dub: config: {repository: owner__name, to: es}",
)
def dub_repository_job() -> None:
    dub_repository_op()
