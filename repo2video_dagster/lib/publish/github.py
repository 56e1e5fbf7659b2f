"""The render back on GitHub: release assets for a release, a commit status for a commit.

For a render started by a ``release`` event, the reel, the landscape cut, the SRT and
VTT subtitles and the thumbnail are attached to that release. An asset of the same
name is replaced (deleted, then uploaded), not duplicated; one whose ``digest``
already matches the file is left alone, so a re-run uploads nothing. Every
publication also sets a commit status (context ``repo2video``) linking to the video
page.

Rate limits are respected as GitHub documents them: ``Retry-After`` on a 403/429 is
waited out; ``X-RateLimit-Remaining: 0`` waits until ``X-RateLimit-Reset``. A wait
longer than ``max_wait_s`` is a transient failure instead (the step is retried
later) rather than a step that sleeps for an hour. 5xx and connection errors are
retried with exponential backoff. The token goes only to the configured API and
uploads hosts, and never into a message.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from repo2video_dagster.lib.core.reuse import file_digest
from repo2video_dagster.lib.publish.errors import PublishError, PublishServiceError

log = logging.getLogger(__name__)

STATUS_CONTEXT = "repo2video"
CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
    ".png": "image/png",
    ".jpg": "image/jpeg",
}


@dataclass
class GitHubClient:
    """A small REST client: JSON in and out, rate limits and retries as GitHub asks."""

    api_url: str
    token: str
    timeout_s: float = 60.0
    max_wait_s: float = 300.0
    attempts: int = 5
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    waits: list[float] = field(default_factory=list)
    _reset_at: float | None = None

    def _trusted(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        api_host = urlsplit(self.api_url).hostname or ""
        return host == api_host or host == api_host.replace("api.", "uploads.", 1)

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > self.max_wait_s:
            raise PublishServiceError(
                f"GitHub {why}: the next request is allowed in {int(seconds)} s",
                hint="The publication is tried again later",
            )
        self.waits.append(seconds)
        self.sleep(max(0.0, seconds))

    def request(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> tuple[int, Any]:
        """``(status, decoded JSON)``; 404 is returned, other 4xx raise :class:`PublishError`."""
        if not url.startswith(("http://", "https://")):
            url = self.api_url.rstrip("/") + url
        if body is not None:
            data, content_type = json.dumps(body).encode(), "application/json"
        failures = 0
        while True:
            if self._reset_at is not None:
                delay, self._reset_at = self._reset_at - self.clock(), None
                if delay > 0:
                    self._wait(delay, "rate limit is spent")
            request = urllib.request.Request(url, data=data, method=method)
            request.add_header("Accept", "application/vnd.github+json")
            request.add_header("X-GitHub-Api-Version", "2022-11-28")
            if self.token and self._trusted(url):
                request.add_header("Authorization", f"Bearer {self.token}")
            if content_type:
                request.add_header("Content-Type", content_type)
            try:
                with _OPENER.open(request, timeout=self.timeout_s) as response:
                    self._note_limits(response.headers)
                    raw = response.read()
                    return response.status, json.loads(raw) if raw else None
            except urllib.error.HTTPError as err:
                status, headers = err.code, err.headers
                raw = err.read()
                if status == 404:
                    return 404, None
                wait = self._rate_limited(status, headers)
                if wait is not None:
                    self._wait(wait, "rate limit")
                    continue
                if status < 500:
                    raise PublishError(
                        f"GitHub {method} {urlsplit(url).path} answered HTTP {status}"
                        f"{_message(raw)}"
                    ) from None
                line = f"GitHub {method} {urlsplit(url).path} answered HTTP {status}"
            except (urllib.error.URLError, TimeoutError, OSError) as err:
                line = f"cannot reach GitHub: {getattr(err, 'reason', err)}"
            failures += 1
            if failures >= self.attempts:
                raise PublishServiceError(line)
            self._wait(min(60.0, 2.0 ** (failures - 1)), "backoff")

    def _note_limits(self, headers: Any) -> None:
        if headers.get("X-RateLimit-Remaining") == "0" and headers.get("X-RateLimit-Reset"):
            self._reset_at = float(headers["X-RateLimit-Reset"]) + 1

    def _rate_limited(self, status: int, headers: Any) -> float | None:
        if status not in (403, 429):
            return None
        if headers.get("Retry-After"):
            return float(headers["Retry-After"])
        if headers.get("X-RateLimit-Remaining") == "0" and headers.get("X-RateLimit-Reset"):
            return max(0.0, float(headers["X-RateLimit-Reset"]) - self.clock()) + 1
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would resend the Authorization header to any host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _message(raw: bytes) -> str:
    try:
        message = json.loads(raw).get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {message}" if message else ""


def release_assets(
    client: GitHubClient, repo: str, tag: str, files: dict[str, Path]
) -> list[dict[str, Any]]:
    """Attach ``files`` (asset name -> path) to the release ``tag`` of ``repo`` (owner/name)."""
    status, release = client.request("GET", f"/repos/{repo}/releases/tags/{quote(tag, safe='')}")
    if status == 404 or not release:
        raise PublishError(
            f"{repo} has no release {tag!r}", hint="Publish the release on GitHub first"
        )
    _, existing = client.request(
        "GET", f"/repos/{repo}/releases/{release['id']}/assets?per_page=100"
    )
    by_name = {a["name"]: a for a in existing or []}
    upload_base = release["upload_url"].split("{", 1)[0]
    out = []
    for name, path in files.items():
        sha = file_digest(path)
        old = by_name.get(name)
        if old and old.get("digest") == f"sha256:{sha}":
            out.append({"name": name, "url": old["browser_download_url"], "action": "kept"})
            continue
        if old:
            client.request("DELETE", f"/repos/{repo}/releases/assets/{old['id']}")
        _, asset = client.request(
            "POST",
            f"{upload_base}?name={quote(name)}",
            data=path.read_bytes(),
            content_type=CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"),
        )
        out.append(
            {
                "name": name,
                "url": asset["browser_download_url"],
                "action": "replaced" if old else "uploaded",
            }
        )
        log.info("release %s: %s %s", tag, name, out[-1]["action"])
    return out


def commit_status(
    client: GitHubClient, repo: str, sha: str, target_url: str | None, description: str
) -> str:
    """Set the ``repo2video`` commit status (success) linking to ``target_url``."""
    body: dict[str, Any] = {
        "state": "success",
        "context": STATUS_CONTEXT,
        "description": description[:140],
    }
    if target_url:
        body["target_url"] = target_url
    status, answer = client.request("POST", f"/repos/{repo}/statuses/{sha}", body=body)
    if status == 404:
        raise PublishError(
            f"GitHub does not know commit {sha[:12]} of {repo}, or the token may not see it"
        )
    return answer.get("url", "") if isinstance(answer, dict) else ""
