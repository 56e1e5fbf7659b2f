"""Sentences translated by the same OpenAI-compatible endpoint the LLM writer uses.

One request for the whole narration (context makes better sentences), answered as a
JSON object ``{"translations": [...]}`` with exactly one entry per sentence; any
other answer is a one-line error, never a half-dubbed video.
"""

from __future__ import annotations

import json

from repo2video_dagster.lib.core.errors import ScriptError, ScriptServiceError
from repo2video_dagster.lib.script.languages import Language
from repo2video_dagster.lib.script.llm import LlmWriter

__all__ = ["translate_sentences"]

SYSTEM = (
    "You translate the narration of a short explainer video. Answer with ONE JSON object "
    '{"translations": [...]} holding exactly one translation per input sentence, in order. '
    "Translate into natural spoken {language}: that language's numbers, dates and way of "
    "reading lists; keep names of projects, files and commands as they are; keep each "
    "translation about as long as its sentence, because it must be spoken in the same time."
)


def translate_sentences(texts: list[str], language: Language, writer: LlmWriter) -> list[str]:
    if not texts:
        return []
    messages = [
        {"role": "system", "content": SYSTEM.replace("{language}", language.english_name)},
        {"role": "user", "content": json.dumps({"sentences": texts}, ensure_ascii=False)},
    ]
    try:
        answer = writer.ask_json(messages)
    except ScriptServiceError as err:
        # The writer's hint offers the template writer, which cannot translate.
        raise ScriptServiceError(
            f"translation failed: {err.problem}",
            hint="start an OpenAI-compatible server or set REPO2VIDEO_LLM_BASE_URL to one",
            ui_hint="start an OpenAI-compatible server or set "
            "resources.script_writer.config.llm_base_url to one in the launchpad",
        ) from None
    out = answer.get("translations") if isinstance(answer, dict) else None
    if (
        not isinstance(out, list)
        or len(out) != len(texts)
        or not all(isinstance(t, str) for t in out)
    ):
        raise ScriptError(
            f"the translation endpoint did not answer one translation per sentence ({len(texts)})",
            hint="check the model, or try again",
        )
    return [t.strip() for t in out]
