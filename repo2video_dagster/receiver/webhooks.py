"""GitHub webhook deliveries: signature check, body decoding and classification.

Kept free of any web framework and of Dagster so that the receiver, the CLI and
the tests share one definition of "which deliveries start a render". GitHub
signs the raw request body (for form-encoded hooks too, the signature covers
the url-encoded bytes), so verification must happen before any decoding.
"""

from __future__ import annotations

import dataclasses
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
from repo2video_dagster.receiver.fields import (
    ACTION_MAX,
    REASON_MAX,
    REF_MAX,
    REPO_FULL_NAME_MAX,
    REPO_URL_MAX,
    clean_optional,
    clean_scalar,
    clean_text,
)

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
_SIGNATURE_RE = re.compile(r"^sha256=[0-9a-fA-F]{64}$")
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_ZERO_SHA = "0" * 40
# A form-encoded delivery has one field (payload=); more is not GitHub.
_MAX_FORM_FIELDS = 16


class PayloadError(ValueError):
    """The body cannot be decoded into a JSON object (answered with 400)."""


def compute_signature(secret: bytes | str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_well_formed(header: str | None) -> bool:
    """Whether the header can be a signature at all (checked before the body is read)."""
    return bool(header) and bool(_SIGNATURE_RE.match((header or "").strip()))


def signature_matches(expected: str, header: str | None) -> bool:
    """Constant-time comparison of a computed ``sha256=<hex>`` with the header."""
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(
        expected.encode("ascii"), header.strip().lower().encode("ascii", "replace")
    )


def verify_signature(secret: bytes | str, body: bytes, header: str | None) -> bool:
    """Constant-time check of the signature header against the raw body."""
    return signature_matches(compute_signature(secret, body), header)


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
            fields = parse_qs(
                body.decode("utf-8"), strict_parsing=True, max_num_fields=_MAX_FORM_FIELDS
            )
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
    except RecursionError as exc:
        raise PayloadError("body is not valid JSON: nested too deeply") from exc
    except MemoryError as exc:
        raise PayloadError("body is not valid JSON: too large to decode") from exc
    except ValueError as exc:
        # JSONDecodeError, UnicodeDecodeError, and the int-to-str digit limit
        # (an integer literal of more than 4,300 digits) are all ValueErrors.
        raise PayloadError(f"body is not valid JSON: {_json_error_kind(exc)}") from exc
    if not isinstance(data, dict):
        raise PayloadError("body is not a JSON object")
    return data


def _json_error_kind(exc: ValueError) -> str:
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
        return exc.__class__.__name__
    return "a number too long to convert"


def decode_and_classify(
    body: bytes,
    content_type: str | None,
    event: str,
    *,
    allow_private: bool = False,
    policy: SourcePolicy | None = None,
) -> Classification:
    """:func:`decode_payload` then :func:`classify_event`; raises PayloadError (a 400)."""
    payload = decode_payload(body, content_type)
    return classify_event(event, payload, allow_private=allow_private, policy=policy)


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


def _obj(payload: dict[str, Any], key: str) -> dict[str, Any]:
    """``payload[key]`` when it is an object, else ``{}`` (a hostile payload may put anything there)."""
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) else None


def _summary(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A few identifying fields; never the whole payload (it may carry tokens or PII)."""
    out: dict[str, Any] = {}
    out["sender"] = _obj(payload, "sender").get("login") or None
    if event == "push":
        out["before"] = payload.get("before")
        out["after"] = payload.get("after")
        message = _text(_obj(payload, "head_commit"), "message")
        if message is not None:
            out["head_message"] = message[:4096].splitlines()[0] if message else ""
        commits = payload.get("commits")
        if isinstance(commits, list):
            out["commits"] = len(commits)
    elif event == "release":
        release = _obj(payload, "release")
        out["tag"] = release.get("tag_name")
        out["target_commitish"] = release.get("target_commitish")
    elif event == "repository_dispatch":
        out["branch"] = payload.get("branch")
    cleaned = {k: clean_scalar(v) for k, v in out.items()}
    return {k: v for k, v in cleaned.items() if v is not None}


def _repo_fields(
    payload: dict[str, Any], policy: SourcePolicy | None
) -> tuple[str, str, str] | str:
    """(full_name, target, partition key) of the payload's repository, or why not.

    The target is what the sensor records in the SourceRegistry, by the registry's
    one rule (:func:`registered_target`): for a GitHub repository, its web URL.

    The repository is the one ``html_url`` names; ``full_name`` must agree with it
    (a payload saying torvalds/linux with the URL of pallets/click is refused, so
    /jobs never shows one repository under another's key); a local path (allowed
    only with REPO2VIDEO_ALLOW_LOCAL) has no owner/name, and is named by its directory. ``html_url`` must be a
    URL: a bare path would be looked up on this server's disk, and the answer
    would tell the sender whether that path exists.
    """
    repo = _obj(payload, "repository")
    full_name = _text(repo, "full_name")
    if full_name is None or "/" not in full_name:
        return "payload names no repository"
    full_name = full_name.strip().strip("/")
    html_url = repo.get("html_url")
    if html_url is None:
        url = f"https://github.com/{full_name}"
    elif isinstance(html_url, str) and _URL_RE.match(html_url.strip()):
        url = html_url.strip()
    else:
        return "repository refused: html_url is not a URL"
    try:
        source = repo_source(url, policy)
    except UserError as err:
        return f"repository refused: {err}"
    named = _url_full_name(source)
    if named is None:  # a local path (only with REPO2VIDEO_ALLOW_LOCAL): named by the path
        return source.display_name, registered_target(source), source.key
    if named.lower() != full_name.lower():
        return (
            f"repository refused: full_name {_shown(full_name)} does not match html_url ({named})"
        )
    return named, registered_target(source), source.key


def _url_full_name(source: RepoSource) -> str | None:
    """``owner/name`` as the URL spells it; None for a local path."""
    if source.kind == "local" or not source.owner:
        return None
    return f"{source.owner}/{source.name}"


def _shown(value: str | None) -> str:
    """A payload string quoted for a reason text, short enough to repeat."""
    return repr(clean_text(value, 100)) if value is not None else "None"


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
        return False, f"{event} action {_shown(action)} does not trigger a render", {}
    if event == "push":
        ref = _text(payload, "ref")
        repo = _obj(payload, "repository")
        default = _text(repo, "default_branch") or _text(repo, "master_branch")
        extra = {"ref": ref}
        if ref is None or not ref.startswith("refs/heads/"):
            return False, f"push to {_shown(ref)} is not a branch push", extra
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
            return False, f"release action {_shown(action)} does not trigger a render", {}
        release = _obj(payload, "release")
        tag = _text(release, "tag_name")
        sha = _sha_or_none(release.get("target_commitish"))
        return (
            True,
            f"release {tag} published",
            {"ref": f"refs/tags/{tag}" if tag else None, "commit_sha": sha},
        )
    if event == "repository":
        if action in ("created", "publicized"):
            return True, f"repository {action}", {}
        return False, f"repository action {_shown(action)} does not trigger a render", {}
    if event == "repository_dispatch":
        if action in RENDER_DISPATCH_ACTIONS:
            client = _obj(payload, "client_payload")
            sha = _sha_or_none(client.get("commit") or client.get("sha"))
            return True, f"repository_dispatch {action}", {"commit_sha": sha}
        return (
            False,
            (
                f"repository_dispatch action {_shown(action)} is not a render action "
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
    Raises PayloadError when a field it reads has the wrong JSON type. Every text
    field of the result is valid UTF-8 and within its column's length.
    """
    _check_shape(payload)
    return _cleaned(_classify(event, payload, allow_private=allow_private, policy=policy))


# Fields the classifier reads, with the JSON type GitHub always sends (or null).
_OBJECT_FIELDS = ("repository", "sender", "release", "head_commit", "client_payload")
_TEXT_FIELDS = ("action", "ref", "before", "after")
_REPOSITORY_TEXT_FIELDS = ("full_name", "html_url", "default_branch", "master_branch")


def _check_shape(payload: dict[str, Any]) -> None:
    """Raise PayloadError (a 400) when a field the classifier reads has the wrong JSON type.

    GitHub never sends ``"repository": [1]``; such a payload is malformed, not a
    repository to ignore.
    """
    for key in _OBJECT_FIELDS:
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            raise PayloadError(f"payload field {key!r} is not an object")
    for key in _TEXT_FIELDS:
        if payload.get(key) is not None and not isinstance(payload[key], str):
            raise PayloadError(f"payload field {key!r} is not text")
    repo = payload.get("repository") or {}
    for key in _REPOSITORY_TEXT_FIELDS:
        if repo.get(key) is not None and not isinstance(repo[key], str):
            raise PayloadError(f"payload field 'repository.{key}' is not text")
    if payload.get("commits") is not None and not isinstance(payload["commits"], list):
        raise PayloadError("payload field 'commits' is not a list")


def _cleaned(c: Classification) -> Classification:
    """Every text field valid UTF-8 and no longer than its column, whatever the payload held."""
    return dataclasses.replace(
        c,
        action=clean_optional(c.action, ACTION_MAX),
        reason=clean_text(c.reason, REASON_MAX),
        repo_full_name=clean_optional(c.repo_full_name, REPO_FULL_NAME_MAX),
        repo_url=clean_optional(c.repo_url, REPO_URL_MAX),
        ref=clean_optional(c.ref, REF_MAX),
    )


def _classify(
    event: str, payload: dict[str, Any], *, allow_private: bool, policy: SourcePolicy | None
) -> Classification:
    action = _text(payload, "action")
    if event == "ping":
        return Classification(
            "pong", event, action, "ping", summary={"zen": clean_scalar(payload.get("zen"))}
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
    if _obj(payload, "repository").get("private") and not allow_private:
        return Classification(
            "ignore",
            event,
            action,
            "repository is private (set REPO2VIDEO_WEBHOOK_ALLOW_PRIVATE=1 to render it)",
            **base,
        )
    return Classification("accept", event, action, reason, **base)
