"""Sources: key derivation, refusals before any subprocess/network, safe clones and limits."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from repo2video_dagster.lib.core.errors import (
    EmptyRepositoryError,
    RepositoryLimitError,
    SourceError,
    UserError,
    is_transient,
)
from repo2video_dagster.lib.core.records import RepoSource, to_jsonable
from repo2video_dagster.lib.source.addresses import check_host_addresses
from repo2video_dagster.lib.source.checkout import clone_into, clone_snapshot, remote_head
from repo2video_dagster.lib.source.git import (
    GitTimeoutError,
    git_env,
    git_error_reason,
    run_git,
)
from repo2video_dagster.lib.source.pinning import pin_remote
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.profile import build_profile
from repo2video_dagster.lib.source.targets import NoCommitsError, key_for, parse_target
from repo2video_tests.repo_factory import (
    GRACE,
    Commit,
    add_commit,
    git,
    head_sha,
    make_python_sample,
    make_repo,
)

# Every subprocess start and DNS lookup in this process is recorded while `_AUDIT`
# is on, so tests can prove that refusals happen before git or the network is used.
_AUDIT: list[str] = []
_RECORDING: list[bool] = []


def _audit_hook(event: str, args: tuple) -> None:
    if _RECORDING and event in ("subprocess.Popen", "os.system", "socket.getaddrinfo", "os.exec"):
        _AUDIT.append(event)


sys.addaudithook(_audit_hook)

KEY_RE = re.compile(r"^[a-z0-9._-]{1,100}$")
PUBLIC = "140.82.112.3"


def refuse(target: str, policy: SourcePolicy, resolver=None) -> UserError:
    """Refuse a target while parsing, or, with ``resolver`` playing DNS, where git would
    connect (:func:`pin_remote`); check it never started a process or looked up DNS."""
    _AUDIT.clear()
    _RECORDING.append(True)
    try:
        with pytest.raises(SourceError) as info:
            source = parse_target(target, policy)
            if resolver is not None:
                pin_remote(source, policy, 30, resolver=resolver)
    finally:
        _RECORDING.clear()
    assert _AUDIT == [], f"{target!r} started {_AUDIT} before being refused"
    message = str(info.value)
    assert "\n" not in message and message.strip() == message
    return info.value


# --------------------------------------------------------------------------- keys

OFFLINE = SourcePolicy(allowed_hosts=("github.com", "gitlab.com"), allow_ssh=True)


@pytest.mark.parametrize(
    ("target", "key", "kind", "url"),
    [
        (
            "https://github.com/Owner/Name",
            "owner__name",
            "github",
            "https://github.com/Owner/Name.git",
        ),
        (
            "https://github.com/Owner/Name.git",
            "owner__name",
            "github",
            "https://github.com/Owner/Name.git",
        ),
        (
            "https://github.com/Owner/Name/",
            "owner__name",
            "github",
            "https://github.com/Owner/Name.git",
        ),
        ("github.com/Owner/Name", "owner__name", "github", "https://github.com/Owner/Name.git"),
        (
            "https://www.github.com/Owner/Name",
            "owner__name",
            "github",
            "https://github.com/Owner/Name.git",
        ),
        (
            "  https://github.com/pallets/click.py  ",
            "pallets__click.py",
            "github",
            "https://github.com/pallets/click.py.git",
        ),
        (
            "git@github.com:Owner/Name.git",
            "owner__name",
            "github",
            "ssh://git@github.com/Owner/Name.git",
        ),
        (
            "ssh://git@github.com/Owner/Name",
            "owner__name",
            "github",
            "ssh://git@github.com/Owner/Name.git",
        ),
        (
            "https://gitlab.com/group/sub/proj.git",
            "gitlab.com__group__sub__proj",
            "git",
            "https://gitlab.com/group/sub/proj.git",
        ),
        (
            "gitlab.com/Group/Proj",
            "gitlab.com__group__proj",
            "git",
            "https://gitlab.com/Group/Proj",
        ),
    ],
)
def test_keys_for_remote_targets(target: str, key: str, kind: str, url: str) -> None:
    source = parse_target(target, OFFLINE)
    assert (source.key, source.kind, source.url) == (key, kind, url)
    assert key_for(target, OFFLINE) == key
    if kind == "github":
        assert (source.owner, source.name) == ("Owner", "Name") or source.owner == "pallets"
        assert source.web_url == f"https://github.com/{source.owner}/{source.name}"


@pytest.mark.parametrize(
    "target",
    [
        "https://github.com/o/a__b",
        "https://github.com/o/___",
        "https://gitlab.com/a+b/c~d",
        "https://gitlab.com/" + "/".join(["x" * 60] * 5),
        "https://github.com/" + "o" * 39 + "/" + "n" * 100,
    ],
)
def test_unusual_names_still_give_valid_keys(target: str) -> None:
    key = key_for(target, OFFLINE)
    assert KEY_RE.match(key), key
    assert key == key_for(target, OFFLINE)  # deterministic


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://github.com/o/a__b", "https://github.com/o/a_b"),
        ("https://gitlab.com/a+b/c", "https://gitlab.com/a-b/c"),
        ("https://gitlab.com/" + "x" * 120 + "1", "https://gitlab.com/" + "x" * 120 + "2"),
    ],
)
def test_folded_or_long_names_do_not_collide(one: str, other: str) -> None:
    assert key_for(one, OFFLINE) != key_for(other, OFFLINE)


def test_local_keys_use_the_real_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "My Project!", {"README.md": "# x\n"})
    policy = SourcePolicy(allow_local=True)
    real = os.path.realpath(repo)
    expected = f"local__my-project-{hashlib.sha256(real.encode()).hexdigest()[:8]}"
    link = tmp_path / "alias"
    link.symlink_to(repo)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for target in [
        str(repo),
        f"file://{quote(str(repo))}",
        "./My Project!",
        str(link),
        "~/My Project!",
    ]:
        source = parse_target(target, policy)
        assert source.key == expected and source.kind == "local"
        assert source.url == real and source.name == "My Project!"
    assert KEY_RE.match(expected)


def test_local_key_variants_without_spaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "proj", {"README.md": "# x\n"})
    policy = SourcePolicy(allow_local=True)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    keys = {
        parse_target(t, policy).key
        for t in [str(repo), "./proj", "proj", "~/proj", f"file://{repo}", f"{repo}/"]
    }
    assert len(keys) == 1
    other = make_repo(tmp_path / "elsewhere" / "proj", {"README.md": "# y\n"})
    assert parse_target(str(other), policy).key not in keys  # same name, different path


# --------------------------------------------------------------------------- refusals

DEFAULT = SourcePolicy()


@pytest.mark.parametrize(
    ("target", "expect"),
    [
        ("http://github.com/o/n", "https"),
        ("ftp://github.com/o/n", "not allowed"),
        ("git://github.com/o/n", "not allowed"),
        ("ext::sh", "transport"),
        ("fd::17", "transport"),
        ("ext::git-upload-pack%20/tmp", "transport"),
        ("-oProxyCommand=touch", "option"),
        ("--upload-pack=touch", "option"),
        ("https://github.com/-o/n", "option"),
        ("https://github.com/o/--upload-pack=x", "option"),
        ("https://evil.example.com/o/n", "REPO2VIDEO_ALLOWED_HOSTS"),
        ("https://github.com:8443/o/n", "not allowed"),
        ("/srv/repos/project", "REPO2VIDEO_ALLOW_LOCAL=1"),
        ("./project", "--allow-local"),
        ("file:///srv/repos/project", "REPO2VIDEO_ALLOW_LOCAL=1"),
        ("git@github.com:o/n.git", "REPO2VIDEO_ALLOW_SSH=1"),
        ("ssh://git@github.com/o/n", "REPO2VIDEO_ALLOW_SSH=1"),
        ("https://github.com/o/n/tree/main/src", "https://github.com/o/n"),
        ("https://github.com/o/n?tab=readme", "query"),
        ("https://github.com/o/n#readme", "fragment"),
        ("https://github.com/o", "owner/name"),
        ("https://github.com/o/n%2F..", "path part"),
        ("https://github.com/o/n x", "spaces"),
        ("github.com/o/n --upload-pack=x", "spaces"),
        ("https://github.com/o/n\n--upload-pack=x", "control"),
        ("", "URL"),
    ],
)
def test_refusals_are_one_line_with_advice_and_run_nothing(target: str, expect: str) -> None:
    err = refuse(target, DEFAULT)
    assert expect.lower() in str(err).lower()


def test_owner_slash_name_suggests_the_github_url() -> None:
    err = refuse("pallets/click", DEFAULT)
    assert "https://github.com/pallets/click" in str(err) and "REPO2VIDEO_ALLOW_LOCAL=1" in str(err)


def test_allowed_hosts_are_named_in_the_refusal() -> None:
    err = refuse(
        "https://bitbucket.org/o/n", SourcePolicy(allowed_hosts=("github.com", "gitlab.com"))
    )
    assert "github.com, gitlab.com" in str(err) and "REPO2VIDEO_ALLOWED_HOSTS" in str(err)


@pytest.mark.parametrize(
    ("target", "secret"),
    [
        ("https://user:hunter2@github.com/o/n", "hunter2"),
        ("https://ghp_abcdef123456@github.com/o/n", "ghp_abcdef123456"),
        ("https://x-access-token:gho_SECRET@github.com/o/n.git", "gho_SECRET"),
        ("ssh://git:hunter2@github.com/o/n", "hunter2"),
    ],
)
def test_credentials_in_urls_are_refused_without_echoing_them(target: str, secret: str) -> None:
    err = refuse(target, SourcePolicy(allow_ssh=True))
    assert "credentials" in str(err)
    assert secret not in str(err)


def test_ext_transport_target_creates_no_file(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    policy = SourcePolicy(allow_local=True, allow_ssh=True)
    for target in (
        f"ext::sh -c touch% {marker}",
        f"ext::touch%20{marker}",
        f"--upload-pack=touch {marker}",
    ):
        refuse(target, policy)
    assert not marker.exists()


def test_local_path_problems(tmp_path: Path) -> None:
    policy = SourcePolicy(allow_local=True)
    err = refuse(str(tmp_path / "missing"), policy)
    assert "no such directory" in str(err) and "Check the path" in str(err)
    (tmp_path / "file.txt").write_text("x")
    assert "not a directory" in str(refuse(str(tmp_path / "file.txt"), policy))
    (tmp_path / "plain").mkdir()
    err = refuse(str(tmp_path / "plain"), policy)
    assert "not a git repository" in str(err) and "git init" in str(err)
    repo = make_repo(tmp_path / "repo", {"src/a.py": "x = 1\n", "README.md": "# r\n"})
    err = refuse(str(repo / "src"), policy)
    assert "not a git repository" in str(err) and str(repo) in str(err)


def test_repository_without_commits_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "empty")
    policy = SourcePolicy(allow_local=True)
    err = refuse(str(repo), policy)
    assert isinstance(err, NoCommitsError) and isinstance(err, EmptyRepositoryError)
    assert "has no commits" in str(err) and "Commit at least one file" in str(err)
    # the same when the check is bypassed and git itself is asked
    forged = RepoSource(
        target=str(repo), kind="local", url=str(repo), key="local__empty", name="empty"
    )
    with pytest.raises(NoCommitsError):
        remote_head(forged, policy)
    with pytest.raises(NoCommitsError):
        clone_snapshot(forged, tmp_path / "ws", policy)
    assert not (tmp_path / "ws" / "local__empty").exists()


# --------------------------------------------------------------------------- DNS


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "127.0.0.1",
        "169.254.169.254",
        "192.168.1.5",
        "100.64.0.1",
        "::1",
        "::ffff:10.0.0.1",
        "fd00::1",
        "224.0.0.1",
        "0.0.0.0",
    ],
)
def test_hosts_resolving_to_internal_addresses_are_refused(address: str) -> None:
    err = refuse("https://github.com/o/n", DEFAULT, resolver=lambda host: [address])
    assert "internal address" in str(err) and "github.com" in str(err)


def test_any_internal_address_among_several_is_refused() -> None:
    refuse("https://github.com/o/n", DEFAULT, resolver=lambda host: [PUBLIC, "10.1.2.3"])


def test_public_address_is_allowed_and_resolver_sees_the_host() -> None:
    asked: list[str] = []

    def resolver(host: str) -> list[str]:
        asked.append(host)
        return [PUBLIC, "2606:50c0:8000::153"]

    addresses = check_host_addresses("github.com", resolver)
    assert addresses == sorted([PUBLIC, "2606:50c0:8000::153"]) and asked == ["github.com"]
    assert parse_target("https://github.com/Owner/Name", DEFAULT).key == "owner__name"


def test_allowed_private_networks_admit_only_the_listed_addresses() -> None:
    corp = ["10.0.0.0/8"]
    assert check_host_addresses("git.corp", lambda h: ["10.1.2.3"], allowed_networks=corp) == [
        "10.1.2.3"
    ]
    for address in ("169.254.169.254", "127.0.0.1", "192.168.1.5"):
        with pytest.raises(SourceError, match="REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS"):
            check_host_addresses("git.corp", lambda h, a=address: [a], allowed_networks=corp)


def test_unresolvable_host_is_reported_as_unreachable() -> None:
    def resolver(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    err = refuse("https://github.com/o/n", DEFAULT, resolver=resolver)
    assert str(err).startswith("cannot reach github.com")
    assert "Check the URL or your network" in str(err)
    assert is_transient(err)  # a DNS outage looks the same: the step tries again


def test_key_for_never_resolves() -> None:
    _AUDIT.clear()
    _RECORDING.append(True)
    try:
        assert key_for("https://github.com/o/n", DEFAULT) == "o__n"
    finally:
        _RECORDING.clear()
    assert _AUDIT == []


# --------------------------------------------------------------------------- policy & env


def test_policy_from_env() -> None:
    policy = SourcePolicy.from_env(
        {
            "REPO2VIDEO_ALLOWED_HOSTS": "GitHub.com, gitlab.example.org ,",
            "REPO2VIDEO_ALLOW_LOCAL": "1",
            "REPO2VIDEO_MAX_REPO_MB": "2",
            "REPO2VIDEO_MAX_FILES": "10",
            "REPO2VIDEO_CLONE_TIMEOUT_S": "2.5",
            "REPO2VIDEO_HISTORY_DEPTH": "0",
            "REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS": "10.20.0.0/16, 127.0.0.1,",
        },
        require_readme=False,
    )
    assert policy.allowed_hosts == ("github.com", "gitlab.example.org")
    assert policy.allow_local and not policy.allow_ssh and not policy.require_readme
    assert policy.allowed_private_networks == ("10.20.0.0/16", "127.0.0.1/32")
    assert (policy.max_repo_bytes, policy.max_files) == (2 * 1024**2, 10)
    assert (policy.clone_timeout_s, policy.history_depth) == (2.5, 0)
    with pytest.raises(UserError, match="REPO2VIDEO_MAX_FILES"):
        SourcePolicy.from_env({"REPO2VIDEO_MAX_FILES": "lots"})
    with pytest.raises(UserError, match="REPO2VIDEO_ALLOW_LOCAL"):
        SourcePolicy.from_env({"REPO2VIDEO_ALLOW_LOCAL": "maybe"})
    with pytest.raises(UserError, match="REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS"):
        SourcePolicy.from_env({"REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS": "intranet"})
    # the address check has no off switch (REPO2VIDEO_RESOLVE_DNS is gone)
    assert SourcePolicy.from_env({"REPO2VIDEO_RESOLVE_DNS": "0"}) == SourcePolicy()


def test_git_env_is_built_from_scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_ASKPASS", "/usr/bin/steal-credentials")
    monkeypatch.setenv("GIT_SSH_COMMAND", "ssh -i stolen")
    monkeypatch.setenv("GIT_DIR", "/elsewhere")
    monkeypatch.setenv("https_proxy", "http://proxy.internal:3128")
    env = git_env(SourcePolicy())
    assert env["GIT_ASKPASS"] == "" and env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_CONFIG_NOSYSTEM"] == "1" and "GIT_DIR" not in env
    assert "GIT_SSH_COMMAND" not in env
    assert env["https_proxy"] == "http://proxy.internal:3128"
    assert os.listdir(env["HOME"]) == []
    assert "BatchMode=yes" in git_env(SourcePolicy(allow_ssh=True))["GIT_SSH_COMMAND"]


# --------------------------------------------------------------------------- cloning

LOCAL = SourcePolicy(allow_local=True)


def _dirs(workspace: Path) -> list[str]:
    return sorted(p.name for p in workspace.iterdir() if not p.name.startswith("."))


def test_clone_of_local_repository(tmp_path: Path) -> None:
    src = make_python_sample(tmp_path / "tally")
    source = parse_target(str(src), LOCAL)
    assert remote_head(source, LOCAL) == head_sha(src)
    snap = clone_snapshot(source, tmp_path / "ws", LOCAL)
    checkout = Path(snap.checkout_dir)
    assert checkout == tmp_path / "ws" / source.key
    assert snap.commit == head_sha(src)
    assert snap.branch == "main"
    assert snap.commit_date == "2024-03-04T10:00:00+00:00"
    tracked = git(src, "ls-files").splitlines()
    assert snap.file_count == len(tracked)
    assert snap.size_bytes == sum((src / p).stat().st_size for p in tracked)
    assert snap.history_depth is None and snap.skipped == []
    assert (checkout / "tally" / "core.py").read_text() == (src / "tally" / "core.py").read_text()
    assert not (checkout / ".git" / "hooks").exists()  # no templates copied
    assert _dirs(tmp_path / "ws") == [source.key]


def test_checkout_is_reused_until_a_new_commit_appears(tmp_path: Path) -> None:
    src = make_repo(tmp_path / "src", {"README.md": "# one\n", "a.py": "x = 1\n"})
    source = parse_target(str(src), LOCAL)
    ws = tmp_path / "ws"
    first = clone_snapshot(source, ws, LOCAL)
    sentinel = Path(first.checkout_dir) / ".git" / "sentinel"
    sentinel.write_text("still here")
    again = clone_snapshot(source, ws, LOCAL)
    assert again.commit == first.commit and sentinel.exists()  # reused, not cloned
    assert (again.file_count, again.size_bytes) == (first.file_count, first.size_bytes)
    new = add_commit(src, {"b.py": "y = 2\n"}, "Add b", author=GRACE)
    third = clone_snapshot(source, ws, LOCAL)
    assert third.commit == new != first.commit
    assert not sentinel.exists() and (Path(third.checkout_dir) / "b.py").exists()
    assert third.checkout_dir == first.checkout_dir
    assert _dirs(ws) == [source.key]  # no .tmp-/.old- leftovers


def test_files_named_like_revisions_or_options_are_harmless(tmp_path: Path) -> None:
    files = {
        "README.md": "# odd\n",
        "HEAD": "not a ref\n",
        "--force": "x\n",
        "-n": "y\n",
        "main": "z\n",
    }
    src = make_repo(tmp_path / "src", files)
    snap = clone_snapshot(parse_target(str(src), LOCAL), tmp_path / "ws", LOCAL)
    assert snap.commit == head_sha(src) and snap.file_count == 5
    assert build_profile(snap).history.commits == 1


def test_leftovers_of_a_crashed_clone_are_removed(tmp_path: Path) -> None:
    src = make_repo(tmp_path / "src", {"README.md": "# one\n"})
    source = parse_target(str(src), LOCAL)
    ws = tmp_path / "ws"
    (ws / f"{source.key}.tmp-deadbeef" / "junk").mkdir(parents=True)
    clone_snapshot(source, ws, LOCAL)
    assert _dirs(ws) == [source.key]


def test_file_limit_refuses_and_removes_checkout(tmp_path: Path) -> None:
    src = make_python_sample(tmp_path / "tally")
    source = parse_target(str(src), LOCAL)
    tight = SourcePolicy(allow_local=True, max_files=3)
    with pytest.raises(RepositoryLimitError) as info:
        clone_snapshot(source, tmp_path / "ws", tight)
    assert "REPO2VIDEO_MAX_FILES" in str(info.value) and "\n" not in str(info.value)
    assert _dirs(tmp_path / "ws") == []


def test_size_limit_refuses_and_removes_checkout(tmp_path: Path) -> None:
    src = make_repo(tmp_path / "src", {"README.md": "# big\n", "data.txt": "x" * 50_000})
    source = parse_target(str(src), LOCAL)
    with pytest.raises(RepositoryLimitError) as info:
        clone_snapshot(
            source, tmp_path / "ws", SourcePolicy(allow_local=True, max_repo_bytes=10_000)
        )
    assert "REPO2VIDEO_MAX_REPO_MB" in str(info.value)
    assert not is_transient(info.value)  # a bigger repository will not get smaller
    assert _dirs(tmp_path / "ws") == []
    # an existing checkout is also checked against a stricter policy
    clone_snapshot(source, tmp_path / "ws", LOCAL)
    with pytest.raises(RepositoryLimitError):
        clone_snapshot(
            source, tmp_path / "ws", SourcePolicy(allow_local=True, max_repo_bytes=10_000)
        )


def test_clone_timeout(tmp_path: Path) -> None:
    src = make_repo(tmp_path / "src", {"README.md": "# slow\n"})
    source = parse_target(str(src), LOCAL)
    started = time.monotonic()
    with pytest.raises(RepositoryLimitError) as info:
        clone_snapshot(
            source, tmp_path / "ws", SourcePolicy(allow_local=True, clone_timeout_s=0.001)
        )
    assert time.monotonic() - started < 10
    assert "took longer than" in str(info.value) and "REPO2VIDEO_CLONE_TIMEOUT_S" in str(info.value)
    assert is_transient(info.value)  # usually a slow network: the step tries again
    assert _dirs(tmp_path / "ws") == []


def test_run_git_timeout_kills_git(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(GitTimeoutError):
        # git blocks opening a FIFO that nobody writes to
        run_git(["hash-object", "--", str(fifo)], tmp_path, LOCAL, 0.5, offline=True)
    assert time.monotonic() - started < 5
    # no reader is left on the FIFO: git was killed, not abandoned
    with pytest.raises(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def test_symlinks_become_plain_files_and_never_leak(tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text("TOP-SECRET-CONTENT\n")
    src = make_repo(
        tmp_path / "src",
        {
            "README.md": "# Linky\n\nA repository that contains symbolic links to outside files.\n",
            "main.py": "print('hi')\n",
        },
        symlinks={"secret.txt": str(outside), "passwd": "/etc/passwd", "up": "../outside"},
    )
    snap = clone_snapshot(parse_target(str(src), LOCAL), tmp_path / "ws", LOCAL)
    checkout = Path(snap.checkout_dir)
    for name, target in (
        ("secret.txt", str(outside)),
        ("passwd", "/etc/passwd"),
        ("up", "../outside"),
    ):
        path = checkout / name
        assert not path.is_symlink() and stat.S_ISREG(path.lstat().st_mode)
        assert path.read_text() == target
    assert any("symbolic link" in note for note in snap.skipped)
    profile = build_profile(snap)
    dumped = repr(to_jsonable(profile))
    assert "TOP-SECRET-CONTENT" not in dumped and "root:" not in dumped


def test_hooks_never_run(tmp_path: Path) -> None:
    src = make_repo(tmp_path / "src", {"README.md": "# hooks\n"})
    snap = clone_snapshot(parse_target(str(src), LOCAL), tmp_path / "ws", LOCAL)
    checkout = Path(snap.checkout_dir)
    marker = tmp_path / "hook-ran"
    hook = checkout / ".git" / "hooks" / "post-checkout"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    git(checkout, "checkout", "-q", "-b", "plain-git")  # control: plain git runs the hook
    assert marker.exists()
    marker.unlink()
    run_git(["checkout", "-q", "-b", "through-run-git"], checkout, LOCAL, 30, offline=True)
    assert not marker.exists()


def test_inherited_template_dir_and_hooks_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_repo(tmp_path / "src", {"README.md": "# t\n"})
    marker = tmp_path / "template-hook-ran"
    template = tmp_path / "template" / "hooks"
    template.mkdir(parents=True)
    (template / "post-checkout").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (template / "post-checkout").chmod(0o755)
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(tmp_path / "template"))
    # control: plain git with this environment runs the template's hook
    subprocess.run(
        ["git", "clone", "-q", str(src), str(tmp_path / "control")], check=True, capture_output=True
    )
    assert marker.exists()
    marker.unlink()
    clone_snapshot(parse_target(str(src), LOCAL), tmp_path / "ws", LOCAL)
    assert not marker.exists()


def test_forged_source_cannot_use_a_disallowed_transport(tmp_path: Path) -> None:
    src = make_repo(tmp_path / "src", {"README.md": "# x\n"})
    forged = RepoSource(target="forged", kind="git", url=f"file://{src}", key="forged", name="src")
    with pytest.raises(SourceError) as info:
        clone_snapshot(forged, tmp_path / "ws", LOCAL)
    assert "not allowed" in str(info.value) and "\n" not in str(info.value)
    assert _dirs(tmp_path / "ws") == []


def test_submodules_and_lfs_pointers_are_noted(tmp_path: Path) -> None:
    lfs = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 123456\n"
    src = make_repo(
        tmp_path / "src",
        {
            "README.md": "# sub\n",
            "assets/video.mp4": lfs,
            ".gitmodules": '[submodule "lib"]\n\tpath = lib\n\turl = https://github.com/o/lib\n',
        },
    )
    git(src, "update-index", "--add", "--cacheinfo", f"160000,{head_sha(src)},lib")
    git(src, "commit", "-q", "-m", "Add submodule")
    snap = clone_snapshot(parse_target(str(src), LOCAL), tmp_path / "ws", LOCAL)
    notes = " ".join(snap.skipped)
    assert "submodule(s) not fetched: lib" in notes
    assert "1 Git LFS pointer file(s)" in notes
    lib = Path(snap.checkout_dir, "lib")
    assert not lib.exists() or not any(lib.iterdir())


def test_shallow_blobless_strategy(tmp_path: Path) -> None:
    """The remote strategy (depth + blob:none), run against a local repository."""
    src = make_repo(
        tmp_path / "src",
        {
            "README.md": "# deep\n\nA project with a longer history than the clone depth.\n",
            "a.py": "x = 0\n",
        },
        commits=[Commit({"a.py": f"x = {i}\n"}, f"Change {i}", author=GRACE) for i in range(1, 5)],
    )
    git(src, "config", "uploadpack.allowFilter", "true")
    policy = SourcePolicy(allow_local=True, history_depth=2)
    source = parse_target(str(src), policy)
    snap = clone_into(source, tmp_path / "shallow", policy, time.monotonic() + 60, shallow=True)
    assert snap.history_depth == 2 and snap.commit == head_sha(src)
    assert (tmp_path / "shallow" / ".git" / "shallow").exists()
    assert (tmp_path / "shallow" / "a.py").read_text() == "x = 4\n"
    profile = build_profile(snap)  # git log runs offline: a lazy fetch would fail here
    assert profile.history.commits == 2 and profile.history.truncated
    assert any("lower bounds" in note for note in profile.notes)


def test_redaction_of_git_errors() -> None:
    line = git_error_reason(
        b"Cloning...\nfatal: unable to access 'https://user:tok3n@host/x/': 403\n"
    )
    assert "tok3n" not in line and line.startswith("unable to access")
