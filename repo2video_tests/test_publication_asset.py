"""The ``publication`` asset, its after-render sensor and its deferred schedule, with a
loopback YouTube: off by default, published once, deferred with ``until``, re-requested
after the reset."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    SkipReason,
    build_asset_context,
    build_run_status_sensor_context,
    build_schedule_context,
)

from repo2video_dagster.assets.publication import publication
from repo2video_dagster.lib.core.records import (
    BlogPost,
    Captions,
    Chapter,
    RenderedVideo,
    RepoSnapshot,
    RepoSource,
    VideoFile,
    VideoScript,
)
from repo2video_dagster.lib.publish.record import read_publication
from repo2video_dagster.lib.publish.youtube import auth
from repo2video_dagster.partitions import RENDER_JOB_NAME, REPOSITORIES_PARTITIONS_NAME
from repo2video_dagster.resources import GitHubApiResource, PublishResource, StorageResource
from repo2video_dagster.run_tags import PARTITION_TAG, TAG_EVENT
from repo2video_dagster.sensors.publication import (
    deferred_publications,
    deferred_requests,
    publish_after_render,
)
from repo2video_devtools.fakes.youtube import FakeYouTube, serve_youtube

KEY = "acme__widget"


@pytest.fixture
def youtube(monkeypatch: pytest.MonkeyPatch) -> FakeYouTube:
    with serve_youtube() as fake:
        fake.add_client("cid", "csecret", refresh_token="rtoken")
        monkeypatch.setenv(auth.ENV_CLIENT_ID, "cid")
        monkeypatch.setenv(auth.ENV_CLIENT_SECRET, "csecret")
        monkeypatch.setenv(auth.ENV_REFRESH_TOKEN, "rtoken")
        yield fake


def inputs(tmp_path: Path) -> dict:
    media = tmp_path / "media"
    if not media.exists():  # the same render each time (new bytes would be a new video)
        media.mkdir()
        for name in ("landscape.mp4", "reel.mp4"):
            (media / name).write_bytes(os.urandom(300_000))
    (media / "thumb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    (media / "c.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHi\n")
    source = RepoSource(
        target="https://github.com/acme/widget",
        kind="github",
        url="https://github.com/acme/widget.git",
        key=KEY,
        name="widget",
        owner="acme",
    )
    return {
        "repo_snapshot": RepoSnapshot(
            source, str(tmp_path), "a" * 40, "main", "2026-12-01", 3, 100
        ),
        "video_script": VideoScript(
            "acme/widget <explained>", "A widget.", ["widgets"], [], "template"
        ),
        "video": RenderedVideo(
            videos=[
                VideoFile("landscape", str(media / "landscape.mp4"), 1920, 1080, 45.0, 300_000),
                VideoFile("reel", str(media / "reel.mp4"), 1080, 1920, 45.0, 300_000),
            ],
            thumbnail_path=str(media / "thumb.png"),
            chapters=[Chapter(0.0, "Intro"), Chapter(12.0, "Install"), Chapter(25.0, "Use")],
            duration_s=45.0,
        ),
        "captions": Captions([], str(media / "c.srt"), "", "", 0.0, 1.0, "e", "m", "cpu"),
        "blog_post": BlogPost("", "", "", "https://videos.example.com/acme__widget/"),
    }


def materialize(instance: DagsterInstance, data: Path, publish: PublishResource, tmp_path: Path):
    context = build_asset_context(partition_key=KEY, instance=instance)
    return publication(
        context,
        **inputs(tmp_path),
        storage=StorageResource(data_dir=str(data)),
        publish=publish,
        github=GitHubApiResource(),
    )


def test_off_unless_configured(instance, tmp_path, youtube) -> None:
    result = materialize(instance, tmp_path / "data", PublishResource(targets=[]), tmp_path)
    assert result.metadata["status"] == "off"
    assert youtube.state.calls == []


def test_published_once_then_reused(instance, tmp_path, youtube) -> None:
    data = tmp_path / "data"
    (data).mkdir()
    (data / "publish.json").write_text(
        json.dumps({KEY: {"privacy": "unlisted", "playlist": "PL9"}})
    )
    publish = PublishResource(
        targets=["youtube"], youtube_api_url=youtube.url, youtube_token_url=youtube.token_url
    )
    first = materialize(instance, data, publish, tmp_path)
    assert first.metadata["status"] == "published"
    assert first.metadata["youtube_reel"].url.startswith("https://www.youtube.com/shorts/")
    assert first.metadata["youtube_landscape"].url.startswith("https://www.youtube.com/watch?v=")
    videos = list(youtube.state.videos.values())
    assert {v["status"]["privacyStatus"] for v in videos} == {"unlisted"}
    landscape = next(v for v in videos if "#Shorts" not in v["snippet"]["title"])
    assert "00:00 Intro\n00:12 Install\n00:25 Use" in landscape["snippet"]["description"]
    assert "<" not in landscape["snippet"]["title"]
    assert len(youtube.state.thumbnails) == 1  # landscape only
    assert len(youtube.state.playlist_items) == 2

    second = materialize(instance, data, publish, tmp_path)
    assert second.metadata["status"] == "published"
    assert youtube.state.count("videos.insert") == 2  # one per format, none on the re-run
    record = read_publication(data / "output" / KEY)
    assert (
        record
        and record.status == "published"
        and set(record.urls()) == {"youtube_reel", "youtube_landscape"}
    )


def test_deferred_then_requested_after_the_reset(instance, tmp_path, youtube) -> None:
    data = tmp_path / "data"
    youtube.state.quota_exhausted.add("videos.insert")
    publish = PublishResource(
        targets=["youtube"], youtube_api_url=youtube.url, youtube_token_url=youtube.token_url
    )
    result = materialize(instance, data, publish, tmp_path)
    assert result.metadata["status"] == "deferred"
    until = datetime.fromisoformat(result.metadata["until"])
    assert until > datetime.now(UTC) and until.astimezone().tzinfo is not None

    instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, [KEY])
    context = build_schedule_context(instance=instance)
    storage = StorageResource(data_dir=str(data))
    assert deferred_requests(context, storage) == []  # not due yet
    with build_schedule_context(instance=instance, resources={"storage": storage}) as scheduled:
        assert isinstance(deferred_publications(scheduled), SkipReason)
    assert deferred_publications.execution_timezone == "America/Los_Angeles"
    assert deferred_publications.cron_schedule == "15 0 * * *"
    (request,) = deferred_requests(context, storage, now=until + timedelta(minutes=15))
    assert request.partition_key == KEY

    # The reset, as the ledger sees it: today's record becomes yesterday's.
    ledger = data / "publish" / "youtube" / "quota.json"
    state = json.loads(ledger.read_text())
    assert state["spent"] == ["uploads"]
    ledger.write_text(json.dumps({**state, "day": "2000-01-01"}))
    youtube.state.quota_exhausted.clear()
    assert materialize(instance, data, publish, tmp_path).metadata["status"] == "published"


def test_the_sensor_requests_a_publication_after_a_render(instance, tmp_path) -> None:
    from dagster import DagsterRun

    dagster_run = DagsterRun(
        job_name=RENDER_JOB_NAME,
        run_id="r1",
        status=DagsterRunStatus.SUCCESS,
        tags={PARTITION_TAG: KEY, TAG_EVENT: "release"},
    )
    event = _success_event(dagster_run)
    on = build_run_status_sensor_context(
        sensor_name="publish_after_render",
        dagster_instance=instance,
        dagster_run=dagster_run,
        dagster_event=event,
        resources={"publish": PublishResource(targets=["youtube"])},
    )
    request = publish_after_render(on)
    assert isinstance(request, RunRequest)
    assert request.partition_key == KEY and request.tags[TAG_EVENT] == "release"
    off = build_run_status_sensor_context(
        sensor_name="publish_after_render",
        dagster_instance=instance,
        dagster_run=dagster_run,
        dagster_event=event,
        resources={"publish": PublishResource(targets=[])},
    )
    assert isinstance(publish_after_render(off), SkipReason)


def _success_event(run):
    from dagster import DagsterEvent

    return DagsterEvent(
        event_type_value=DagsterEventType.RUN_SUCCESS.value, job_name=run.job_name, message="ok"
    )


def test_a_release_delivery_gives_its_render_run_the_tag_ref() -> None:
    from repo2video_dagster.receiver.event_records import EventRow
    from repo2video_dagster.run_tags import TAG_REF
    from repo2video_dagster.sensors.github_events import plan_tick

    row = EventRow(
        id=1,
        delivery_id="d-rel",
        event="release",
        action="published",
        repo_full_name="acme/widget",
        repo_url="https://github.com/acme/widget",
        partition_key=KEY,
        commit_sha="a" * 40,
        ref="refs/tags/v1.0",
        reason="release v1.0 published",
        summary={},
        received_at=0.0,
    )
    (request,), _ = plan_tick([row], {})
    assert request.tags[TAG_EVENT] == "release" and request.tags[TAG_REF] == "refs/tags/v1.0"
