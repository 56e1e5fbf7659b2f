"""Which voice speaks each language: a configured Piper voice, else espeak-ng's.

``REPO2VIDEO_PIPER_VOICES`` maps language codes to Piper voices:
``es=/voices/es_ES-davefx-medium.onnx,de=thorsten_de_piper_voice`` (a path to an
``.onnx`` file with its ``.onnx.json``, or the import name of a package installed
in the venv that ships one under ``data/``). English keeps the configured engine
(the bundled Piper voice by default). Any other language without a Piper voice is
spoken by espeak-ng's voice for it: offline and intelligible, if robotic.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.script.languages import DEFAULT_LANGUAGE, get_language
from repo2video_dagster.lib.speech.tts import TtsEngine, make_tts

__all__ = ["VoiceChoice", "make_voice", "parse_piper_voices", "voice_for"]

PIPER_VOICES_URL = "https://huggingface.co/rhasspy/piper-voices"
_SUGGESTED = {
    "es": "es_ES-davefx-medium",
    "de": "de_DE-thorsten-medium",
    "fr": "fr_FR-siwis-medium",
    "pt": "pt_BR-faber-medium",
    "en": "en_US-lessac-medium",
}


@dataclass(frozen=True)
class VoiceChoice:
    language: str
    engine: str
    """``piper`` or ``espeak``."""
    voice: str
    """The .onnx path (Piper), ``""`` for the bundled Piper voice, or espeak-ng's voice name."""
    better: str | None
    """How to get a better voice, when this is espeak-ng's."""
    rate: int = 165
    """espeak-ng words per minute."""

    def describe(self) -> str:
        if self.engine == "piper":
            return f"Piper {Path(self.voice).name if self.voice else '(bundled en_US voice)'}"
        return f"espeak-ng {self.voice}"


def parse_piper_voices(raw: str) -> dict[str, str]:
    """``"es=/a/b.onnx,de=pkg"`` -> ``{"es": "/a/b.onnx", "de": "pkg"}``."""
    voices: dict[str, str] = {}
    for item in (p.strip() for p in raw.split(",")):
        if not item:
            continue
        code, sep, value = item.partition("=")
        if not sep or not value.strip():
            raise UserError(
                f"REPO2VIDEO_PIPER_VOICES entry {item!r} is not code=voice",
                hint="write es=/path/to/voice.onnx,de=voice_package",
            )
        voices[get_language(code).code] = value.strip()
    return voices


def _piper_model(value: str, code: str) -> Path:
    path = Path(value).expanduser()
    if path.suffix == ".onnx":
        if path.is_file() and Path(f"{path}.json").is_file():
            return path
        raise UserError(
            f"Piper voice for {code} not found: {path} (and its .onnx.json)",
            hint="fix the path in REPO2VIDEO_PIPER_VOICES or remove the entry to use espeak-ng",
        )
    spec = importlib.util.find_spec(value) if value.isidentifier() else None
    for location in list(spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(location).glob("**/*.onnx"))
        if found:
            return found[0]
    raise UserError(
        f"Piper voice for {code}: {value!r} is neither an .onnx file nor an installed voice package",
        hint="give the path of a voice .onnx file, or pip install the voice package",
    )


def voice_for(
    code: str, piper_voices: dict[str, str], default_engine: str = "piper"
) -> VoiceChoice:
    language = get_language(code)
    configured = piper_voices.get(language.code)
    if configured:
        return VoiceChoice(language.code, "piper", str(_piper_model(configured, code)), None)
    if language.code == DEFAULT_LANGUAGE and default_engine == "piper":
        return VoiceChoice(language.code, "piper", "", None)
    suggestion = _SUGGESTED.get(language.code, f"a {language.english_name} voice")
    return VoiceChoice(
        language.code,
        "espeak",
        language.espeak_voice,
        f"download {suggestion}.onnx and .onnx.json from {PIPER_VOICES_URL} and set "
        f"REPO2VIDEO_PIPER_VOICES={language.code}=/path/{suggestion}.onnx",
        language.espeak_wpm,
    )


def make_voice(choice: VoiceChoice, length_scale: float = 1.0) -> TtsEngine:
    if choice.engine == "piper":
        return make_tts("piper", model_path=choice.voice or None, length_scale=length_scale)
    return make_tts("espeak", voice=choice.voice, words_per_minute=choice.rate)


def voice_checks(languages: str, piper_voices: str, default_engine: str):
    """``repo2video doctor`` lines: per configured language, who speaks and how to do
    better (``(name, ok, detail)``); a bad setting is one failed line, not a traceback."""
    import shutil

    from repo2video_dagster.lib.script.languages.plan import parse_languages
    from repo2video_dagster.lib.speech.tts import _espeak_voices

    try:
        plan = parse_languages(languages)
        voices = parse_piper_voices(piper_voices)
    except UserError as err:
        yield "languages", False, str(err)
        return
    espeak = shutil.which("espeak-ng")
    known = _espeak_voices(espeak) if espeak else frozenset()
    for code in plan.spoken:
        name = f"voice {code}"
        try:
            choice = voice_for(code, voices, default_engine)
        except UserError as err:
            yield name, False, str(err)
            continue
        if choice.engine == "piper":
            yield name, True, choice.describe()
            continue
        ok = choice.voice.split("+")[0].lower() in known
        detail = f"{choice.describe()} (robotic); better: {choice.better}"
        yield (
            name,
            ok,
            detail if ok else f"espeak-ng has no {choice.voice}: apt-get install espeak-ng",
        )
    for code in plan.subtitles:
        yield f"subtitles {code}", True, "subtitles only (no voice)"
