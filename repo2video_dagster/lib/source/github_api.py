"""Optional enrichment from the GitHub REST API (stars, forks, topics, homepage).

The profile is complete without it, so every failure here is a
:class:`GitHubApiError` that callers log and skip; it is deliberately not a
:class:`~repo2video_dagster.lib.core.errors.UserError` (nothing the user must fix).
The token is sent only to the configured API host (never across redirects to
another host) and never appears in messages.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import logging
import os
import re
import socket
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from repo2video_dagster.lib.core.records import RepoProfile

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.github.com"
_MAX_BODY = 2 * 1024 * 1024
_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class GitHubApiError(Exception):
    """The GitHub API could not answer; enrichment should be skipped.

    ``transient`` says the failure may pass (a timeout, no connection, HTTP 429 or
    5xx): the ``repo_profile`` step tries again before it gives enrichment up.
    """

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient


class _SameHostRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects (renamed repositories answer 301) but drop credentials on a host change."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


class GitHubClient:
    """A tiny client for ``GET /repos/{owner}/{repo}``; urllib only, no extra dependency."""

    def __init__(
        self, base_url: str = DEFAULT_API, token: str | None = None, timeout_s: float = 10.0
    ) -> None:
        parts = urlsplit(base_url)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("the GitHub API URL must use https (http only for localhost)")
        self.base_url = base_url.rstrip("/")
        self._token = token or None
        self.timeout_s = timeout_s
        self._opener = urllib.request.build_opener(_SameHostRedirect())

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> GitHubClient:
        """``GITHUB_TOKEN`` (optional, raises the rate limit) and ``REPO2VIDEO_GITHUB_API_URL``."""
        env = dict(os.environ if env is None else env)
        return cls(
            base_url=env.get("REPO2VIDEO_GITHUB_API_URL") or DEFAULT_API,
            token=env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None,
            timeout_s=float(env.get("REPO2VIDEO_GITHUB_TIMEOUT_S") or 10.0),
        )

    def __repr__(self) -> str:  # never show the token
        return f"GitHubClient(base_url={self.base_url!r}, token={'***' if self._token else None})"

    def repo_info(self, owner: str, name: str) -> dict[str, Any]:
        """Stars, forks, topics, description, homepage, license (SPDX id) and default branch."""
        if not _NAME_RE.match(owner) or not _NAME_RE.match(name):
            raise GitHubApiError(f"not a GitHub owner/name: {owner!r}/{name!r}")
        data = self._get(f"/repos/{quote(owner)}/{quote(name)}")
        if not isinstance(data, dict):
            raise GitHubApiError(f"unexpected answer for {owner}/{name}: not a JSON object")
        license_info = data.get("license") or {}
        spdx = license_info.get("spdx_id") if isinstance(license_info, dict) else None
        topics = data.get("topics") or []
        return {
            "stars": _int(data.get("stargazers_count")),
            "forks": _int(data.get("forks_count")),
            "topics": [str(t) for t in topics if isinstance(t, str)][:20],
            "description": _str(data.get("description")),
            "homepage": _str(data.get("homepage")),
            "license": spdx if isinstance(spdx, str) and spdx != "NOASSERTION" else None,
            "default_branch": _str(data.get("default_branch")),
        }

    def _get(self, path: str) -> Any:
        url = self.base_url + path
        request = urllib.request.Request(url, method="GET")
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "repo2video")
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                body = response.read(_MAX_BODY + 1)
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc, path) from None
        except TimeoutError:
            raise GitHubApiError(
                f"GitHub API did not answer within {self.timeout_s:g} s ({path})", transient=True
            ) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise GitHubApiError(
                    f"GitHub API did not answer within {self.timeout_s:g} s ({path})",
                    transient=True,
                ) from None
            raise GitHubApiError(
                self._scrub(f"cannot reach the GitHub API: {reason}"), transient=True
            ) from None
        except (OSError, http.client.HTTPException) as exc:  # reset, or cut off mid-answer
            raise GitHubApiError(
                self._scrub(f"GitHub API request failed: {exc}"), transient=True
            ) from None
        if len(body) > _MAX_BODY:
            raise GitHubApiError(f"GitHub API answer for {path} is too large")
        try:
            return json.loads(body.decode("utf-8", "replace"))
        except ValueError:
            raise GitHubApiError(f"GitHub API answer for {path} is not JSON") from None

    def _http_error(self, exc: urllib.error.HTTPError, path: str) -> GitHubApiError:
        status = exc.code
        headers = exc.headers or {}
        try:
            detail = json.loads(exc.read(65536).decode("utf-8", "replace")).get("message", "")
        except (ValueError, AttributeError, OSError):
            detail = ""
        remaining = headers.get("X-RateLimit-Remaining")
        if status == 429 or (
            status == 403 and (remaining == "0" or "rate limit" in str(detail).lower())
        ):
            reset = headers.get("X-RateLimit-Reset")
            when = ""
            if reset and reset.isdigit():
                when = " until " + datetime.fromtimestamp(int(reset), UTC).strftime("%H:%M UTC")
            hint = "" if self._token else "; set GITHUB_TOKEN for a higher limit"
            # 429 is a short "slow down"; 403 with no requests left lasts until the reset
            return GitHubApiError(
                f"GitHub API rate limit exceeded{when}{hint}",
                status=status,
                transient=status == 429,
            )
        if status == 404:
            return GitHubApiError(
                f"GitHub repository {path.removeprefix('/repos/')} not found (404)", status=status
            )
        if status == 401:
            return GitHubApiError("GitHub API rejected the token (401)", status=status)
        message = f"GitHub API error {status} for {path}"
        if detail:
            message += f": {str(detail)[:200]}"
        return GitHubApiError(self._scrub(message), status=status, transient=status >= 500)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def enrich_profile(profile: RepoProfile, info: dict[str, Any]) -> RepoProfile:
    """A copy of ``profile`` with GitHub's stars, forks, topics and homepage.

    The README stays the source of truth for the description and license; GitHub's
    values only fill gaps.
    """
    changes: dict[str, Any] = {
        "stars": info.get("stars"),
        "forks": info.get("forks"),
        "topics": list(info.get("topics") or profile.topics),
    }
    homepage = info.get("homepage")
    if isinstance(homepage, str) and homepage.startswith(("https://", "http://")):
        changes["homepage"] = homepage
    if not profile.description and info.get("description"):
        changes["description"] = str(info["description"])[:300]
    if not profile.license and info.get("license"):
        changes["license"] = info["license"]
    return dataclasses.replace(profile, **changes)
