"""Listing the public repositories of GitHub organisations and users, cheaply.

``GET /orgs/{org}/repos`` and ``GET /users/{user}/repos``, newest first, 100 a page.
The first page is asked with ``If-None-Match: <its last ETag>``: GitHub answers an
unchanged list with 304, which does not count against the rate limit, so a watcher
polling every few minutes costs nothing while nothing changes. When GitHub says to
wait (``Retry-After`` on a 403/429, or ``X-RateLimit-Remaining: 0`` with
``X-RateLimit-Reset``), :class:`RateLimited` says until when, and the caller makes no
request before then. Errors are :class:`GitHubApiError` lines without the token.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from repo2video_dagster.lib.source.github_api import GitHubApiError, GitHubClient

MAX_PAGES = 10
"""At most 1,000 repositories per owner and poll (newest first): a new one is on page 1."""
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NEXT_RE = re.compile(r'<([^>]+)>;\s*rel="next"')


class RateLimited(GitHubApiError):
    """GitHub asked to wait; no request for this API before ``until`` (epoch seconds)."""

    def __init__(self, message: str, until: float) -> None:
        super().__init__(message, status=429, transient=True)
        self.until = until


@dataclass(frozen=True)
class Listing:
    """One owner's listing: ``changed`` False for a 304 (then ``repos`` is empty)."""

    changed: bool
    etag: str | None
    repos: tuple[dict[str, object], ...] = ()
    wait_until: float | None = None
    """Set when the listing used the last request GitHub allows before its reset."""


def owner_path(kind: str, name: str) -> str:
    """``/orgs/<name>/repos?...`` or ``/users/<name>/repos?...``; ValueError for a bad name."""
    if kind not in ("org", "user") or not _NAME_RE.match(name):
        raise ValueError(f"not a GitHub {kind} name: {name!r}")
    kind_path, repo_type = ("orgs", "public") if kind == "org" else ("users", "owner")
    return f"/{kind_path}/{quote(name)}/repos?type={repo_type}&sort=created&direction=desc&per_page=100"


class RepoWatcher:
    """Conditional listings over the same rules as :class:`GitHubClient` (host, token)."""

    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    def list_repos(self, kind: str, name: str, etag: str | None = None) -> Listing:
        """The owner's public repositories (all pages) unless its first page is unchanged."""
        url = self.client.base_url + owner_path(kind, name)
        status, headers, body = self._get(url, etag)
        if status == 304:
            return Listing(changed=False, etag=etag, wait_until=_exhausted_until(headers))
        repos = list(_repos(body, url))
        new_etag = headers.get("ETag")
        next_url = _next(headers.get("Link"))
        pages = 1
        while next_url and pages < MAX_PAGES:
            if urlsplit(next_url).netloc != urlsplit(self.client.base_url).netloc:
                break  # never send the token to another host
            _, headers, body = self._get(next_url, None)
            repos += _repos(body, next_url)
            next_url = _next(headers.get("Link"))
            pages += 1
        return Listing(
            changed=True, etag=new_etag, repos=tuple(repos), wait_until=_exhausted_until(headers)
        )

    def _get(self, url: str, etag: str | None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, method="GET")
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "repo2video")
        if etag:
            request.add_header("If-None-Match", etag)
        token = self.client._token  # noqa: SLF001 - the same client, the same token rules
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        path = urlsplit(url).path
        try:
            with urllib.request.urlopen(request, timeout=self.client.timeout_s) as response:
                headers = dict(response.headers.items())
                return response.status, headers, response.read(4 * 1024 * 1024)
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return 304, dict(exc.headers.items()), b""
            headers = dict((exc.headers or {}).items())
            if exc.code in (403, 429):
                _raise_rate_limited(headers, path, exc.code)
            raise self.client._http_error(exc, path) from None  # noqa: SLF001
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GitHubApiError(
                self.client._scrub(f"cannot reach the GitHub API: {reason}"),  # noqa: SLF001
                transient=True,
            ) from None


def _exhausted_until(headers: dict[str, str]) -> float | None:
    """When an answer used the last request of the window: the window's reset."""
    reset = headers.get("X-RateLimit-Reset", "")
    if headers.get("X-RateLimit-Remaining") == "0" and reset.isdigit():
        return float(reset)
    return None


def _raise_rate_limited(headers: dict[str, str], path: str, status: int) -> None:
    now = time.time()
    retry_after = headers.get("Retry-After", "")
    reset = headers.get("X-RateLimit-Reset", "")
    if retry_after.isdigit():
        until = now + int(retry_after)
    elif headers.get("X-RateLimit-Remaining") == "0" and reset.isdigit():
        until = float(reset)
    elif status == 429:
        until = now + 60  # GitHub's advice for a secondary limit without a header
    else:
        return  # a 403 that is not a rate limit: the caller's error
    wait = max(0, int(until - now))
    raise RateLimited(f"GitHub API rate limit on {path}: waiting {wait} s", until=until)


def _next(link: str | None) -> str | None:
    match = _NEXT_RE.search(link or "")
    return match.group(1) if match else None


def _repos(body: bytes, url: str) -> list[dict[str, object]]:
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        raise GitHubApiError(f"GitHub API answer for {urlsplit(url).path} is not JSON") from None
    if not isinstance(data, list):
        raise GitHubApiError(f"GitHub API answer for {urlsplit(url).path} is not a list")
    return [r for r in data if isinstance(r, dict)]
