"""Dagster resources: configuration and engines, injected into assets by type.

Defaults come from environment variables (``lib/core/settings.py``), so the CLI, the UI
and the daemon agree without a config file; each field can be overridden in the
launchpad. Secrets (LLM key, GitHub token) are read from the environment at run
time and never placed in run config or tags.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext

from repo2video_dagster.lib.core import settings as env
from repo2video_dagster.lib.core.settings import DataLayout
from repo2video_dagster.lib.source.policy import SourcePolicy


class StorageResource(ConfigurableResource):
    """Where checkouts, caches, outputs and the site live."""

    data_dir: str = "var"
    reuse: bool = True
    """Reuse unchanged stage results (content-addressed). ``repo2video render --force`` turns it off."""

    @property
    def layout(self) -> DataLayout:
        return DataLayout(Path(self.data_dir).expanduser().resolve())


class SourceResource(ConfigurableResource):
    """Which repositories may be fetched, and the limits that protect the machine."""

    allowed_hosts: list[str] = ["github.com"]
    allow_local: bool = False
    allow_ssh: bool = False
    max_repo_mb: float = 500.0
    max_files: int = 50_000
    clone_timeout_s: float = 180.0
    history_depth: int = 1000
    require_readme: bool = True
    allowed_private_networks: list[str] = []

    @classmethod
    def from_policy(cls, policy: SourcePolicy) -> SourceResource:
        return cls(
            allowed_hosts=list(policy.allowed_hosts),
            allow_local=policy.allow_local,
            allow_ssh=policy.allow_ssh,
            max_repo_mb=policy.max_repo_bytes / (1024 * 1024),
            max_files=policy.max_files,
            clone_timeout_s=policy.clone_timeout_s,
            history_depth=policy.history_depth,
            require_readme=policy.require_readme,
            allowed_private_networks=list(policy.allowed_private_networks),
        )

    def policy(self) -> SourcePolicy:
        return SourcePolicy(
            allowed_hosts=tuple(h.lower() for h in self.allowed_hosts),
            allow_local=self.allow_local,
            allow_ssh=self.allow_ssh,
            max_repo_bytes=int(self.max_repo_mb * 1024 * 1024),
            max_files=self.max_files,
            clone_timeout_s=self.clone_timeout_s,
            history_depth=self.history_depth,
            require_readme=self.require_readme,
            allowed_private_networks=tuple(self.allowed_private_networks),
        )


class GitHubApiResource(ConfigurableResource):
    """Optional enrichment (stars, topics). Used only when enabled or a token is set."""

    base_url: str = "https://api.github.com"
    enabled: bool = False
    timeout_s: float = 10.0

    def token(self) -> str | None:
        return os.environ.get("GITHUB_TOKEN") or os.environ.get("REPO2VIDEO_GITHUB_TOKEN") or None

    def active(self) -> bool:
        return self.enabled or bool(self.token())


class ScriptWriterResource(ConfigurableResource):
    """``template`` (offline, deterministic) or ``llm`` (any OpenAI-compatible chat API)."""

    writer: str = "template"
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_model: str = "local-model"
    llm_timeout_s: float = 60.0

    def api_key(self) -> str | None:
        return os.environ.get("REPO2VIDEO_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY") or None


class SpeechResource(ConfigurableResource):
    """Text-to-speech and recognition engines."""

    tts_engine: str = "piper"
    tts_length_scale: float = 1.0
    asr_engine: str = "faster-whisper"
    asr_model: str = "tiny.en"
    asr_device: str = "auto"

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Start loading the recogniser and other slow engines while early stages run."""
        from repo2video_dagster.lib.core.settings import default_data_dir
        from repo2video_dagster.lib.speech.warmup import speech_and_video_tasks, warm_in_background

        cache = default_data_dir() / "cache" / "models"
        warm_in_background(
            f"{self.asr_engine}:{self.asr_model}:{self.asr_device}",
            speech_and_video_tasks(
                self.tts_engine, self.asr_engine, self.asr_model, self.asr_device, cache
            ),
        )


class RenderResource(ConfigurableResource):
    """Video encoding settings."""

    formats: list[str] = ["reel", "landscape"]
    fps: int = 30
    preset: str = "ultrafast"
    crf: int = 23
    threads: int = max(1, os.cpu_count() or 1)


def default_resources() -> dict[str, ConfigurableResource]:
    """Fresh resource instances, reading the environment now (CLI and tests call this)."""
    speech = env.SpeechSettings.from_env()
    render = env.RenderSettings.from_env()
    return {
        "storage": StorageResource(data_dir=str(env.default_data_dir())),
        "source": SourceResource.from_policy(SourcePolicy.from_env()),
        "github": GitHubApiResource(
            base_url=env.env_str("GITHUB_API_URL", "https://api.github.com"),
            enabled=env.env_bool("GITHUB_ENRICH", False),
        ),
        "script_writer": ScriptWriterResource(
            writer=env.env_str("WRITER", "template"),
            llm_base_url=env.env_str("LLM_BASE_URL", "http://127.0.0.1:8080/v1"),
            llm_model=env.env_str("LLM_MODEL", "local-model"),
            llm_timeout_s=env.env_float("LLM_TIMEOUT_S", 60.0),
        ),
        "speech": SpeechResource(
            tts_engine=speech.tts_engine,
            tts_length_scale=speech.tts_length_scale,
            asr_engine=speech.asr_engine,
            asr_model=speech.asr_model,
            asr_device=speech.asr_device,
        ),
        "render": RenderResource(
            formats=list(render.formats),
            preset=render.preset,
            crf=render.crf,
        ),
    }


def with_overrides(resource: ConfigurableResource, **changes: object) -> ConfigurableResource:
    """A new resource of the same type with some fields changed.

    (pydantic's ``model_copy`` does not update the config Dagster re-instantiates
    resources from, so build a fresh instance.)
    """
    return type(resource)(**{**resource.model_dump(), **changes})
