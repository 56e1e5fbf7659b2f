"""Configuration read from environment variables, with the defaults a local user expects.

The Dagster resources take their defaults from here, so the CLI, ``dagster dev``
and the daemon agree without any config file; every value can still be overridden
per run in the Dagster UI (resource config) or by exporting the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "REPO2VIDEO_"


def env_str(name: str, default: str) -> str:
    value = os.environ.get(ENV_PREFIX + name)
    return value.strip() if value and value.strip() else default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(ENV_PREFIX + name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(ENV_PREFIX + name)
    try:
        return float(value) if value and value.strip() else default
    except ValueError:
        return default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(ENV_PREFIX + name)
    if not value or not value.strip():
        return list(default)
    return [part.strip().lower() for part in value.split(",") if part.strip()]


def default_data_dir() -> Path:
    """``$REPO2VIDEO_DATA_DIR``, else ``var/`` next to ``$DAGSTER_HOME``'s parent or the cwd."""
    explicit = os.environ.get(ENV_PREFIX + "DATA_DIR")
    if explicit and explicit.strip():
        return Path(explicit).expanduser().resolve()
    return (Path.cwd() / "var").resolve()


@dataclass(frozen=True)
class DataLayout:
    """Where everything lives under the data directory (one place to change it)."""

    root: Path

    @property
    def workspace(self) -> Path:
        """Checkouts of repositories, one directory per partition key."""
        return self.root / "workspace"

    @property
    def cache(self) -> Path:
        """Content-addressed caches (per-scene audio, converted models)."""
        return self.root / "cache"

    @property
    def site(self) -> Path:
        """The static site (default local publication): index + one page per repository."""
        return self.root / "site"

    @property
    def catalog(self) -> Path:
        return self.root / "catalog"

    def output(self, key: str) -> Path:
        """All outputs of one repository: videos, captions, thumbnail, blog post."""
        return self.root / "output" / key


@dataclass(frozen=True)
class SpeechSettings:
    tts_engine: str = "piper"
    tts_length_scale: float = 1.0
    asr_engine: str = "faster-whisper"
    asr_model: str = "tiny.en"
    asr_device: str = "auto"

    @classmethod
    def from_env(cls) -> SpeechSettings:
        return cls(
            tts_engine=env_str("TTS", "piper"),
            tts_length_scale=env_float("TTS_LENGTH_SCALE", 1.0),
            asr_engine=env_str("ASR", "faster-whisper"),
            asr_model=env_str("ASR_MODEL", "tiny.en"),
            asr_device=env_str("ASR_DEVICE", "auto"),
        )


@dataclass(frozen=True)
class RenderSettings:
    formats: tuple[str, ...] = ("reel", "landscape")
    fps: int = 30
    preset: str = "ultrafast"
    crf: int = 23
    threads: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))

    @classmethod
    def from_env(cls) -> RenderSettings:
        fmt = env_str("FORMATS", "both")
        return cls(
            formats=parse_formats(fmt),
            preset=env_str("PRESET", "ultrafast"),
            crf=int(env_float("CRF", 23)),
        )


def parse_formats(value: str) -> tuple[str, ...]:
    value = value.strip().lower()
    if value in {"both", "all", ""}:
        return ("reel", "landscape")
    parts = tuple(p.strip() for p in value.split(",") if p.strip())
    bad = [p for p in parts if p not in {"reel", "landscape"}]
    if bad:
        raise ValueError(f"unknown format {bad[0]!r}: use reel, landscape or both")
    return parts
