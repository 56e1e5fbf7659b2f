"""Clones connect to the address that was checked: real git, real HTTPS git servers on loopback.

Each server runs ``git http-backend`` behind TLS (``git_https.py``) under names
no system resolver knows (``*.repo2video.test``), so git can reach one only
through the address the product pinned. Resolvers are injected to play DNS:
one that answers differently the second time (rebinding), one that sends a
name to an internal address.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from repo2video_dagster.lib.core.errors import SourceError
from repo2video_dagster.lib.source.checkout import clone_snapshot, remote_head
from repo2video_dagster.lib.source.git import GitCommandError, run_git
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_devtools.reliability.checks import audit, process_starts
from repo2video_tests.git_https import (
    TEST_NAMES,
    GitServer,
    LoopbackCA,
    make_test_ca,
    serve_git,
    serve_proxy,
)
from repo2video_tests.repo_factory import head_sha, make_repo

NAME, OTHER, INTERNAL = TEST_NAMES
LOOPBACK = ("127.0.0.0/8",)


class Answers:
    """A resolver that gives ``answers[n]`` on the n-th lookup (the last one after that)."""

    def __init__(self, *answers: str) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        return [self.answers[min(len(self.asked), len(self.answers)) - 1]]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCA:
    return make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(autouse=True)
def trust_test_ca(ca: LoopbackCA, monkeypatch: pytest.MonkeyPatch) -> None:
    """git and the redirect probe trust the test CA; no proxy from the outside applies."""
    monkeypatch.setenv("GIT_SSL_CAINFO", str(ca.ca_file))
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


def _bare(root: Path, work: Path, title: str) -> str:
    """A bare ``root/a.git`` whose README names ``title``; returns its HEAD sha."""
    src = make_repo(work, {"README.md": f"# {title}\n\nServed by the {title} server.\n"})
    root.mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(root / "a.git")], check=True)
    return head_sha(src)


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Two server roots holding *different* repositories at the same path, ``/a.git``."""
    base = tmp_path_factory.mktemp("served")
    return {
        title: (base / title, _bare(base / title, base / f"{title}-src", title))
        for title in ("checked", "rebound")
    }


@pytest.fixture
def servers(roots, ca: LoopbackCA) -> Iterator[tuple[GitServer, GitServer]]:
    """The checked repository on 127.0.0.1:P and another one on 127.0.0.2:P (same port)."""
    for _attempt in range(20):
        with contextlib.ExitStack() as stack:
            first = stack.enter_context(serve_git(roots["checked"][0], ca, "127.0.0.1"))
            try:
                second = stack.enter_context(
                    serve_git(roots["rebound"][0], ca, "127.0.0.2", first.port)
                )
            except OSError:  # the port is taken on 127.0.0.2; try another pair
                continue
            yield first, second
            return
    pytest.fail("no port free on both 127.0.0.1 and 127.0.0.2")


def _policy(port: int, *hosts: str, networks: tuple[str, ...] = LOOPBACK) -> SourcePolicy:
    names = hosts or (NAME,)
    return SourcePolicy(
        allowed_hosts=tuple(f"{h}:{port}" for h in names), allowed_private_networks=networks
    )


def _source(port: int, policy: SourcePolicy, path: str = "a.git"):
    return parse_target(f"https://{NAME}:{port}/{path}", policy)


def _posts(server: GitServer) -> list[str]:
    return [r for r in server.requests if r.startswith("POST ")]


def _one_line(err: BaseException) -> str:
    message = str(err)
    assert "\n" not in message and message == message.strip()
    return message


# --------------------------------------------------------------------------- pinning


def test_git_connects_to_the_address_that_was_checked(tmp_path: Path, roots, servers) -> None:
    """DNS rebinding: the second answer points elsewhere; git still reaches the checked one."""
    checked, rebound = servers
    policy = _policy(checked.port)
    source = _source(checked.port, policy)
    resolver = Answers("127.0.0.1", "127.0.0.2")
    snapshot = clone_snapshot(source, tmp_path / "ws", policy, resolver=resolver)
    assert snapshot.commit == roots["checked"][1] != roots["rebound"][1]
    assert resolver.asked == [NAME]  # one lookup serves the probe, ls-remote and the clone
    assert len(_posts(checked)) >= 2 and rebound.requests == []

    head = remote_head(source, policy, resolver=Answers("127.0.0.1", "127.0.0.2"))
    assert head == roots["checked"][1] and rebound.requests == []


def test_git_reaches_a_name_only_through_the_pin(tmp_path: Path, roots, servers) -> None:
    checked, _ = servers
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo(NAME, checked.port)
    policy = _policy(checked.port)
    url = f"https://{NAME}:{checked.port}/a.git"
    with pytest.raises(GitCommandError, match="(?i)resolve"):  # git on its own cannot
        run_git(["ls-remote", "--", url, "HEAD"], tmp_path, policy, 60)
    snapshot = clone_snapshot(
        _source(checked.port, policy), tmp_path / "ws", policy, resolver=Answers("127.0.0.1")
    )
    assert snapshot.commit == roots["checked"][1]
    assert (Path(snapshot.checkout_dir) / "README.md").read_text().startswith("# checked")
    # ls-remote, the blobless clone and the checkout's lazy blob fetch all went out pinned
    assert len(_posts(checked)) >= 3


def test_a_name_resolving_to_loopback_is_refused_by_default(tmp_path: Path, servers) -> None:
    checked, _ = servers
    policy = _policy(checked.port, networks=())
    source = _source(checked.port, policy)
    with audit() as events, pytest.raises(SourceError) as info:
        clone_snapshot(source, tmp_path / "ws", policy, resolver=Answers("127.0.0.1"))
    message = _one_line(info.value)
    assert f"{NAME} resolves to 127.0.0.1, an internal address" in message
    assert "REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS" in message
    assert process_starts(events) == [] and checked.requests == []
    with pytest.raises(SourceError, match="internal address"):
        remote_head(source, policy, resolver=Answers("127.0.0.1"))
    assert checked.requests == []


def test_allowed_networks_admit_only_what_they_list(tmp_path: Path, servers) -> None:
    checked, _ = servers
    policy = _policy(checked.port, networks=("127.0.0.2/32",))
    with pytest.raises(SourceError, match="127.0.0.1, an internal address"):
        remote_head(_source(checked.port, policy), policy, resolver=Answers("127.0.0.1"))
    assert checked.requests == []


def test_an_ipv6_address_is_pinned_too(tmp_path: Path, roots, ca: LoopbackCA) -> None:
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with serve_git(roots["checked"][0], ca, "::1") as server:
        policy = _policy(server.port, networks=("::1/128",))
        snapshot = clone_snapshot(
            _source(server.port, policy), tmp_path / "ws", policy, resolver=Answers("::1")
        )
    assert snapshot.commit == roots["checked"][1] and _posts(server)


@pytest.mark.parametrize("case", ["an untrusted CA", "a name the certificate lacks"])
def test_the_pinned_connection_still_checks_the_certificate(
    tmp_path: Path, servers, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """Connecting to an address does not mean trusting it: TLS is checked against the name."""
    checked, _ = servers
    name = NAME
    if case == "an untrusted CA":
        monkeypatch.delenv("GIT_SSL_CAINFO")
    else:
        name = "uncertified.repo2video.test"
    policy = SourcePolicy(
        allowed_hosts=(f"{name}:{checked.port}",), allowed_private_networks=LOOPBACK
    )
    source = parse_target(f"https://{name}:{checked.port}/a.git", policy)
    with audit() as events, pytest.raises(SourceError) as info:
        clone_snapshot(source, tmp_path / "ws", policy, resolver=Answers("127.0.0.1"))
    message = _one_line(info.value)
    assert message.startswith(f"cannot reach {name}: certificate verify failed"), message
    assert process_starts(events) == [] and checked.requests == []


# --------------------------------------------------------------------------- redirects


def test_a_same_host_redirect_is_followed(tmp_path: Path, roots, servers) -> None:
    """Like GitHub's 301 after a rename: git is handed the new URL, pinned."""
    checked, _ = servers
    checked.redirects["/old-name.git"] = f"https://{NAME}:{checked.port}/a.git"
    policy = _policy(checked.port)
    source = _source(checked.port, policy, "old-name.git")
    snapshot = clone_snapshot(source, tmp_path / "ws", policy, resolver=Answers("127.0.0.1"))
    assert snapshot.commit == roots["checked"][1]
    assert checked.requests[0].startswith("GET /old-name.git/info/refs")
    assert _posts(checked) and all(r.startswith("POST /a.git/") for r in _posts(checked))


@pytest.mark.parametrize(
    ("case", "needles"),
    [
        ("another host", ["redirects to", f"{OTHER}:", "not allowed", "REPO2VIDEO_ALLOWED_HOSTS"]),
        ("an internal address", ["redirects to", "169.254.169.254, an internal address"]),
        ("plain http", ["redirects to", "not https"]),
    ],
)
def test_redirects_off_the_allowed_hosts_and_addresses_are_refused(
    tmp_path: Path, servers, case: str, needles: list[str]
) -> None:
    checked, rebound = servers
    port = checked.port
    target = {
        "another host": f"https://{OTHER}:{port}/a.git",
        "an internal address": f"https://{INTERNAL}:{port}/a.git",
        "plain http": f"http://{NAME}:{port}/a.git",
    }[case]
    checked.redirects["/moved.git"] = target
    policy = _policy(port, NAME, INTERNAL)  # INTERNAL is allowed as a host, not its address

    def resolver(host: str) -> list[str]:
        return {NAME: ["127.0.0.1"], OTHER: ["127.0.0.2"], INTERNAL: ["169.254.169.254"]}[host]

    with audit() as events, pytest.raises(SourceError) as info:
        clone_snapshot(
            _source(port, policy, "moved.git"), tmp_path / "ws", policy, resolver=resolver
        )
    message = _one_line(info.value)
    for needle in needles:
        assert needle in message, message
    assert process_starts(events) == []  # refused before git ran
    assert checked.requests == ["GET /moved.git/info/refs?service=git-upload-pack"]
    assert rebound.requests == []


# --------------------------------------------------------------------------- proxies


def test_behind_a_proxy_the_probe_and_git_go_through_its_tunnel(
    tmp_path: Path, roots, servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked, rebound = servers
    policy = _policy(checked.port)
    with serve_proxy({NAME: "127.0.0.1"}) as proxy:
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy.port}")
        snapshot = clone_snapshot(
            _source(checked.port, policy), tmp_path / "ws", policy, resolver=Answers("127.0.0.1")
        )
    assert snapshot.commit == roots["checked"][1]
    # Only tunnels to the repository's host count: while https_proxy is set, anything
    # else in this process that opens an https connection (a library's telemetry thread
    # was seen once) goes through the proxy too.
    ours = [t for t in proxy.tunnels if t.startswith(f"{NAME}:")]
    assert set(ours) == {f"{NAME}:{checked.port}"}
    # the server closes every connection after one answer: one tunnel per request, probe included
    assert len(ours) == len(checked.requests) and rebound.requests == []
