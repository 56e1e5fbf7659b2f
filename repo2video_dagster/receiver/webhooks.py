"""GitHub webhook deliveries: signature check, body decoding and classification.

Kept free of any web framework and of Dagster so that the receiver, the CLI and
the tests share one definition of "which deliveries start a render". GitHub
signs the raw request body (for form-encoded hooks too, the signature covers
the url-encoded bytes), so verification must happen before any decoding.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.records import RepoSource
from repo2video_dagster.lib.core.registry import registered_target
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.targets import parse_target

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"

JSON_CONTENT_TYPE = "application/json"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

# repository_dispatch actions that ask for a render.
RENDER_DISPATCH_ACTIONS = frozenset({"render", "repo2video.render", "repo2video/render"})

# Delivery ids are GUIDs; anything outside this is refused before it reaches storage.
_DELIVERY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_SHA_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_ZERO_SHA = "0" * 40
_SUMMARY_TEXT_MAX = 200


class PayloadError(ValueError):
    """The body cannot be decoded into a JSON object (answered with 400)."""


def compute_signature(secret: bytes | str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes | str, body: bytes, header: str | None) -> bool:
    """Constant-time check of the signature header against the raw body."""
    if not header or not header.startswith("sha256="):
        return False
    expected = compute_signature(secret, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("ascii", "replace"))


def valid_delivery_id(value: str | None) -> bool:
    return bool(value) and bool(_DELIVERY_RE.match(value or ""))


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def decode_payload(body: bytes, content_type: str | None) -> dict[str, Any]:
    """Decode a JSON or form-encoded (``payload=<json>``) body into the event object."""
    kind = media_type(content_type)
    if kind == FORM_CONTENT_TYPE:
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError) as exc:
            raise PayloadError("form body is not valid url-encoding") from exc
        values = fields.get("payload")
        if not values:
            raise PayloadError("form body has no 'payload' field")
        raw: str | bytes = values[0]
    else:
        raw = body
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc.__class__.__name__}") from exc
    if not isinstance(data, dict):
        raise PayloadError("body is not a JSON object")
    return data


@dataclass(frozen=True)
class Classification:
    """What the receiver does with one delivery: ``pong``, ``accept`` or ``ignore``."""

    outcome: str
    event: str
    action: str | None
    reason: str
    repo_full_name: str | None = None
    repo_url: str | None = None
    partition_key: str | None = None
    commit_sha: str | None = None
    ref: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.outcome == "accept"


def repo_source(target: str, policy: SourcePolicy | None = None) -> RepoSource:
    """The project's own parsing of a repository URL (``targets.parse_target``).

    Parsing looks nothing up (the receiver must answer in milliseconds); the
    host's addresses are checked where git connects, in the ``repo_snapshot``
    asset. Raises
    SourceError when the policy refuses the repository (for example a host
    that is not in ``REPO2VIDEO_ALLOWED_HOSTS``).
    """
    policy = policy or SourcePolicy.from_env()
    return parse_target(target, policy)


def github_partition_key(full_name: str, policy: SourcePolicy | None = None) -> str:
    """``Owner/Name`` -> ``owner__name``, by the same rule as every other entry point."""
    return repo_source(f"https://github.com/{full_name.strip().strip('/')}", policy).key


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _SUMMARY_TEXT_MAX:
        return value[:_SUMMARY_TEXT_MAX] + "…"
    return value


def _summary(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A few identifying fields; never the whole payload (it may carry tokens or PII)."""
    out: dict[str, Any] = {}
    sender = payload.get("sender")
    if isinstance(sender, dict) and sender.get("login"):
        out["sender"] = sender["login"]
    if event == "push":
        out["before"] = payload.get("before")
        out["after"] = payload.get("after")
        head = payload.get("head_commit")
        if isinstance(head, dict) and isinstance(head.get("message"), str):
            out["head_message"] = head["message"].splitlines()[0] if head["message"] else ""
        commits = payload.get("commits")
        if isinstance(commits, list):
            out["commits"] = len(commits)
    elif event == "release":
        release = payload.get("release") or {}
        if isinstance(release, dict):
            out["tag"] = release.get("tag_name")
            out["target_commitish"] = release.get("target_commitish")
    elif event == "repository_dispatch":
        out["branch"] = payload.get("branch")
    return {k: _clip(v) for k, v in out.items() if v is not None}


def _repo_fields(
    payload: dict[str, Any], policy: SourcePolicy | None
) -> tuple[str, str, str] | str:
    """(full_name, target, partition key) of the payload's repository, or why not.

    The target is what the sensor records in the SourceRegistry, by the registry's
    one rule (:func:`registered_target`): for a GitHub repository, its web URL.
    """
    repo = payload.get("repository")
    if not isinstance(repo, dict):
        return "payload names no repository"
    full_name = repo.get("full_name")
    if not isinstance(full_name, str) or "/" not in full_name:
        return "payload names no repository"
    html_url = repo.get("html_url")
    url = html_url if isinstance(html_url, str) else f"https://github.com/{full_name}"
    try:
        source = repo_source(url, policy)
    except UserError as err:
        return f"repository refused: {err}"
    return full_name, registered_target(source), source.key


def _sha_or_none(value: Any) -> str | None:
    if isinstance(value, str) and _SHA_RE.match(value) and value != _ZERO_SHA:
        return value
    return None


def _decide(event: str, action: str | None, payload: dict[str, Any]) -> tuple[bool, str, dict]:
    """(accept?, reason, extra fields) for one event type; repository checks come after."""
    if event in ("star", "watch"):
        wanted = "created" if event == "star" else "started"
        if action == wanted:
            return True, f"{event} {action}", {}
        return False, f"{event} action {action!r} does not trigger a render", {}
    if event == "push":
        ref = payload.get("ref")
        repo = payload.get("repository") or {}
        default = repo.get("default_branch") or repo.get("master_branch")
        extra = {"ref": ref if isinstance(ref, str) else None}
        if not isinstance(ref, str) or not ref.startswith("refs/heads/"):
            return False, f"push to {ref!r} is not a branch push", extra
        if not default or ref != f"refs/heads/{default}":
            return False, f"push to {ref} is not the default branch ({default})", extra
        if payload.get("deleted") or payload.get("after") == _ZERO_SHA:
            return False, f"push deletes {ref}", extra
        return (
            True,
            f"push to default branch {default}",
            {**extra, "commit_sha": _sha_or_none(payload.get("after"))},
        )
    if event == "release":
        if action != "published":
            return False, f"release action {action!r} does not trigger a render", {}
        release = payload.get("release") or {}
        tag = release.get("tag_name") if isinstance(release, dict) else None
        sha = _sha_or_none(release.get("target_commitish")) if isinstance(release, dict) else None
        return (
            True,
            f"release {tag} published",
            {"ref": f"refs/tags/{tag}" if tag else None, "commit_sha": sha},
        )
    if event == "repository":
        if action in ("created", "publicized"):
            return True, f"repository {action}", {}
        return False, f"repository action {action!r} does not trigger a render", {}
    if event == "repository_dispatch":
        if action in RENDER_DISPATCH_ACTIONS:
            client = payload.get("client_payload")
            sha = None
            if isinstance(client, dict):
                sha = _sha_or_none(client.get("commit") or client.get("sha"))
            return True, f"repository_dispatch {action}", {"commit_sha": sha}
        return (
            False,
            (
                f"repository_dispatch action {action!r} is not a render action "
                f"(use one of {', '.join(sorted(RENDER_DISPATCH_ACTIONS))})"
            ),
            {},
        )
    return False, f"event {event!r} is not handled", {}


def classify_event(
    event: str,
    payload: dict[str, Any],
    *,
    allow_private: bool = False,
    policy: SourcePolicy | None = None,
) -> Classification:
    """Decide whether a delivery should render its repository, and say why.

    ``policy`` is the source policy renders run under (default: from the
    environment); a repository it refuses is ignored here rather than failing later.
    """
    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    if event == "ping":
        return Classification(
            "pong", event, action, "ping", summary={"zen": _clip(payload.get("zen"))}
        )
    accept, reason, extra = _decide(event, action, payload)
    base: dict[str, Any] = {
        "summary": _summary(event, payload),
        "ref": extra.get("ref"),
        "commit_sha": extra.get("commit_sha"),
    }
    if not accept:
        return Classification("ignore", event, action, reason, **base)
    repo = _repo_fields(payload, policy)
    if isinstance(repo, str):
        return Classification("ignore", event, action, repo, **base)
    base.update(repo_full_name=repo[0], repo_url=repo[1], partition_key=repo[2])
    if (payload.get("repository") or {}).get("private") and not allow_private:
        return Classification(
            "ignore",
            event,
            action,
            "repository is private (set REPO2VIDEO_WEBHOOK_ALLOW_PRIVATE=1 to render it)",
            **base,
        )
    return Classification("accept", event, action, reason, **base)
