"""Dubbing with the configured engines: one place for ``repo2video dub`` and the
``dub_repository`` job.

Both read the same resources (the LLM writer's endpoint translates, the language's
voice speaks, the bundled multilingual Whisper hears), so the terminal and the
Dagster UI dub the same way and fail with the same line (each with its own hint).
"""

from __future__ import annotations

from pathlib import Path

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.dub.dub import DubResult, dub_video
from repo2video_dagster.lib.script.llm import LlmWriter
from repo2video_dagster.lib.speech.voices import (
    VoiceChoice,
    make_voice,
    parse_piper_voices,
    voice_for,
)
from repo2video_dagster.resources import ScriptWriterResource, SpeechResource

__all__ = ["dub_with", "translation_writer"]


def translation_writer(cfg: ScriptWriterResource) -> LlmWriter:
    """The LLM writer's endpoint as the translator; none configured is one line."""
    if not cfg.llm_base_url.strip():
        raise UserError(
            "no translation endpoint is configured",
            hint="set REPO2VIDEO_LLM_BASE_URL (and REPO2VIDEO_LLM_MODEL) to an "
            "OpenAI-compatible server",
            ui_hint="set resources.script_writer.config.llm_base_url (and llm_model) to an "
            "OpenAI-compatible server in the launchpad",
        )
    return LlmWriter(
        base_url=cfg.llm_base_url,
        model=cfg.llm_model,
        api_key=cfg.api_key(),
        timeout_s=cfg.llm_timeout_s,
    )


def dub_with(
    video: Path,
    code: str,
    out: Path,
    *,
    speech: SpeechResource,
    script_writer: ScriptWriterResource,
    models_dir: Path,
    source_language: str | None = "en",
) -> tuple[DubResult, VoiceChoice]:
    """Dub ``video`` into ``code`` at ``out`` with the engines the resources name."""
    writer = translation_writer(script_writer)
    choice = voice_for(code, parse_piper_voices(speech.piper_voices), speech.tts_engine)
    result = dub_video(
        video,
        choice.language,
        out,
        asr=speech.multilingual_asr(models_dir),
        tts=make_voice(choice, speech.tts_length_scale),
        writer=writer,
        source_language=source_language,
    )
    return result, choice
