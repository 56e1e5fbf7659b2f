"""The publication as the daemon runs it: a real run of the ``publication`` asset with a
render's tags (a release event), against loopback YouTube and GitHub; then what
``/jobs`` and ``repo2video jobs`` show for that render.

The upstream stage records come from stand-in assets of the same keys, materialized
first into the same instance (so the real IO manager loads them), instead of a full
render (minutes on 2 cores)."""

from __future__ import annotations

import pytest
from dagster import AssetKey, asset, materialize

from repo2video_dagster.assets.publication import publication
from repo2video_dagster.lib.publish.youtube import auth
from repo2video_dagster.partitions import REPOSITORIES_PARTITIONS_NAME, repositories_partitions
from repo2video_dagster.receiver.job_publication import publication_lines, publication_of
from repo2video_dagster.receiver.jobs import format_job
from repo2video_dagster.resources import GitHubApiResource, PublishResource, StorageResource
from repo2video_dagster.run_tags import TAG_EVENT, TAG_REF, TAG_RENDER_RUN
from repo2video_devtools.fakes.github import serve_github
from repo2video_devtools.fakes.youtube import serve_youtube
from repo2video_tests.test_publication_asset import KEY, inputs


def stand_ins(values: dict) -> list:
    def make(name: str):
        @asset(name=name, partitions_def=repositories_partitions)
        def _stand_in():
            return values[name]

        return _stand_in

    return [make(name) for name in values]


def test_a_release_render_is_published_and_its_job_says_where(
    instance, tmp_path, monkeypatch
) -> None:
    instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, [KEY])
    upstream = stand_ins(inputs(tmp_path))
    assert materialize(upstream, partition_key=KEY, instance=instance).success

    with serve_youtube() as youtube, serve_github(token="ghs_x") as github:
        youtube.add_client("cid", "cs", refresh_token="rt")
        monkeypatch.setenv(auth.ENV_CLIENT_ID, "cid")
        monkeypatch.setenv(auth.ENV_CLIENT_SECRET, "cs")
        monkeypatch.setenv(auth.ENV_REFRESH_TOKEN, "rt")
        monkeypatch.setenv("GITHUB_TOKEN", "ghs_x")
        github.add_release("acme/widget", "v1.0")
        resources = {
            "storage": StorageResource(data_dir=str(tmp_path / "data")),
            "publish": PublishResource(
                targets=["youtube", "github"],
                youtube_api_url=youtube.url,
                youtube_token_url=youtube.token_url,
                site_url="https://videos.example.com",
            ),
            "github": GitHubApiResource(base_url=github.url),
        }
        tags = {TAG_RENDER_RUN: "render-1", TAG_EVENT: "release", TAG_REF: "refs/tags/v1.0"}
        result = materialize(
            [*upstream, publication],
            selection=[AssetKey("publication")],
            partition_key=KEY,
            instance=instance,
            resources=resources,
            tags=tags,
        )
        assert result.success
        assets = github.state.releases[("acme/widget", "v1.0")]["assets"]
        assert sorted(a["name"] for a in assets) == [
            "widget-captions.srt",  # the render had no VTT
            "widget-landscape.mp4",
            "widget-reel.mp4",
            "widget-thumbnail.png",
        ]
        assert len(youtube.state.videos) == 2
        (status,) = github.state.statuses
        assert status["target_url"] == "https://videos.example.com/acme__widget/"

    shown = publication_of(instance, "render-1")
    assert shown["status"] == "published"
    assert shown["urls"]["release_url"] == "https://github.com/acme/widget/releases/tag/v1.0"
    assert shown["urls"]["youtube_landscape"].startswith("https://www.youtube.com/watch?v=")
    assert shown["urls"]["page_url"] == "https://videos.example.com/acme__widget/"
    text = format_job({"job_id": "d-1", "status": "success", "publication": shown})
    assert "\npublish:  published\n" in text
    assert "\n  release_url: https://github.com/acme/widget/releases/tag/v1.0" in text
    assert publication_of(instance, "another-render") is None


def test_a_failed_publication_shows_its_reason(instance, tmp_path, monkeypatch) -> None:
    instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, [KEY])
    upstream = stand_ins(inputs(tmp_path))
    assert materialize(upstream, partition_key=KEY, instance=instance).success
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("REPO2VIDEO_GITHUB_TOKEN", raising=False)
    result = materialize(
        [*upstream, publication],
        selection=[AssetKey("publication")],
        partition_key=KEY,
        instance=instance,
        resources={
            "storage": StorageResource(data_dir=str(tmp_path / "data")),
            "publish": PublishResource(targets=["github"]),
            "github": GitHubApiResource(),
        },
        tags={TAG_RENDER_RUN: "render-2"},
        raise_on_error=False,
    )
    assert not result.success
    shown = publication_of(instance, "render-2")
    assert shown["status"] == "failed"
    assert shown["reason"].startswith("publishing to GitHub needs GITHUB_TOKEN")
    assert publication_lines(shown)[0].startswith("publish:  failed: publishing to GitHub needs")


@pytest.fixture(autouse=True)
def _no_real_google(monkeypatch) -> None:
    for name in ("REPO2VIDEO_YOUTUBE_TOKEN_FILE", "REPO2VIDEO_PUBLISH"):
        monkeypatch.delenv(name, raising=False)


def test_repo2video_publish_runs_it_in_process_and_is_safe_to_repeat(
    tmp_path, monkeypatch, capsys
) -> None:
    from dagster import DagsterInstance

    from repo2video_dagster.cli import main

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REPO2VIDEO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REPO2VIDEO_PUBLISH", raising=False)
    assert main(["publish", KEY]) == 2
    assert "publishing is off" in capsys.readouterr().err

    assert (tmp_path / "home" / "dagster.yaml").is_file()  # made by the command, as for render
    with DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, [KEY])
        assert materialize(
            stand_ins(inputs(tmp_path)), partition_key=KEY, instance=instance
        ).success
    with serve_youtube() as youtube:
        youtube.add_client("cid", "cs", refresh_token="rt")
        for name, value in {
            auth.ENV_CLIENT_ID: "cid",
            auth.ENV_CLIENT_SECRET: "cs",
            auth.ENV_REFRESH_TOKEN: "rt",
            "REPO2VIDEO_PUBLISH": "youtube",
            "REPO2VIDEO_YOUTUBE_FORMATS": "landscape",
            "REPO2VIDEO_YOUTUBE_API_URL": youtube.url,
            "REPO2VIDEO_YOUTUBE_TOKEN_URL": youtube.token_url,
        }.items():
            monkeypatch.setenv(name, value)
        assert main(["publish", "nobody__nothing"]) == 2
        assert "has not been rendered here" in capsys.readouterr().err
        assert main(["publish", KEY]) == 0
        first = capsys.readouterr().out
        assert first.startswith(
            f"{KEY}: published\n  youtube_landscape: https://www.youtube.com/watch?v="
        )
        assert main(["publish", KEY]) == 0
        assert capsys.readouterr().out == first
        assert youtube.state.count("videos.insert") == 1
