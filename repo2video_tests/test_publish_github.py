"""Release assets and commit statuses against a loopback GitHub REST API + uploads
endpoint (repo2video_devtools/fakes/github.py), rate limits included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from repo2video_dagster.lib.publish.errors import PublishError, PublishServiceError
from repo2video_dagster.lib.publish.github import GitHubClient, commit_status
from repo2video_dagster.lib.publish.publication import github_step, publish_render
from repo2video_dagster.lib.publish.settings import PublishSettings
from repo2video_dagster.lib.publish.youtube.jobs import RenderFacts
from repo2video_devtools.fakes.github import FakeGitHub, serve_github

REPO = "acme/widget"
SHA = "c0ffee" + "0" * 34
NOW = 1_800_000_000.0


@pytest.fixture
def github() -> FakeGitHub:
    with serve_github(token="ghs_secret") as fake:
        fake.add_release(REPO, "v1.0")
        yield fake


def client(fake: FakeGitHub, sleeps: list[float], **kwargs) -> GitHubClient:
    return GitHubClient(
        api_url=fake.url, token="ghs_secret", sleep=sleeps.append, clock=lambda: NOW, **kwargs
    )


def facts(tmp_path: Path, content: bytes = b"") -> RenderFacts:
    files = {}
    for name in ("reel.mp4", "landscape.mp4", "captions.srt", "captions.vtt", "thumbnail.png"):
        files[name] = tmp_path / name
        if not files[name].exists() or content:
            files[name].write_bytes(
                content + os.urandom(64) if name == "reel.mp4" else name.encode()
            )
    return RenderFacts(
        key="acme__widget",
        title="t",
        description="d",
        tags=[],
        videos={"reel": files["reel.mp4"], "landscape": files["landscape.mp4"]},
        duration_s=30.0,
        chapters=[],
        thumbnail=files["thumbnail.png"],
        srt=files["captions.srt"],
        vtt=files["captions.vtt"],
        github_repo=REPO,
    )


def publish(fake, tmp_path, sleeps, render, *, event="release") -> dict:
    step = github_step(
        client(fake, sleeps),
        commit=SHA,
        event=event,
        ref="refs/tags/v1.0",
        page_url="https://videos.example.com/acme__widget/",
    )
    record = publish_render(
        render, PublishSettings(targets=("github",)), commit=SHA, work_dir=tmp_path, github=step
    )
    return record.github


def test_release_assets_are_attached_then_replaced_not_duplicated(github, tmp_path) -> None:
    sleeps: list[float] = []
    first = publish(github, tmp_path, sleeps, facts(tmp_path))
    names = sorted(a["name"] for a in github.state.releases[(REPO, "v1.0")]["assets"])
    assert names == [
        "widget-captions.srt",
        "widget-captions.vtt",
        "widget-landscape.mp4",
        "widget-reel.mp4",
        "widget-thumbnail.png",
    ]
    assert {a["action"] for a in first["release_assets"]} == {"uploaded"}
    assert first["release_url"] == "https://github.com/acme/widget/releases/tag/v1.0"
    content_types = {
        a["name"]: a["content_type"] for a in github.state.releases[(REPO, "v1.0")]["assets"]
    }
    assert (
        content_types["widget-reel.mp4"] == "video/mp4"
        and content_types["widget-captions.vtt"] == "text/vtt"
    )

    # A re-run of the same render uploads nothing; a new render of the reel replaces it.
    uploads = github.state.count("upload")
    again = publish(github, tmp_path, sleeps, facts(tmp_path))
    assert github.state.count("upload") == uploads
    assert {a["action"] for a in again["release_assets"]} == {"kept"}
    changed = publish(github, tmp_path, sleeps, facts(tmp_path, content=b"new render"))
    actions = {a["name"]: a["action"] for a in changed["release_assets"]}
    assert actions["widget-reel.mp4"] == "replaced" and github.state.deleted == ["widget-reel.mp4"]
    assert len(github.state.releases[(REPO, "v1.0")]["assets"]) == 5


def test_commit_status_links_to_the_video_page(github, tmp_path) -> None:
    result = publish(github, tmp_path, [], facts(tmp_path), event="push")
    assert "release_assets" not in result  # not a release event
    (status,) = github.state.statuses
    assert (
        status["sha"] == SHA and status["state"] == "success" and status["context"] == "repo2video"
    )
    assert status["target_url"] == "https://videos.example.com/acme__widget/"
    assert result["page_url"] == status["target_url"]


def test_rate_limits_are_waited_out_as_github_says(github) -> None:
    github.state.limits = [
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 30)}),
        (429, {"Retry-After": "7"}),
    ]
    github.state.failures = [502]
    sleeps: list[float] = []
    commit_status(client(github, sleeps), REPO, SHA, None, "rendered")
    assert sleeps == [31.0, 7.0, 1.0]  # until the reset (+1 s), Retry-After, backoff
    assert len(github.state.statuses) == 1

    github.state.limits = [
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 3600)})
    ]
    with pytest.raises(PublishServiceError, match="allowed in 3601 s"):
        commit_status(client(github, [], max_wait_s=300), REPO, SHA, None, "rendered")


def test_refusals_are_one_line_without_the_token(github, tmp_path) -> None:
    bad = GitHubClient(api_url=github.url, token="wrong-token", sleep=lambda s: None)
    with pytest.raises(PublishError) as err:
        commit_status(bad, REPO, SHA, None, "rendered")
    assert "HTTP 401" in str(err.value) and "Bad credentials" in str(err.value)
    assert "wrong-token" not in str(err.value)
    step = github_step(
        client(github, []), commit=SHA, event="release", ref="refs/tags/v9", page_url=None
    )
    with pytest.raises(PublishError, match="has no release 'v9'"):
        step(facts(tmp_path), PublishSettings(targets=("github",)))
