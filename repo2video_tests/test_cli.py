"""The ``repo2video`` command as a user runs it: a real process, a real instance, real engines."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, RunsFilter

from repo2video_dagster.lib.render.media import video_info
from repo2video_dagster.receiver.app import create_app
from repo2video_dagster.receiver.event_storage import sqlite_url
from repo2video_dagster.receiver.eventlog import EventLog
from repo2video_dagster.run_tags import TAG_TRIGGER
from repo2video_devtools.reliability.repos import TINY_CODE, TINY_README
from repo2video_tests.loopback import http_json, serve_app
from repo2video_tests.repo_factory import head_sha, make_repo


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "repo2video_dagster.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPO2VIDEO_")}
    env.update(
        DAGSTER_HOME=str(root / "dagster_home"),
        REPO2VIDEO_DATA_DIR=str(root / "var"),
        PYTHONUNBUFFERED="1",
    )
    return env


def assert_one_clear_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    line = errors[0]
    for needle in needles:
        assert needle.lower() in line.lower(), line
    assert proc.stderr.strip().splitlines()[-1] == line
    return line


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("/definitely/not/here", "no such"),
        ("ext::sh -c touch% /tmp/pwned", "::"),
        ("http://github.com/owner/name", "https"),
        ("https://gitlab.example.com/owner/name", "not allowed"),
        ("https://user:secret@github.com/owner/name", "credentials"),
        ("ftp://github.com/owner/name", "ftp"),
    ],
)
def test_refused_targets_get_one_line(cli_env, target: str, needle: str) -> None:
    proc = run_cli(["render", "--", target], cli_env, timeout=60)
    line = assert_one_clear_error(proc, needle)
    assert "secret" not in line
    assert not Path("/tmp/pwned").exists()


def test_unreachable_url_gets_one_line(cli_env) -> None:
    env = dict(cli_env, REPO2VIDEO_ALLOWED_HOSTS="github.com,unreachable.invalid")
    proc = run_cli(["render", "https://unreachable.invalid/owner/name"], env, timeout=120)
    assert_one_clear_error(proc, "unreachable.invalid")


def test_not_a_git_repo_and_no_commits(cli_env, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "README.md").write_text("# plain\n")
    assert_one_clear_error(
        run_cli(["render", str(plain)], cli_env, timeout=60), "not a git repository"
    )
    empty = make_repo(tmp_path / "empty")
    assert_one_clear_error(run_cli(["render", str(empty)], cli_env, timeout=60), "no commits")


def test_repo_without_readme_fails_in_dagster_with_the_same_line(cli_env, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "noreadme", {"main.py": "print('hi')\n"})
    proc = run_cli(["render", str(repo)], cli_env, timeout=300)
    line = assert_one_clear_error(proc, "readme")
    assert proc.returncode == 2
    assert "run " in line  # points at the Dagster run that failed with this message

    # GET /jobs/<run> answers the very line the terminal showed.
    match = re.fullmatch(r"error: (.+) \(run ([0-9a-f]{8}) in the Dagster UI\)", line)
    assert match, line
    reason, run_prefix = match.groups()
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        [run_id] = [
            r.dagster_run.run_id
            for r in instance.get_run_records(RunsFilter(tags={TAG_TRIGGER: "cli"}))
            if r.dagster_run.run_id.startswith(run_prefix)
        ]
        eventlog = EventLog(sqlite_url(tmp_path / "events.db"))
        try:
            with serve_app(create_app(eventlog=eventlog, secret="s", instance=instance)) as port:
                status, job = http_json(port, "GET", f"/jobs/{run_id}")
        finally:
            eventlog.close()
    assert status == 200 and job["status"] == "failure"
    assert job["error"] == reason


def test_binary_only_repo(cli_env, tmp_path: Path) -> None:
    blob = bytes(range(256)) * 64
    repo = make_repo(
        tmp_path / "binonly",
        {"README.md": "# binonly\n\nJust data.\n", "data.bin": blob, "img.png": blob},
    )
    proc = run_cli(["render", str(repo)], cli_env, timeout=300)
    assert_one_clear_error(proc, "no text")


def test_render_json_then_cached(cli_env, tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "wordle-solver",
        {"README.md": TINY_README, "wordle_solver/__init__.py": TINY_CODE},
    )
    out_dir = tmp_path / "out"
    proc = run_cli(
        ["render", str(repo), "--format", "reel", "--json", "--out", str(out_dir)], cli_env
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["commit"] == head_sha(repo)
    assert summary["cached"] is False
    assert set(summary["videos"]) == {"reel"}
    reel = Path(summary["videos"]["reel"])
    assert reel.parent == out_dir and reel.exists()
    info = video_info(reel)
    assert (info.width, info.height) == (1080, 1920)
    assert abs(info.duration_s - summary["duration_s"]) < 0.3
    for path in [
        summary["thumbnail"],
        summary["captions"]["srt"],
        summary["captions"]["vtt"],
        summary["blog_post"]["markdown"],
        summary["blog_post"]["html"],
    ]:
        assert Path(path).exists(), path

    started = time.monotonic()
    again = run_cli(["render", str(repo), "--format", "reel"], cli_env, timeout=60)
    took = time.monotonic() - started
    assert again.returncode == 0, again.stderr
    assert "cached" in again.stdout
    assert took < 10  # no Dagster run: the manifest answers

    # Output made by other code (an upgrade of repo2video) is not "cached": it renders again.
    manifest_path = next(Path(cli_env["REPO2VIDEO_DATA_DIR"]).rglob("manifest.json"))
    manifest = json.loads(manifest_path.read_text())
    assert manifest["settings"]["code"]
    manifest["settings"]["code"] = "made-by-an-older-version"
    manifest_path.write_text(json.dumps(manifest))
    upgraded = run_cli(["render", str(repo), "--format", "reel"], cli_env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "rendered" in upgraded.stdout and "cached" not in upgraded.stdout
    # progress output: one line per stage on stderr for a real (non-JSON) render
    for stage in ["repo_snapshot", "narration", "captions", "video", "blog_post"]:
        assert f"{stage} done in" in upgraded.stderr, upgraded.stderr

    # --force runs the job although the manifest would answer "cached"
    forced = run_cli(["render", str(repo), "--format", "reel", "--force", "--json"], cli_env)
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["cached"] is False


def test_help_is_useful() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "repo2video_dagster.cli", "render", "--help"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    for word in ["--format", "--json", "--force", "--out", "REPO2VIDEO_DATA_DIR", "examples"]:
        assert word in proc.stdout


def test_key_command() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "repo2video_dagster.cli",
            "key",
            "https://github.com/Pallets/Click.git",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == "pallets__click"


def test_the_summary_tells_failed_checks(capsys) -> None:
    from repo2video_dagster.cli import _print_outputs

    summary = {
        "repo": "octo/tool",
        "commit": "0123456789abcdef",
        "cached": False,
        "duration_s": 61.5,
        "videos": {"reel": "/v/reel.mp4"},
        "thumbnail": "/v/t.png",
        "captions": {"srt": "/v/c.srt", "vtt": "/v/c.vtt"},
        "blog_post": {"markdown": "/v/post.md", "html": "/v/index.html"},
        "site_index": "/v/site.html",
        "checks_failed": [
            {
                "asset": "captions",
                "check": "recognition_wer",
                "severity": "WARN",
                "description": "WER 17.4% > 15% (tiny.en)",
            }
        ],
    }
    _print_outputs(summary, as_json=False)
    text = capsys.readouterr().out
    assert "check      recognition_wer (captions) failed [warn]: WER 17.4% > 15% (tiny.en)" in text
    _print_outputs({**summary, "checks_failed": []}, as_json=False)
    assert "check " not in capsys.readouterr().out


def test_a_changed_music_or_encode_setting_is_not_cached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`repo2video render` answers "cached" only for output made with today's settings."""
    from repo2video_dagster.cli import _is_cached
    from repo2video_dagster.lib.core.reuse import source_version
    from repo2video_dagster.resources import default_resources, output_settings

    resources = default_resources()
    made = output_settings(resources["script_writer"], resources["speech"], resources["render"])
    videos = []
    for fmt in resources["render"].formats:
        (tmp_path / f"{fmt}.mp4").write_bytes(b"x")
        videos.append({"format": fmt, "path": str(tmp_path / f"{fmt}.mp4")})
    manifest = {"commit": "abc", "settings": {"code": source_version(), **made}, "videos": videos}
    assert made["music"] and made["encode"]
    assert _is_cached(manifest, "abc", default_resources())
    monkeypatch.setenv("REPO2VIDEO_MUSIC", "off")
    assert not _is_cached(manifest, "abc", default_resources())
    monkeypatch.delenv("REPO2VIDEO_MUSIC")
    monkeypatch.setenv("REPO2VIDEO_CRF", "30")
    assert not _is_cached(manifest, "abc", default_resources())
