"""A GitHub REST API and uploads endpoint on 127.0.0.1, for release assets and
commit statuses, with GitHub's rate-limit answers on demand.

Routes: ``GET /repos/{o}/{r}/releases/tags/{tag}`` (with ``upload_url`` as the URI
template GitHub gives, pointing at ``/uploads/...`` of this server),
``GET /repos/{o}/{r}/releases/{id}/assets``, ``DELETE
/repos/{o}/{r}/releases/assets/{id}``, ``POST /uploads/repos/{o}/{r}/releases/{id}/assets?name=``
(422 ``already_exists`` for a taken name, as GitHub answers), ``POST
/repos/{o}/{r}/statuses/{sha}``. Every call needs ``Authorization: Bearer <token>``.
``limits`` queues rate-limit answers: ``(403 or 429, headers)`` answered instead of
the next calls.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class GitHubState:
    token: str
    releases: dict[tuple[str, str], dict] = field(default_factory=dict)
    """(owner/name, tag) -> release (with ``assets``)."""
    statuses: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    limits: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    """5xx statuses answered instead of the next calls."""
    deleted: list[str] = field(default_factory=list)

    def count(self, what: str) -> int:
        return sum(1 for c in self.calls if c["what"] == what)


_ids = itertools.count(100)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    @property
    def state(self) -> GitHubState:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _route(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        call = {"method": method, "path": url.path, "what": "", "status": 0}
        self.state.calls.append(call)
        if self.headers.get("Authorization") != f"Bearer {self.state.token}":
            call.update(what="unauthorized", status=401)
            return self._send(401, {"message": "Bad credentials"})
        if self.state.limits:
            status, headers = self.state.limits.pop(0)
            call.update(what="rate_limited", status=status)
            return self._send(status, {"message": "API rate limit exceeded"}, headers)
        if self.state.failures:
            status = self.state.failures.pop(0)
            call.update(what="failure", status=status)
            return self._send(status, {"message": "Server Error"})
        host = self.headers.get("Host")
        query = dict(urllib.parse.parse_qsl(url.query))
        routes = [
            ("GET", r"/repos/([^/]+/[^/]+)/releases/tags/(.+)", self._release),
            ("GET", r"/repos/([^/]+/[^/]+)/releases/(\d+)/assets", self._assets),
            ("DELETE", r"/repos/([^/]+/[^/]+)/releases/assets/(\d+)", self._delete),
            ("POST", r"/uploads/repos/([^/]+/[^/]+)/releases/(\d+)/assets", self._upload),
            ("POST", r"/repos/([^/]+/[^/]+)/statuses/([0-9a-f]{40})", self._status),
        ]
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, url.path)
            if verb == method and match:
                call["what"] = handler.__name__.strip("_")
                status, answer = handler(
                    *map(urllib.parse.unquote, match.groups()), query=query, body=body, host=host
                )
                call["status"] = status
                return self._send(status, answer)
        call.update(what="not_found", status=404)
        self._send(404, {"message": "Not Found"})

    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    def _find(self, repo: str, release_id: str) -> dict | None:
        return next(
            (
                r
                for (name, _), r in self.state.releases.items()
                if name == repo and str(r["id"]) == release_id
            ),
            None,
        )

    def _release(self, repo: str, tag: str, *, host: str, **_: Any) -> tuple[int, Any]:
        release = self.state.releases.get((repo, tag))
        if release is None:
            return 404, {"message": "Not Found"}
        upload = (
            f"http://{host}/uploads/repos/{repo}/releases/{release['id']}/assets{{?name,label}}"
        )
        return 200, {
            **{k: v for k, v in release.items() if k != "assets"},
            "upload_url": upload,
            "assets": release["assets"],
        }

    def _assets(self, repo: str, release_id: str, **_: Any) -> tuple[int, Any]:
        release = self._find(repo, release_id)
        return (200, release["assets"]) if release else (404, {"message": "Not Found"})

    def _delete(self, repo: str, asset_id: str, **_: Any) -> tuple[int, Any]:
        for (name, _tag), release in self.state.releases.items():
            for asset in release["assets"]:
                if name == repo and str(asset["id"]) == asset_id:
                    release["assets"].remove(asset)
                    self.state.deleted.append(asset["name"])
                    return 204, None
        return 404, {"message": "Not Found"}

    def _upload(
        self, repo: str, release_id: str, *, query: dict, body: bytes, host: str, **_: Any
    ) -> tuple[int, Any]:
        release = self._find(repo, release_id)
        name = query.get("name", "")
        if release is None:
            return 404, {"message": "Not Found"}
        if any(a["name"] == name for a in release["assets"]):
            return 422, {
                "message": "Validation Failed",
                "errors": [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}],
            }
        asset = {
            "id": next(_ids),
            "name": name,
            "size": len(body),
            "content_type": self.headers.get("Content-Type"),
            "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
            "browser_download_url": f"https://github.com/{repo}/releases/download/{release['tag_name']}/{name}",
        }
        release["assets"].append(asset)
        return 201, asset

    def _status(self, repo: str, sha: str, *, body: bytes, **_: Any) -> tuple[int, Any]:
        status = {
            "repo": repo,
            "sha": sha,
            **json.loads(body),
            "url": f"https://api.github.com/repos/{repo}/statuses/{sha}",
        }
        self.state.statuses.append(status)
        return 201, status


@dataclass
class FakeGitHub:
    state: GitHubState
    url: str

    def add_release(self, repo: str, tag: str) -> dict:
        release = {"id": next(_ids), "tag_name": tag, "assets": []}
        self.state.releases[(repo, tag)] = release
        return release


@contextlib.contextmanager
def serve_github(token: str = "ghs_test") -> Iterator[FakeGitHub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.state = GitHubState(token=token)  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield FakeGitHub(server.state, f"http://127.0.0.1:{server.server_address[1]}")  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
