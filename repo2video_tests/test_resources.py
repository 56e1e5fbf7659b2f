"""Resource fields take their defaults from ``REPO2VIDEO_*`` variables, and the launchpad still wins."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from dagster import Definitions, asset, define_asset_job

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.resources import RenderResource, SourceResource, default_resources

DOCUMENTED = {
    "REPO2VIDEO_DATA_DIR": ("storage", "data_dir", "{tmp}/data", "{tmp}/data"),
    "REPO2VIDEO_ALLOWED_HOSTS": (
        "source",
        "allowed_hosts",
        "github.com, GitLab.example.org",
        ["github.com", "gitlab.example.org"],
    ),
    "REPO2VIDEO_ALLOW_LOCAL": ("source", "allow_local", "1", True),
    "REPO2VIDEO_ALLOW_SSH": ("source", "allow_ssh", "yes", True),
    "REPO2VIDEO_MAX_REPO_MB": ("source", "max_repo_bytes", "2", 2 * 1024**2),
    "REPO2VIDEO_MAX_FILES": ("source", "max_files", "10", 10),
    "REPO2VIDEO_CLONE_TIMEOUT_S": ("source", "clone_timeout_s", "2.5", 2.5),
    "REPO2VIDEO_HISTORY_DEPTH": ("source", "history_depth", "0", 0),
    "REPO2VIDEO_REQUIRE_README": ("source", "require_readme", "0", False),
    "REPO2VIDEO_WRITER": ("script_writer", "writer", "llm", "llm"),
    "REPO2VIDEO_LLM_BASE_URL": ("script_writer", "llm_base_url", "http://h/v1", "http://h/v1"),
    "REPO2VIDEO_LLM_MODEL": ("script_writer", "llm_model", "m", "m"),
    "REPO2VIDEO_LLM_TIMEOUT_S": ("script_writer", "llm_timeout_s", "5", 5.0),
    "REPO2VIDEO_TTS": ("speech", "tts_engine", "espeak", "espeak"),
    "REPO2VIDEO_ASR": ("speech", "asr_engine", "openai-whisper", "openai-whisper"),
    "REPO2VIDEO_ASR_MODEL": ("speech", "asr_model", "base", "base"),
    "REPO2VIDEO_ASR_DEVICE": ("speech", "asr_device", "cpu", "cpu"),
    "REPO2VIDEO_FORMATS": ("render", "formats", "reel", ["reel"]),
    "REPO2VIDEO_PRESET": ("render", "preset", "veryfast", "veryfast"),
    "REPO2VIDEO_CRF": ("render", "crf", "28", 28),
    "REPO2VIDEO_GITHUB_ENRICH": ("github", "enabled", "1", True),
    "REPO2VIDEO_GITHUB_API_URL": ("github", "base_url", "https://gh.example", "https://gh.example"),
    "REPO2VIDEO_PUBLISH": ("publish", "targets", "YouTube, github", ["youtube", "github"]),
    "REPO2VIDEO_PUBLISH_OVERRIDES": ("publish", "overrides_file", "/etc/p.json", "/etc/p.json"),
    "REPO2VIDEO_YOUTUBE_FORMATS": ("publish", "youtube_formats", "landscape", ["landscape"]),
    "REPO2VIDEO_YOUTUBE_PRIVACY": ("publish", "youtube_privacy", "unlisted", "unlisted"),
    "REPO2VIDEO_YOUTUBE_UPLOADS_PER_DAY": ("publish", "youtube_uploads_per_day", "6", 6),
    "REPO2VIDEO_YOUTUBE_QUOTA_TZ": ("publish", "youtube_quota_timezone", "UTC", "UTC"),
    "REPO2VIDEO_SITE_URL": (
        "publish",
        "site_url",
        "https://a.github.io/v",
        "https://a.github.io/v",
    ),
    "REPO2VIDEO_SITE_BRANCH": ("publish", "site_branch", "pages", "pages"),
}


def test_every_documented_variable_sets_its_field(tmp_path: Path, monkeypatch) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for variable, (_, _, raw, _) in DOCUMENTED.items():
        assert f"`{variable}`" in readme, variable
        monkeypatch.setenv(variable, raw.format(tmp=tmp_path))
    resources = default_resources()
    for variable, (key, field, _, value) in DOCUMENTED.items():
        expected = value.format(tmp=tmp_path) if isinstance(value, str) else value
        assert getattr(resources[key], field) == expected, variable


def test_defaults_without_the_environment(monkeypatch) -> None:
    for variable in DOCUMENTED:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(Path(__file__).parent)
    resources = default_resources()
    assert resources["storage"].data_dir == str(Path(__file__).parent / "var")
    assert resources["source"].policy() == SourcePolicy()
    assert resources["render"].formats == ["reel", "landscape"]
    assert (resources["speech"].tts_engine, resources["speech"].asr_model) == ("piper", "tiny.en")
    assert resources["script_writer"].writer == "template"


def test_source_resource_is_the_policy_by_the_same_names(monkeypatch) -> None:
    assert list(SourceResource.model_fields) == [f.name for f in dataclasses.fields(SourcePolicy)]
    monkeypatch.setenv("REPO2VIDEO_ALLOWED_HOSTS", "github.com,codeberg.org")
    monkeypatch.setenv("REPO2VIDEO_MAX_FILES", "7")
    assert SourceResource().policy() == SourcePolicy.from_env()
    assert SourceResource(max_files=3).policy() == SourcePolicy.from_env(max_files=3)


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("REPO2VIDEO_CRF", "high"),
        ("REPO2VIDEO_FORMATS", "gif"),
        ("REPO2VIDEO_GITHUB_ENRICH", "maybe"),
        ("REPO2VIDEO_MAX_FILES", "-1"),
    ],
)
def test_a_value_that_cannot_be_read_names_its_variable(monkeypatch, variable, raw) -> None:
    monkeypatch.setenv(variable, raw)
    with pytest.raises(UserError, match=variable):
        default_resources()


def test_the_launchpad_overrides_a_field_and_keeps_the_others(monkeypatch) -> None:
    monkeypatch.setenv("REPO2VIDEO_PRESET", "veryfast")
    monkeypatch.setenv("REPO2VIDEO_FORMATS", "reel")
    seen: list[tuple[str, list[str], int]] = []

    @asset
    def encoded(render: RenderResource) -> None:
        seen.append((render.preset, render.formats, render.crf))

    defs = Definitions(
        assets=[encoded],
        jobs=[define_asset_job("encode", [encoded])],
        resources={"render": default_resources()["render"]},
    )
    monkeypatch.setenv("REPO2VIDEO_PRESET", "slow")  # read when the resource was built, not now
    job = defs.resolve_job_def("encode")
    assert job.execute_in_process().success
    launchpad = {"resources": {"render": {"config": {"crf": 30}}}}
    assert job.execute_in_process(run_config=launchpad).success
    assert seen == [("veryfast", ["reel"], 23), ("veryfast", ["reel"], 30)]
