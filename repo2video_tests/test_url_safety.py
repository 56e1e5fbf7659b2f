"""URLs and subprocesses: what may be fetched, and how every process is started.

Already proven in test_gitsource.py (not repeated here): key derivation for
allowed URLs (test_keys_for_remote_targets), refusals of ext::/fd::, option
injection, http/ftp/git schemes, disallowed hosts and ports, local paths and
file:// while disabled, ssh while disabled, queries, spaces and control
characters, all before any subprocess or DNS lookup
(test_refusals_are_one_line_with_advice_and_run_nothing); credentials
(test_credentials_in_urls_are_refused_without_echoing_them); internal addresses
(test_hosts_resolving_to_internal_addresses_are_refused); a scrubbed git
environment with GIT_TERMINAL_PROMPT=0 (test_git_env_is_built_from_scratch);
timeouts that kill git's process group (test_clone_timeout,
test_run_git_timeout_kills_git); a forged source cannot use a disallowed transport
(test_forged_source_cannot_use_a_disallowed_transport). test_pinning.py proves that
git connects to the address that was checked and that redirects are checked too.

This file adds: the runner's URL cases, what *is* allowed (https, ssh when enabled,
local and file:// when enabled), look-alike hosts, an audit of every process a real
clone starts, a source scan for shell use, hostile repository URLs in webhook
payloads, and a forged partition target at the asset level.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from repo2video_dagster.lib.core.errors import SourceError
from repo2video_dagster.lib.source.checkout import clone_snapshot
from repo2video_dagster.lib.source.git import git_config_args
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.profile import build_profile
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_dagster.receiver.webhooks import classify_event
from repo2video_devtools.reliability import hostile, repos
from repo2video_devtools.reliability.checks import audit, network_calls, process_starts

PACKAGE = Path(__file__).resolve().parents[1] / "repo2video_dagster"


@pytest.mark.parametrize("case", hostile.URL_CASES, ids=[c[0] for c in hostile.URL_CASES])
def test_hostile_targets_are_refused_before_any_process_or_lookup(case) -> None:
    result = hostile.url_case(*case)
    assert result.outcome == "error", result.line()
    assert "R2V-PASSWORD" not in result.detail and "R2VTOKEN" not in result.detail


@pytest.mark.parametrize(
    "target",
    [
        "https://gіthub.com/o/n",  # Cyrillic "і"
        "https://xn--gthub-n4a.com/o/n",
        "https://github.com.evil.example/o/n",
        "https://evil.example\\@github.com/o/n",
        "https://github.com/o/%2D%2Dupload-pack=x",
        "https://github.com/o/n%00",
        "https://[::1]/o/n",
        "https://0x7f000001/o/n",
    ],
)
def test_look_alike_and_encoded_targets_are_refused(target: str) -> None:
    with audit() as events, pytest.raises(SourceError) as info:
        parse_target(target, SourcePolicy())
    assert process_starts(events) == [] and network_calls(events) == []
    assert "\n" not in str(info.value)


def test_allowed_targets() -> None:
    source = parse_target("https://github.com/Owner/Name", SourcePolicy())
    assert (source.kind, source.url) == ("github", "https://github.com/Owner/Name.git")
    ssh = SourcePolicy(allow_ssh=True)
    for target in ("git@github.com:Owner/Name.git", "ssh://git@github.com/Owner/Name"):
        source = parse_target(target, ssh)
        assert source.url == "ssh://git@github.com/Owner/Name.git"
    other = SourcePolicy(allowed_hosts=("github.com", "git.example.org"))
    source = parse_target("https://git.example.org/team/tool.git", other)
    assert (source.kind, source.url) == ("git", "https://git.example.org/team/tool.git")


def test_local_paths_and_file_urls_only_when_enabled(tmp_path: Path) -> None:
    repo = repos.make_repo(tmp_path / "proj", {"README.md": "# p\n"})
    for target in (str(repo), repo.as_uri()):
        with pytest.raises(SourceError, match="REPO2VIDEO_ALLOW_LOCAL=1"):
            parse_target(target, SourcePolicy())
        source = parse_target(target, SourcePolicy(allow_local=True))
        assert (source.kind, source.url) == ("local", str(repo))
    with pytest.raises(SourceError, match="remote machine"):
        parse_target("file://evil.example.com/etc", SourcePolicy(allow_local=True))


def test_git_config_allows_only_the_policys_protocols() -> None:
    def config(*args, **kw) -> dict[str, str]:
        pairs = git_config_args(*args, **kw)[1::2]
        return dict(p.split("=", 1) for p in pairs)

    remote = config(SourcePolicy())
    assert remote["protocol.allow"] == "never" and remote["protocol.https.allow"] == "always"
    assert "protocol.file.allow" not in remote and "protocol.ssh.allow" not in remote
    assert config(SourcePolicy(allow_ssh=True))["protocol.ssh.allow"] == "always"
    local = config(SourcePolicy(allow_local=True), local=True)
    assert local["protocol.file.allow"] == "always" and "protocol.https.allow" not in local
    offline = config(SourcePolicy(allow_ssh=True), offline=True)
    assert not [k for k, v in offline.items() if k.startswith("protocol.") and v == "always"]
    for cfg in (remote, local, offline):
        assert cfg["core.hooksPath"] == os.devnull and cfg["credential.helper"] == ""
        assert cfg["core.fsmonitor"] == "false" and cfg["core.symlinks"] == "false"
        assert cfg["http.followRedirects"] == "false"  # redirects are checked before git runs
    pin = "git.example.org:443:203.0.113.7"
    assert config(SourcePolicy(), pins=[pin])["http.curloptResolve"] == pin
    assert "http.curloptResolve" not in config(SourcePolicy(), offline=True, pins=[pin])


def test_every_process_of_a_real_clone_is_git_with_an_argument_list(tmp_path: Path) -> None:
    repo = repos.tiny_repo(tmp_path / "tiny")
    policy = SourcePolicy(allow_local=True)
    with audit() as events:
        snapshot = clone_snapshot(parse_target(str(repo), policy), tmp_path / "ws", policy)
        build_profile(snapshot)
    started = process_starts(events)
    assert len(started) >= 5  # ls-remote, clone, ls-tree, checkout, rev-parse, log ...
    for executable, args, _cwd, env in started:
        assert isinstance(args, list | tuple), args  # never a shell string
        assert os.path.basename(os.fsdecode(executable or args[0])) == "git"
        assert list(args[1:3]) == ["-c", "protocol.allow=never"]
        assert env["GIT_TERMINAL_PROMPT"] == "0" and env["GIT_ASKPASS"] == ""
        assert env["GIT_CONFIG_NOSYSTEM"] == "1" and os.listdir(env["HOME"]) == []
        assert "GIT_DIR" not in env and "SSH_AUTH_SOCK" not in env
    assert network_calls(events) == []


# ---------------------------------------------------------------------- source scan

_SHELL_FUNCS = {
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
    ("asyncio", "create_subprocess_shell"),
}
_SPAWN_FUNCS = {"run", "Popen", "call", "check_call", "check_output"}


def _shell_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        where = f"{path}:{node.lineno}"
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if (func.value.id, func.attr) in _SHELL_FUNCS:
                found.append(f"{where} {func.value.id}.{func.attr}")
            if func.value.id == "subprocess" and func.attr in _SPAWN_FUNCS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant | ast.JoinedStr | ast.BinOp):
                    found.append(f"{where} subprocess.{func.attr} with a command string")
        for kw in node.keywords:
            if kw.arg == "shell" and not (
                isinstance(kw.value, ast.Constant) and kw.value.value is False
            ):
                found.append(f"{where} shell={ast.unparse(kw.value)}")
    return found


def test_no_code_path_uses_a_shell() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30
    found = [hit for path in files for hit in _shell_uses(path)]
    assert found == []


def test_the_scan_finds_shell_uses(tmp_path: Path) -> None:
    """The scanner itself can fail: it flags each forbidden form."""
    bad = tmp_path / "probe.py"
    bad.write_text(
        "import os, subprocess\n"
        "os.system('ls')\n"
        "subprocess.run('ls -l', shell=True)\n"
        "subprocess.Popen(f'git {x}')\n"
        "subprocess.check_output(['git'], shell=flag)\n",
        encoding="utf-8",
    )
    assert len(_shell_uses(bad)) == 5


# ---------------------------------------------------------------------- other entry points


@pytest.mark.parametrize(
    "html_url",
    [
        "ext::sh -c touch% /tmp/r2v-pwned",
        "--upload-pack=touch /tmp/r2v-pwned",
        "file:///etc",
        "/etc",
        "https://user:R2V-PASSWORD@github.com/o/n",
        "https://evil.example.com/o/n",
        "http://github.com/o/n",
    ],
)
def test_hostile_repository_urls_in_webhooks_are_ignored_with_a_reason(html_url: str) -> None:
    payload = {
        "action": "created",
        "repository": {"full_name": "o/n", "html_url": html_url, "private": False},
        "sender": {"login": "mallory"},
    }
    with audit() as events:
        result = classify_event("star", payload, policy=SourcePolicy())
    assert not result.accepted and result.partition_key is None
    assert result.reason.startswith("repository refused:") and "\n" not in result.reason
    assert "R2V-PASSWORD" not in result.reason
    assert process_starts(events) == [] and network_calls(events) == []


def test_forged_partition_target_fails_the_run_without_running_git(tmp_path: Path) -> None:
    """The registry file is on disk; a tampered target is refused inside the asset too."""
    from dagster import AssetKey, DagsterInstance

    from repo2video_dagster.definitions import build_definitions
    from repo2video_dagster.lib.core.registry import SourceRegistry
    from repo2video_dagster.partitions import RENDER_JOB_NAME, REPOSITORIES_PARTITIONS_NAME
    from repo2video_devtools.reliability.render import INSTANCE_YAML, resources_for

    marker = tmp_path / "pwned"
    data_dir = tmp_path / "var"
    SourceRegistry(data_dir).put("forged__repo", f"ext::sh -c touch% {marker}")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    job = build_definitions(resources=resources_for(data_dir, ["reel"])).resolve_job_def(
        RENDER_JOB_NAME
    )
    with DagsterInstance.from_config(str(home)) as instance, audit() as events:
        instance.add_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME, ["forged__repo"])
        result = job.execute_in_process(
            instance=instance,
            partition_key="forged__repo",
            asset_selection=[AssetKey("repo_snapshot")],
            raise_on_error=False,
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert "transport" in description and "\n" not in description
    assert not [a for a in process_starts(events) if "git" in str(a[1])]
    assert not marker.exists()
