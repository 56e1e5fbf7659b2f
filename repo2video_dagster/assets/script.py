"""The narration script: scenes with text to speak and what to show."""

from dagster import AssetExecutionContext, MetadataValue, Output, asset

from repo2video_dagster.assets.common import (
    TRANSIENT_RETRY,
    code_version,
    markdown_table,
    user_errors,
)
from repo2video_dagster.lib import script as script_lib
from repo2video_dagster.lib.core.errors import ScriptError
from repo2video_dagster.lib.core.records import RepoProfile, VideoScript
from repo2video_dagster.lib.script.llm import LlmWriter
from repo2video_dagster.lib.script.template.writer import TemplateWriter
from repo2video_dagster.partitions import repositories_partitions
from repo2video_dagster.resources import ScriptWriterResource

SCRIPT_CODE_VERSION = code_version(__name__, script_lib)


def write_script(profile: RepoProfile, cfg: ScriptWriterResource) -> VideoScript:
    if cfg.writer == "template":
        return TemplateWriter().write(profile)
    if cfg.writer == "llm":
        writer = LlmWriter(
            base_url=cfg.llm_base_url,
            model=cfg.llm_model,
            api_key=cfg.api_key(),
            timeout_s=cfg.llm_timeout_s,
        )
        return writer.write(profile)
    raise ScriptError(f"unknown script writer {cfg.writer!r}", hint="Use 'template' or 'llm'.")


@asset(
    partitions_def=repositories_partitions,
    group_name="script",
    kinds={"python"},
    code_version=SCRIPT_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "6-9 ordered scenes (hook, what it is, install, usage, architecture, languages, activity, "
        "outro), each with narration and a visual spec; plus title, description and tags. Written "
        "by the offline template writer (default) or an OpenAI-compatible LLM."
    ),
)
def video_script(
    context: AssetExecutionContext, repo_profile: RepoProfile, script_writer: ScriptWriterResource
) -> Output[VideoScript]:
    with user_errors():
        script = write_script(repo_profile, script_writer)
    rows = [
        {
            "#": i + 1,
            "scene": s.id,
            "visual": s.visual.kind,
            "words": len(s.narration.split()),
            "narration": s.narration,
        }
        for i, s in enumerate(script.scenes)
    ]
    return Output(
        script,
        metadata={
            "title": script.title,
            "writer": script.writer,
            "scenes": len(script.scenes),
            "words": script.word_count,
            "script": MetadataValue.md(markdown_table(rows)),
            "tags": MetadataValue.json(script.tags),
        },
    )
