"""YouTube publication against a loopback YouTube (repo2video_devtools/fakes/youtube.py)
that speaks the Data API v3, the resumable upload protocol and the OAuth token
endpoint, with google-api-python-client and google-auth pointed at it.

What the server saw is what is asserted: which calls, which byte ranges, how many
bytes in all, how many ``videos.insert`` sessions.
"""

from __future__ import annotations

import hashlib
import os
import stat
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from repo2video_dagster.lib.publish.errors import PublishError, PublishServiceError
from repo2video_dagster.lib.publish.youtube import auth
from repo2video_dagster.lib.publish.youtube.client import authorized_http, build_youtube
from repo2video_dagster.lib.publish.youtube.metadata import VideoMetadata
from repo2video_dagster.lib.publish.youtube.publisher import (
    CaptionTrack,
    VideoJob,
    YouTubePublisher,
)
from repo2video_dagster.lib.publish.youtube.quota import QuotaLedger, QuotaLimits
from repo2video_dagster.lib.publish.youtube.store import UploadStore
from repo2video_dagster.lib.publish.youtube.upload import Backoff
from repo2video_devtools.fakes.youtube import Drop, FakeYouTube, serve_youtube

CHUNK = 256 * 1024
SIZE = 2 * 1024 * 1024 + 12345  # 9 chunks, the last one short
SRT = "1\n00:00:00,000 --> 00:00:02,000\nHello world\n"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def youtube(monkeypatch: pytest.MonkeyPatch) -> FakeYouTube:
    with serve_youtube() as fake:
        fake.add_client("client-1", "secret-1", refresh_token="refresh-1")
        monkeypatch.setenv(auth.ENV_CLIENT_ID, "client-1")
        monkeypatch.setenv(auth.ENV_CLIENT_SECRET, "secret-1")
        monkeypatch.setenv(auth.ENV_REFRESH_TOKEN, "refresh-1")
        yield fake


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    video = tmp_path / "landscape.mp4"
    video.write_bytes(os.urandom(SIZE))
    thumb = tmp_path / "thumbnail.png"
    thumb.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(5000))
    srt = tmp_path / "captions.srt"
    srt.write_text(SRT)
    return {"video": video, "thumb": thumb, "srt": srt, "data": tmp_path / "data"}


def publisher(
    fake: FakeYouTube,
    data: Path,
    *,
    clock: Clock | None = None,
    limits: QuotaLimits | None = None,
    attempts: int = 6,
    waits: list[float] | None = None,
) -> YouTubePublisher:
    """A publisher as a fresh process would build it: new credentials, client, store."""
    credentials = auth.load_credentials(data / "token.json", fake.token_url)
    http = authorized_http(credentials, timeout_s=10)
    ledger = QuotaLedger(
        data / "quota.json", limits or QuotaLimits(), **({"clock": clock} if clock else {})
    )

    def backoff() -> Backoff:
        b = Backoff(attempts=attempts, sleep=lambda s: None, rand=lambda: 0.0)
        if waits is not None:
            b.waits = waits
        return b

    return YouTubePublisher(
        build_youtube(http, fake.url),
        http,
        UploadStore(data / "youtube"),
        ledger,
        chunk_bytes=CHUNK,
        backoff_factory=backoff,
    )


def job(
    files: dict[str, Path], *, title: str = "owner/name in 60 seconds", playlist: str | None = None
) -> VideoJob:
    return VideoJob(
        key="owner__name",
        format="landscape",
        video_path=files["video"],
        metadata=VideoMetadata(title=title, description="What it is.", tags=["python", "dagster"]),
        thumbnail_path=files["thumb"],
        captions=(CaptionTrack("en", "English", files["srt"]),),
        playlist_id=playlist,
    )


def uploaded_sha(fake: FakeYouTube, video_id: str) -> str:
    return fake.state.videos[video_id]["fileDetails"]["sha256"]


def test_interrupted_upload_resumes_from_the_offset_the_server_confirms(youtube, files) -> None:
    # The connection breaks during the 4th chunk after the server kept 100,000 of its bytes.
    youtube.state.drop_chunks.append(Drop(skip=3, keep=100_000))
    result = publisher(youtube, files["data"]).publish(job(files))

    assert result.status == "published"
    calls = youtube.state.calls
    drop = next(i for i, c in enumerate(calls) if c["method"] == "upload.drop")
    assert calls[drop]["first"] == 3 * CHUNK
    status = calls[drop + 1]
    assert status["method"] == "upload.status" and status["held"] == 3 * CHUNK + 100_000
    resumed = calls[drop + 2]
    assert resumed["method"] == "upload.chunk" and resumed["first"] == 3 * CHUNK + 100_000
    assert youtube.state.count("videos.insert") == 1
    assert youtube.state.upload_bytes < 1.5 * SIZE
    assert (
        uploaded_sha(youtube, result.video_id)
        == hashlib.sha256(files["video"].read_bytes()).hexdigest()
    )


def test_a_new_process_resumes_the_stored_session(youtube, files) -> None:
    # Chunk attempts after the 5th keep breaking: the first process gives up (as a killed
    # daemon would), having stored the session; the next one asks the session and resumes.
    youtube.state.drop_chunks += [Drop(skip=5, keep=CHUNK // 2), Drop(keep=0), Drop(keep=0)]
    with pytest.raises(PublishServiceError):
        publisher(youtube, files["data"], attempts=2).publish(job(files))
    assert len(youtube.state.videos) == 0

    result = publisher(youtube, files["data"]).publish(job(files))
    assert result.status == "published" and result.steps[0] == "resume"
    assert youtube.state.count("videos.insert") == 1
    statuses = [c for c in youtube.state.calls if c["method"] == "upload.status"]
    assert statuses[-1]["held"] == 5 * CHUNK + CHUNK // 2
    assert youtube.state.upload_bytes < 1.5 * SIZE
    assert (
        uploaded_sha(youtube, result.video_id)
        == hashlib.sha256(files["video"].read_bytes()).hexdigest()
    )


def test_503s_are_retried_with_exponential_backoff(youtube, files) -> None:
    youtube.state.fail["videos.insert"] = [503, 503]
    youtube.state.fail["upload.chunk"] = [503]
    youtube.state.fail["captions.insert"] = [500]
    waits: list[float] = []
    result = publisher(youtube, files["data"], waits=waits).publish(job(files))

    assert result.status == "published"
    assert [c["status"] for c in youtube.state.calls if c["method"] == "videos.insert"] == [
        503,
        503,
        200,
    ]
    assert waits == [1.0, 2.0, 1.0, 1.0]  # 1 s, 2 s (insert); 1 s (chunk); 1 s (captions)
    assert len(youtube.state.videos) == 1 and len(youtube.state.captions) == 1


def test_quota_exceeded_defers_until_the_pacific_reset_then_publishes(youtube, files) -> None:
    clock = Clock(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))  # noon in Los Angeles
    youtube.state.quota_exhausted.add("videos.insert")
    first = publisher(youtube, files["data"], clock=clock).publish(job(files))
    assert first.status == "deferred"
    assert first.until == "2026-12-02T08:00:00+00:00"  # midnight PST
    assert "quotaExceeded" in first.reason

    # Later the same day: deferred from the ledger, without asking YouTube again.
    calls = len(youtube.state.calls)
    clock.now += timedelta(hours=6)
    assert publisher(youtube, files["data"], clock=clock).publish(job(files)).status == "deferred"
    assert len(youtube.state.calls) == calls

    youtube.state.quota_exhausted.clear()  # YouTube's reset
    clock.now = datetime(2026, 12, 2, 8, 1, tzinfo=UTC)
    later = publisher(youtube, files["data"], clock=clock).publish(job(files))
    assert later.status == "published" and len(youtube.state.videos) == 1


def test_the_ledger_defers_what_does_not_fit_todays_budget(youtube, files, tmp_path) -> None:
    clock = Clock(datetime(2026, 7, 1, 6, 30, tzinfo=UTC))  # 23:30 PDT
    limits = QuotaLimits(uploads_per_day=1)
    assert (
        publisher(youtube, files["data"], clock=clock, limits=limits).publish(job(files)).status
        == "published"
    )
    other = dict(files, video=tmp_path / "other.mp4")
    other["video"].write_bytes(os.urandom(CHUNK))
    deferred = publisher(youtube, files["data"], clock=clock, limits=limits).publish(job(other))
    assert deferred.status == "deferred" and deferred.until == "2026-07-01T07:00:00+00:00"  # PDT
    assert "videos.insert" in deferred.reason
    assert youtube.state.count("videos.insert") == 1

    units = QuotaLimits(units_per_day=300)  # the caption alone costs 400
    third = dict(files, video=tmp_path / "third.mp4")
    third["video"].write_bytes(os.urandom(CHUNK))
    assert (
        publisher(youtube, files["data"], clock=clock, limits=units).publish(job(third)).status
        == "deferred"
    )


def test_a_step_retried_after_the_video_was_created_uploads_nothing_again(youtube, files) -> None:
    # The last chunk is accepted and the video created, but the answer is lost.
    youtube.state.drop_chunks.append(Drop(skip=8, finalize=True))
    with pytest.raises(PublishServiceError):
        publisher(youtube, files["data"], attempts=1).publish(job(files))
    assert len(youtube.state.videos) == 1

    again = publisher(youtube, files["data"]).publish(job(files))
    assert again.status == "published" and again.steps[0] == "resume"
    assert youtube.state.count("videos.insert") == 1 and len(youtube.state.videos) == 1

    rerun = publisher(youtube, files["data"]).publish(job(files))
    assert rerun.steps == ["reuse"] and rerun.video_id == again.video_id

    changed = publisher(youtube, files["data"]).publish(job(files, title="A better title"))
    assert changed.steps == ["update"]
    assert youtube.state.videos[again.video_id]["snippet"]["title"] == "A better title"
    assert youtube.state.count("videos.insert") == 1


def test_captions_thumbnail_and_playlist_are_uploaded(youtube, files) -> None:
    result = publisher(youtube, files["data"]).publish(job(files, playlist="PL123"))
    video_id = result.video_id
    assert result.steps == ["insert", "thumbnail", "caption:en", "playlist"]
    assert youtube.state.thumbnails[video_id] == files["thumb"].read_bytes()
    (caption,) = youtube.state.captions
    assert caption["snippet"]["videoId"] == video_id and caption["snippet"]["language"] == "en"
    assert caption["track"] == SRT
    (item,) = youtube.state.playlist_items
    assert item["snippet"]["playlistId"] == "PL123"
    assert item["snippet"]["resourceId"]["videoId"] == video_id
    video = youtube.state.videos[video_id]
    assert video["status"]["privacyStatus"] == "private"
    assert video["snippet"]["categoryId"] == "28" and video["snippet"]["defaultLanguage"] == "en"


def test_a_revoked_refresh_token_is_one_line(youtube, files, monkeypatch) -> None:
    monkeypatch.setenv(auth.ENV_REFRESH_TOKEN, "revoked")
    with pytest.raises(PublishError) as err:
        publisher(youtube, files["data"]).publish(job(files))
    assert not isinstance(err.value, PublishServiceError)
    assert "refresh token" in str(err.value) and "repo2video youtube auth" in str(err.value)
    assert "revoked" not in str(err.value)  # the token itself is never shown


def test_the_consent_flow_stores_a_working_token_0600(youtube, files, monkeypatch) -> None:
    monkeypatch.delenv(auth.ENV_REFRESH_TOKEN)
    client = auth.oauth_client(files["data"] / "token.json", youtube.token_url, youtube.auth_url)
    flow = auth.consent(client)
    assert flow.url.startswith(youtube.auth_url + "?") and "access_type=offline" in flow.url

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:  # the browser's view: a redirect
        urllib.request.build_opener(NoRedirect).open(flow.url)
    redirected = answer.value.headers["Location"]
    code = auth.code_from(redirected, flow.state)
    tokens = auth.exchange(client, flow, code)
    path = auth.store_token(files["data"] / "token.json", client, tokens)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    result = publisher(youtube, files["data"]).publish(job(files))  # uses the stored token
    assert result.status == "published"
    with pytest.raises(PublishError, match="another consent attempt"):
        auth.code_from(redirected.replace(flow.state, "forged"), flow.state)
    with pytest.raises(PublishError, match="refused the code"):
        auth.exchange(client, flow, code)  # codes are single-use


def test_rate_limits_are_retried_and_a_refusal_is_one_line(youtube, files) -> None:
    youtube.state.fail["captions.insert"] = [(403, "userRateLimitExceeded")]
    youtube.state.fail["thumbnails.set"] = [(403, "forbidden")]
    with pytest.raises(PublishError) as err:
        publisher(youtube, files["data"]).publish(job(files))
    assert str(err.value) == "YouTube thumbnails.set answered HTTP 403 (forbidden)"
    assert not isinstance(err.value, PublishServiceError)
    result = publisher(youtube, files["data"]).publish(job(files))  # the next attempt
    assert result.steps == ["reuse", "thumbnail", "caption:en"]
    assert [c["status"] for c in youtube.state.calls if c["method"] == "captions.insert"] == [
        403,
        200,
    ]
    assert youtube.state.count("videos.insert") == 1
