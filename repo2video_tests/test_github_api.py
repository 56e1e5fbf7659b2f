"""GitHub enrichment against a real HTTP server on 127.0.0.1 speaking the REST shape."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from repo2video_dagster.lib.core.records import GitHistory, RepoProfile
from repo2video_dagster.lib.source.github_api import GitHubApiError, GitHubClient, enrich_profile

TOKEN = "ghp_TESTTOKEN_0123456789"

REPO = {
    "full_name": "octo/tally",
    "description": "Count words fast",
    "homepage": "https://tally.example.org",
    "stargazers_count": 1234,
    "forks_count": 56,
    "topics": ["cli", "text"],
    "license": {"key": "mit", "spdx_id": "MIT"},
    "default_branch": "main",
}


class Api(BaseHTTPRequestHandler):
    """GET /repos/{owner}/{repo} with a few misbehaving repositories."""

    seen: list[dict[str, str]]
    other_port: int = 0

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        path = self.path
        try:
            if path == "/repos/octo/tally":
                self.send_json(200, REPO)
            elif path == "/repos/octo/bare":
                self.send_json(200, {"license": {"spdx_id": "NOASSERTION"}, "topics": None})
            elif path == "/repos/octo/limited":
                reset = str(int(time.time()) + 600)
                self.send_json(
                    403,
                    {"message": "API rate limit exceeded for 127.0.0.1."},
                    {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
                )
            elif path == "/repos/octo/echo":  # a server that reflects the credentials back
                self.send_json(500, {"message": f"bad auth {self.headers.get('Authorization')}"})
            elif path == "/repos/octo/slow":
                time.sleep(2.0)  # the point: a server slower than the client timeout
                self.send_json(200, REPO)
            elif path == "/repos/octo/html":
                data = b"<html>oops</html>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif path == "/repos/octo/moved":
                self.send_response(301)
                self.send_header("Location", f"http://localhost:{self.other_port}/repos/octo/tally")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_json(404, {"message": "Not Found"})
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass


@pytest.fixture
def servers() -> Iterator[tuple[str, list[dict[str, str]], list[dict[str, str]]]]:
    """Two servers: the API on 127.0.0.1 and another host (localhost) that redirects land on."""
    seen_api: list[dict[str, str]] = []
    seen_other: list[dict[str, str]] = []
    other = ThreadingHTTPServer(("127.0.0.1", 0), type("Other", (Api,), {"seen": seen_other}))
    api_handler = type("Main", (Api,), {"seen": seen_api, "other_port": other.server_address[1]})
    api = ThreadingHTTPServer(("127.0.0.1", 0), api_handler)
    for server in (api, other):
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{api.server_address[1]}", seen_api, seen_other
    finally:
        for server in (api, other):
            server.shutdown()
            server.server_close()


def test_repo_info_and_headers(servers) -> None:
    base, seen, _ = servers
    info = GitHubClient(base_url=base, token=TOKEN).repo_info("octo", "tally")
    assert info == {
        "stars": 1234,
        "forks": 56,
        "topics": ["cli", "text"],
        "description": "Count words fast",
        "homepage": "https://tally.example.org",
        "license": "MIT",
        "default_branch": "main",
    }
    request = seen[-1]
    assert request["path"] == "/repos/octo/tally"
    assert request["accept"] == "application/vnd.github+json"
    assert request["x-github-api-version"] == "2022-11-28"
    assert request["authorization"] == f"Bearer {TOKEN}"


def test_no_token_no_authorization_header(servers) -> None:
    base, seen, _ = servers
    info = GitHubClient(base_url=base).repo_info("octo", "bare")
    assert info["license"] is None and info["topics"] == [] and info["stars"] is None
    assert "authorization" not in seen[-1]


def test_not_found(servers) -> None:
    base, _, _ = servers
    with pytest.raises(GitHubApiError) as info:
        GitHubClient(base_url=base, token=TOKEN).repo_info("octo", "missing")
    assert info.value.status == 404 and "octo/missing not found" in str(info.value)
    assert not info.value.transient  # the repository will not appear by asking again


def test_rate_limit(servers) -> None:
    base, _, _ = servers
    with pytest.raises(GitHubApiError) as info:
        GitHubClient(base_url=base).repo_info("octo", "limited")
    assert info.value.status == 403
    assert "rate limit" in str(info.value) and "GITHUB_TOKEN" in str(info.value)
    assert " until " in str(info.value) and "UTC" in str(info.value)
    assert not info.value.transient  # no requests left until the reset: not worth a retry


def test_slow_answer_times_out(servers) -> None:
    base, _, _ = servers
    started = time.monotonic()
    with pytest.raises(GitHubApiError) as info:
        GitHubClient(base_url=base, token=TOKEN, timeout_s=0.3).repo_info("octo", "slow")
    assert time.monotonic() - started < 1.5
    assert "did not answer within 0.3 s" in str(info.value)
    assert info.value.transient


def test_token_never_appears_in_errors(servers) -> None:
    base, seen, _ = servers
    client = GitHubClient(base_url=base, token=TOKEN, timeout_s=0.3)
    messages = []
    for name in ("missing", "limited", "echo", "slow", "html"):
        with pytest.raises(GitHubApiError) as info:
            client.repo_info("octo", name)
        messages.append(str(info.value))
    assert any("***" in m for m in messages)  # the echoed token was scrubbed
    assert "GitHub API error 500" in messages[2]
    assert all(TOKEN not in m for m in messages)
    assert TOKEN not in repr(client)
    assert all(r.get("authorization") == f"Bearer {TOKEN}" for r in seen)  # but it was sent


def test_redirect_to_another_host_drops_the_token(servers) -> None:
    base, seen_api, seen_other = servers
    info = GitHubClient(base_url=base, token=TOKEN).repo_info("octo", "moved")
    assert info["stars"] == 1234
    assert seen_api[-1]["authorization"] == f"Bearer {TOKEN}"
    assert seen_other and "authorization" not in seen_other[-1]


def test_unreachable_and_invalid_input() -> None:
    with pytest.raises(GitHubApiError, match="cannot reach") as unreachable:
        GitHubClient(base_url="http://127.0.0.1:9", timeout_s=2).repo_info("octo", "tally")
    assert unreachable.value.transient
    with pytest.raises(GitHubApiError, match="not a GitHub owner/name"):
        GitHubClient().repo_info("octo", "../admin")
    with pytest.raises(ValueError, match="https"):
        GitHubClient(base_url="http://api.example.com")


def _profile(description: str, license: str | None = "Apache-2.0") -> RepoProfile:
    return RepoProfile(
        name="tally",
        full_name="octo/tally",
        description=description,
        readme_path="README.md",
        readme_excerpt="",
        languages=[],
        total_files=1,
        total_lines=1,
        key_files=[],
        entry_points=[],
        dependencies={},
        license=license,
        top_level=[],
        tree=[],
        modules=[],
        history=GitHistory(commits=1, contributors=[], first_commit=None, last_commit=None),
        install_commands=[],
        usage=None,
        code_sample=None,
    )


def test_enrich_profile() -> None:
    info = {**REPO, "stars": 7, "forks": 2, "topics": ["cli"], "license": "MIT"}
    info["description"] = "From GitHub"
    kept = enrich_profile(_profile("From the README."), info)
    assert (kept.stars, kept.forks, kept.topics) == (7, 2, ["cli"])
    assert kept.homepage == "https://tally.example.org"
    assert kept.description == "From the README." and kept.license == "Apache-2.0"
    filled = enrich_profile(_profile("", license=None), info)
    assert filled.description == "From GitHub" and filled.license == "MIT"
    original = _profile("x")
    enrich_profile(original, info)
    assert original.stars is None  # a copy, not an in-place change
