"""Open a :class:`YouTubePublisher` from configuration (credentials, client, store, ledger)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from repo2video_dagster.lib.publish.youtube.auth import GOOGLE_TOKEN_URL, load_credentials
from repo2video_dagster.lib.publish.youtube.client import (
    YOUTUBE_API_ROOT,
    authorized_http,
    build_youtube,
)
from repo2video_dagster.lib.publish.youtube.publisher import YouTubePublisher
from repo2video_dagster.lib.publish.youtube.quota import QuotaLedger, QuotaLimits, utc_now
from repo2video_dagster.lib.publish.youtube.store import UploadStore


@dataclass(frozen=True)
class YouTubeConfig:
    token_file: Path
    api_url: str = YOUTUBE_API_ROOT
    token_url: str = GOOGLE_TOKEN_URL
    chunk_bytes: int = 8 << 20
    timeout_s: float = 120.0
    limits: QuotaLimits = QuotaLimits()


def state_dir(data_dir: Path) -> Path:
    """Upload records and the quota ledger (not secrets: no tokens are stored here)."""
    return data_dir / "publish" / "youtube"


def open_publisher(
    config: YouTubeConfig, data_dir: Path, clock: Callable[[], datetime] = utc_now
) -> YouTubePublisher:
    credentials = load_credentials(config.token_file, config.token_url)
    http = authorized_http(credentials, config.timeout_s)
    root = state_dir(data_dir)
    return YouTubePublisher(
        build_youtube(http, config.api_url),
        http,
        UploadStore(root / "uploads"),
        QuotaLedger(root / "quota.json", config.limits, clock=clock),
        chunk_bytes=config.chunk_bytes,
    )


def quota_ledger(
    config: YouTubeConfig, data_dir: Path, clock: Callable[[], datetime] = utc_now
) -> QuotaLedger:
    return QuotaLedger(state_dir(data_dir) / "quota.json", config.limits, clock=clock)
