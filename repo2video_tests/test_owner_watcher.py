"""``github_owner_watcher`` against a loopback server speaking the GitHub REST API.

The fake API serves ``/orgs/<org>/repos`` and ``/users/<user>/repos`` in pages with
``Link`` headers and ETags, answers ``If-None-Match`` with 304, and can answer a rate
limit (``Retry-After``, or ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset``).
The sensor is the code location's, evaluated with a real instance and its own cursor
carried from tick to tick, as the daemon does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from dagster import DagsterInstance, SensorResult, build_sensor_context

from repo2video_dagster.lib.core.registry import SourceRegistry
from repo2video_dagster.priorities import DEFAULT_PRIORITIES, PRIORITY_TAG
from repo2video_dagster.resources import StorageResource
from repo2video_dagster.run_tags import TAG_TRIGGER
from repo2video_dagster.sensors.owner_watch import WatchResource, github_owner_watcher

TOKEN = "ghp_WATCHERTOKEN0a1b"


def _repo(owner: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "full_name": f"{owner}/{name}",
        "html_url": f"https://github.com/{owner}/{name}",
        "private": False,
        "fork": False,
        "archived": False,
        **extra,
    }


@dataclass
class FakeGitHub:
    """Repositories per owner path; what was asked; how to answer next."""

    repos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    """(path?query, If-None-Match, Authorization) per request."""
    limit: dict[str, str] | None = None
    """Headers of a rate-limit answer (403) to give once, then forget."""
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls(self) -> int:
        return len(self.requests)


@contextlib.contextmanager
def serve_github(api: FakeGitHub) -> Iterator[FakeGitHub]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            api.requests.append(
                (self.path, self.headers.get("If-None-Match"), self.headers.get("Authorization"))
            )
            if api.limit is not None:
                headers, api.limit = api.limit, None
                return self._answer(403, b'{"message": "API rate limit exceeded"}', headers)
            if parts.path not in api.repos:
                return self._answer(404, b'{"message": "Not Found"}', {})
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            per_page = 2  # small pages: the listing must follow Link headers
            items = api.repos[parts.path][(page - 1) * per_page : page * per_page]
            body = json.dumps(items).encode()
            etag = (
                '"'
                + hashlib.sha256(json.dumps(api.repos[parts.path]).encode()).hexdigest()[:16]
                + '"'
            )
            headers = {"ETag": etag, "X-RateLimit-Remaining": "4999"}
            if page * per_page < len(api.repos[parts.path]):
                query = parts.query.replace(f"&page={page}", "") + f"&page={page + 1}"
                headers["Link"] = f'<{api.url}{parts.path}?{query}>; rel="next"'
            if page == 1 and self.headers.get("If-None-Match") == etag:
                return self._answer(304, b"", {"ETag": etag})
            return self._answer(200, body, headers)

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@dataclass
class Ticks:
    """The sensor evaluated tick after tick with the cursor it returned."""

    instance: DagsterInstance
    watch: WatchResource
    storage: StorageResource
    cursor: str | None = None

    def tick(self) -> SensorResult:
        context = build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            resources={"watch": self.watch, "storage": self.storage},
        )
        result = github_owner_watcher(context)
        self.cursor = result.cursor if result.cursor is not None else self.cursor
        return result


def _skip(result: SensorResult) -> str:
    return result.skip_reason.skip_message if result.skip_reason else ""


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    github = FakeGitHub(
        repos={
            "/orgs/acme/repos": [
                _repo("acme", "rocket"),
                _repo("acme", "anvil"),
                _repo("acme", "fork-of-x", fork=True),
                _repo("acme", "old", archived=True),
                _repo("acme", "secret", private=True),
            ],
            "/users/alice/repos": [_repo("alice", "dotfiles")],
        }
    )
    with serve_github(github) as server:
        yield server


def _ticks(instance: DagsterInstance, api: FakeGitHub, tmp_path: Path, **watch: Any) -> Ticks:
    resource = WatchResource(orgs=["acme"], users=["alice"], api_url=api.url, **watch)
    return Ticks(instance, resource, StorageResource(data_dir=str(tmp_path / "var")))


def test_new_repositories_are_requested_once_and_unchanged_lists_cost_nothing(
    instance: DagsterInstance, api: FakeGitHub, tmp_path: Path
) -> None:
    ticks = _ticks(instance, api, tmp_path, existing=True)
    first = ticks.tick()
    keys = sorted(r.partition_key for r in first.run_requests)
    assert keys == ["acme__anvil", "acme__rocket", "alice__dotfiles"]  # no fork, archive, private
    request = next(r for r in first.run_requests if r.partition_key == "acme__rocket")
    assert request.run_key == "watch:acme__rocket"
    assert request.tags[TAG_TRIGGER] == "watcher"
    assert request.tags[PRIORITY_TAG] == str(DEFAULT_PRIORITIES["star"])
    (added,) = first.dynamic_partitions_requests
    assert sorted(added.partition_keys) == keys
    assert (
        SourceRegistry(tmp_path / "var").target_for("acme__rocket")
        == "https://github.com/acme/rocket"
    )
    assert {auth for _, _, auth in api.requests} == {f"Bearer {TOKEN}"}
    assert api.calls() == 4  # acme: 3 pages of 2, alice: 1 page
    assert any("page=3" in path for path, _, _ in api.requests)

    calls = api.calls()
    second = ticks.tick()
    assert second.run_requests == [] and second.skip_reason is not None
    assert api.calls() == calls + 2  # one conditional request per owner, both answered 304
    assert all(etag for _, etag, _ in api.requests[calls:])

    api.repos["/orgs/acme/repos"].insert(0, _repo("acme", "launchpad"))
    third = ticks.tick()
    assert [r.partition_key for r in third.run_requests] == ["acme__launchpad"]


def test_repositories_present_at_the_first_listing_are_only_remembered(
    instance: DagsterInstance, api: FakeGitHub, tmp_path: Path
) -> None:
    ticks = _ticks(instance, api, tmp_path)
    assert ticks.tick().run_requests == []
    api.repos["/users/alice/repos"].append(_repo("alice", "new-tool"))
    assert [r.partition_key for r in ticks.tick().run_requests] == ["alice__new-tool"]


def test_rate_limits_are_waited_out_without_a_request(
    instance: DagsterInstance, api: FakeGitHub, tmp_path: Path
) -> None:
    ticks = _ticks(instance, api, tmp_path)
    ticks.tick()
    reset = int(time.time()) + 3600
    api.limit = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    limited = ticks.tick()
    assert "rate limit" in _skip(limited) and "waiting" in _skip(limited)
    assert json.loads(ticks.cursor)["not_before"] == reset
    calls = api.calls()
    waiting = ticks.tick()
    assert api.calls() == calls, "no request before X-RateLimit-Reset"
    assert _skip(waiting).startswith("GitHub asked to wait")

    state = json.loads(ticks.cursor)
    state["not_before"] = 0  # the hour has passed
    ticks.cursor = json.dumps(state)
    api.limit = {"Retry-After": "120"}
    before = time.time()
    ticks.tick()
    assert before + 119 <= json.loads(ticks.cursor)["not_before"] <= time.time() + 121


def test_no_owners_means_no_requests(instance: DagsterInstance, tmp_path: Path) -> None:
    ticks = Ticks(
        instance, WatchResource(orgs=[], users=[]), StorageResource(data_dir=str(tmp_path))
    )
    assert "no owners" in _skip(ticks.tick())
