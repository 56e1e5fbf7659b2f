"""Dagster resources: configuration and engines, injected into assets by type.

Each setting is declared once, as a field here: its type, its default and, where a
deployment may change it without code, the ``REPO2VIDEO_*`` variable that replaces
the default (:func:`env_default`). A resource built without a value for such a field
reads the variable then, so the resources the code location loads make the CLI, the
UI and the daemon agree without a config file. The launchpad can override any field
per run; a field it leaves out keeps the value the resource was built with.

The source policy is declared on :class:`SourcePolicy` (the webhook receiver uses it
outside Dagster): :class:`SourceResource` has the same fields and takes their
defaults from ``SourcePolicy.from_env``. Secrets (LLM key, GitHub token) are read from
the environment at run time and never placed in run config or tags.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.settings import (
    ENV_PREFIX,
    DataLayout,
    default_data_dir,
    env_bool,
    env_list,
    env_number,
    env_raw,
    env_str,
    parse_formats,
)
from repo2video_dagster.lib.publish.links import DEFAULT_PUBLIC_URL, PublicLinks
from repo2video_dagster.lib.source.policy import SourcePolicy

T = TypeVar("T")


def env_default(variable: str, default: T, parse: Callable[[str], T] | None = None) -> Any:
    """A field default that ``$REPO2VIDEO_<variable>`` replaces, read when the resource is built.

    The value is parsed by the default's type (text, boolean, number, comma list) or by
    ``parse``; a value that cannot be read is a ``UserError`` naming the variable.
    """

    def read() -> Any:
        if parse is not None:
            raw = env_raw(variable)
            try:
                return default if raw is None else parse(raw)
            except ValueError as err:
                raise UserError(f"{ENV_PREFIX}{variable}={raw!r}: {err}") from None
        if isinstance(default, bool):
            return env_bool(variable, default)
        if isinstance(default, int | float):
            return env_number(variable, default)
        if isinstance(default, list):
            return env_list(variable, default)
        return env_str(variable, str(default))

    return Field(
        default_factory=read, description=f"default: ${ENV_PREFIX}{variable}, else {default!r}"
    )


def policy_default(name: str) -> Any:
    """A field whose default is the same field of ``SourcePolicy.from_env()``."""

    def read() -> Any:
        value = getattr(SourcePolicy.from_env(), name)
        return list(value) if isinstance(value, tuple) else value

    return Field(default_factory=read, description="default: see SourcePolicy.from_env")


class StorageResource(ConfigurableResource):
    """Where checkouts, caches, outputs and the site live."""

    data_dir: str = Field(
        default_factory=lambda: str(default_data_dir()),
        description="default: $REPO2VIDEO_DATA_DIR, else ./var",
    )
    reuse: bool = True
    """Reuse unchanged stage results (content-addressed). ``repo2video render --force`` turns it off."""
    public_url: str = env_default("PUBLIC_URL", DEFAULT_PUBLIC_URL)
    """Where the receiver serves the site and outputs: the base of the links on materializations."""

    @property
    def layout(self) -> DataLayout:
        return DataLayout(Path(self.data_dir).expanduser().resolve())

    @property
    def links(self) -> PublicLinks:
        return PublicLinks(self.public_url, self.layout.root / "output")


class SourceResource(ConfigurableResource):
    """Which repositories may be fetched, and the limits that protect the machine.

    The fields of :class:`SourcePolicy`, by the same names (a test keeps them equal).
    """

    allowed_hosts: list[str] = policy_default("allowed_hosts")
    allow_local: bool = policy_default("allow_local")
    allow_ssh: bool = policy_default("allow_ssh")
    max_repo_bytes: int = policy_default("max_repo_bytes")
    max_files: int = policy_default("max_files")
    clone_timeout_s: float = policy_default("clone_timeout_s")
    history_depth: int = policy_default("history_depth")
    require_readme: bool = policy_default("require_readme")
    allowed_private_networks: list[str] = policy_default("allowed_private_networks")

    def policy(self) -> SourcePolicy:
        return SourcePolicy(**self.model_dump())


class GitHubApiResource(ConfigurableResource):
    """Optional enrichment (stars, topics). Used only when enabled or a token is set."""

    base_url: str = env_default("GITHUB_API_URL", "https://api.github.com")
    enabled: bool = env_default("GITHUB_ENRICH", False)
    timeout_s: float = 10.0

    def token(self) -> str | None:
        return os.environ.get("GITHUB_TOKEN") or os.environ.get("REPO2VIDEO_GITHUB_TOKEN") or None

    def active(self) -> bool:
        return self.enabled or bool(self.token())


class ScriptWriterResource(ConfigurableResource):
    """``template`` (offline, deterministic) or ``llm`` (any OpenAI-compatible chat API)."""

    writer: str = env_default("WRITER", "template")
    llm_base_url: str = env_default("LLM_BASE_URL", "http://127.0.0.1:8080/v1")
    llm_model: str = env_default("LLM_MODEL", "local-model")
    llm_timeout_s: float = env_default("LLM_TIMEOUT_S", 60.0)

    def api_key(self) -> str | None:
        return os.environ.get("REPO2VIDEO_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY") or None


class SpeechResource(ConfigurableResource):
    """Text-to-speech and recognition engines."""

    tts_engine: str = env_default("TTS", "piper")
    tts_length_scale: float = env_default("TTS_LENGTH_SCALE", 1.0)
    asr_engine: str = env_default("ASR", "faster-whisper")
    asr_model: str = env_default("ASR_MODEL", "tiny.en")
    asr_device: str = env_default("ASR_DEVICE", "auto")
    languages: str = env_default("LANGUAGES", "en")
    """Narrated languages, comma separated; ``code:subtitles`` for subtitles only
    (``en,es,fr:subtitles``). English is always narrated (the default cut)."""
    language_overrides: str = env_default("LANGUAGE_OVERRIDES", "")
    """JSON file of per-repository lists (default ``<data dir>/languages.json``)."""
    piper_voices: str = env_default("PIPER_VOICES", "")
    """Piper voice per language: ``es=/path/voice.onnx,de=voice_package``."""
    asr_multilingual_model: str = env_default("ASR_MULTILINGUAL_MODEL", "base")
    """Recogniser for the languages other than English (the bundled multilingual base)."""
    asr_multilingual_beam_size: int = env_default("ASR_MULTILINGUAL_BEAM_SIZE", 5)
    """Beam search width for those languages (1: greedy). Whisper base hears espeak-ng's
    voices in es, de, fr and pt better with 5, at temperature 0 (no sampled retries:
    repeatable, and cheaper than the fallback schedule; the README's language table)."""

    def multilingual_asr(self, cache_dir: Path):
        """The recogniser for the languages other than English (captions, dubbing)."""
        from repo2video_dagster.lib.speech.asr import make_asr

        return make_asr(
            self.asr_engine,
            model=self.asr_multilingual_model,
            device=self.asr_device,
            cache_dir=cache_dir,
            beam_size=self.asr_multilingual_beam_size,
            temperature=0.0,
        )

    def language_plan(self, key: str, data_dir: Path):
        """This repository's :class:`~.languages.plan.LanguagePlan`."""
        from repo2video_dagster.lib.script.languages.plan import plan_for

        overrides = (
            Path(self.language_overrides).expanduser()
            if self.language_overrides
            else data_dir / "languages.json"
        )
        return plan_for(key, self.languages, overrides)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Start loading the recogniser and other slow engines while early stages run."""
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

    formats: list[str] = env_default(
        "FORMATS", ["reel", "landscape"], lambda raw: list(parse_formats(raw))
    )
    fps: int = 30
    preset: str = env_default("PRESET", "ultrafast")
    crf: int = env_default("CRF", 23)
    threads: int = max(1, os.cpu_count() or 1)
    music: str = env_default("MUSIC", "default")
    """The bed under the narration: ``default`` (synthesised by the project), ``off``, an
    audio file, or a folder to pick one from by repository."""


class PublishResource(ConfigurableResource):
    """Publication after a render (YouTube, GitHub): off unless ``REPO2VIDEO_PUBLISH`` names targets.

    Per-repository overrides (privacy, playlist, formats, targets...) live in a JSON
    file (``lib/publish/settings.py``). Secrets (the YouTube refresh token and OAuth
    client secret, ``GITHUB_TOKEN``) are read from the environment or the 0600 token
    file at run time, never stored in these fields.
    """

    targets: list[str] = env_default("PUBLISH", [])
    overrides_file: str = env_default("PUBLISH_OVERRIDES", "")
    youtube_formats: list[str] = env_default(
        "YOUTUBE_FORMATS", ["reel", "landscape"], lambda raw: list(parse_formats(raw))
    )
    youtube_privacy: str = env_default("YOUTUBE_PRIVACY", "private")
    youtube_playlist: str = env_default("YOUTUBE_PLAYLIST", "")
    youtube_category: str = env_default("YOUTUBE_CATEGORY", "28")
    youtube_language: str = env_default("YOUTUBE_LANGUAGE", "en")
    youtube_api_url: str = env_default("YOUTUBE_API_URL", "https://youtube.googleapis.com/")
    youtube_token_url: str = env_default("YOUTUBE_TOKEN_URL", "https://oauth2.googleapis.com/token")
    youtube_auth_url: str = env_default(
        "YOUTUBE_AUTH_URL", "https://accounts.google.com/o/oauth2/v2/auth"
    )
    youtube_token_file: str = env_default("YOUTUBE_TOKEN_FILE", "")
    youtube_chunk_mb: int = env_default("YOUTUBE_CHUNK_MB", 8)
    youtube_uploads_per_day: int = env_default("YOUTUBE_UPLOADS_PER_DAY", 100)
    youtube_units_per_day: int = env_default("YOUTUBE_UNITS_PER_DAY", 10_000)
    youtube_costs: str = env_default("YOUTUBE_COSTS", "")
    youtube_quota_timezone: str = env_default("YOUTUBE_QUOTA_TZ", "America/Los_Angeles")
    site_url: str = env_default("SITE_URL", "")
    """Public base URL of the published site (GitHub Pages...): page links, feed, Open Graph."""
    site_remote: str = env_default("SITE_REMOTE", "")
    """Git remote ``repo2video site publish`` pushes the site to (URL or path)."""
    site_branch: str = env_default("SITE_BRANCH", "gh-pages")
    github_release_assets: bool = env_default("PUBLISH_RELEASE_ASSETS", True)
    github_commit_status: bool = env_default("PUBLISH_COMMIT_STATUS", True)

    def page_url(self, key: str) -> str | None:
        """The public address of ``key``'s video page, when ``site_url`` is set."""
        from repo2video_dagster.lib.publish.blog import site_key

        return f"{self.site_url.rstrip('/')}/{site_key(key)}/" if self.site_url else None

    def token_file(self, data_dir: Path) -> Path:
        """The YouTube token file (default ``<data dir>/secrets/youtube-token.json``)."""
        if self.youtube_token_file:
            return Path(self.youtube_token_file).expanduser()
        return data_dir / "secrets" / "youtube-token.json"

    def overrides_path(self, data_dir: Path) -> Path:
        return (
            Path(self.overrides_file).expanduser()
            if self.overrides_file
            else data_dir / "publish.json"
        )

    def settings_for(self, key: str, data_dir: Path):
        """This repository's :class:`PublishSettings` (defaults + overrides file)."""
        from repo2video_dagster.lib.publish.settings import PublishSettings, settings_for

        defaults = PublishSettings(
            targets=tuple(self.targets),
            formats=tuple(self.youtube_formats),
            privacy=self.youtube_privacy,
            playlist=self.youtube_playlist or None,
            category=self.youtube_category,
            language=self.youtube_language,
            release_assets=self.github_release_assets,
            commit_status=self.github_commit_status,
        )
        return settings_for(key, defaults, self.overrides_path(data_dir))

    def youtube_config(self, data_dir: Path):
        from repo2video_dagster.lib.publish.youtube.quota import QuotaLimits, parse_costs
        from repo2video_dagster.lib.publish.youtube.service import YouTubeConfig

        try:
            costs = parse_costs(self.youtube_costs)
        except ValueError as err:
            raise UserError(f"{ENV_PREFIX}YOUTUBE_COSTS={self.youtube_costs!r}: {err}") from None
        return YouTubeConfig(
            token_file=self.token_file(data_dir),
            api_url=self.youtube_api_url,
            token_url=self.youtube_token_url,
            chunk_bytes=max(1, self.youtube_chunk_mb) * 1024 * 1024,
            limits=QuotaLimits(
                uploads_per_day=self.youtube_uploads_per_day,
                units_per_day=self.youtube_units_per_day,
                costs=costs,
                timezone=self.youtube_quota_timezone,
            ),
        )


RESOURCE_TYPES: dict[str, type[ConfigurableResource]] = {
    "storage": StorageResource,
    "source": SourceResource,
    "github": GitHubApiResource,
    "script_writer": ScriptWriterResource,
    "speech": SpeechResource,
    "render": RenderResource,
    "publish": PublishResource,
}


def default_resources() -> dict[str, ConfigurableResource]:
    """One of each resource, reading the environment now (code location, CLI, tools, tests).

    Every field is given explicitly, so the launchpad shows the values in force.
    """
    return {key: with_overrides(cls()) for key, cls in RESOURCE_TYPES.items()}


def with_overrides(resource: ConfigurableResource, **changes: object) -> ConfigurableResource:
    """A new resource of the same type with some fields changed.

    (pydantic's ``model_copy`` does not update the config Dagster re-instantiates
    resources from, so build a fresh instance.)
    """
    return type(resource)(**{**resource.model_dump(), **changes})


def output_settings(
    script_writer: ScriptWriterResource, speech: SpeechResource, render: RenderResource
) -> dict[str, str]:
    """The settings, besides the commit and the code, that change what a render produces.

    ``blog_post`` stores them in the manifest; ``repo2video render`` compares them to
    answer "cached" without running anything. (The formats are compared apart: a
    render of both formats serves a request for one.)
    """
    return {
        "writer": script_writer.writer,
        "tts": speech.tts_engine,
        "asr": f"{speech.asr_engine}:{speech.asr_model}",
        "languages": speech.languages,
        "piper_voices": speech.piper_voices,
        "music": render.music,
        "encode": f"{render.preset}:crf{render.crf}",
    }
