"""Signature checks, body decoding and event classification on real GitHub payloads."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from repo2video_dagster.lib.core.errors import SourceError
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.receiver.webhooks import (
    FORM_CONTENT_TYPE,
    PayloadError,
    classify_event,
    compute_signature,
    decode_payload,
    github_partition_key,
    repo_source,
    valid_delivery_id,
    verify_signature,
)

FIXTURES = Path(__file__).parent / "fixtures" / "github"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.payload.json").read_text(encoding="utf-8"))


def test_documented_signature_vector() -> None:
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert compute_signature("It's a Secret to Everybody", b"Hello, World!") == expected
    assert verify_signature(b"It's a Secret to Everybody", b"Hello, World!", expected)


def test_signature_rejects_wrong_secret_body_and_format() -> None:
    body = b'{"a": 1}'
    good = compute_signature("s3cret", body)
    assert verify_signature("s3cret", body, good)
    assert not verify_signature("other", body, good)
    assert not verify_signature("s3cret", body + b" ", good)
    assert not verify_signature("s3cret", body, None)
    assert not verify_signature("s3cret", body, "")
    assert not verify_signature("s3cret", body, good.replace("sha256=", "sha1="))
    assert not verify_signature("s3cret", body, "sha256=ü")


def test_delivery_id_validation() -> None:
    assert valid_delivery_id("72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert not valid_delivery_id(None)
    assert not valid_delivery_id("")
    assert not valid_delivery_id("../etc")
    assert not valid_delivery_id("a" * 200)


def test_decode_json_and_form_bodies() -> None:
    payload = load("star.created")
    raw = json.dumps(payload).encode()
    assert decode_payload(raw, "application/json; charset=utf-8") == payload
    form = urlencode({"payload": json.dumps(payload)}).encode()
    assert decode_payload(form, FORM_CONTENT_TYPE) == payload


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"other=1", FORM_CONTENT_TYPE),
        (b"payload=%7Bbroken", FORM_CONTENT_TYPE),
    ],
)
def test_decode_rejects_malformed_bodies(body: bytes, ctype: str) -> None:
    with pytest.raises(PayloadError):
        decode_payload(body, ctype)


def test_partition_keys_follow_the_project_rule() -> None:
    assert github_partition_key("Codertocat/Hello-World") == "codertocat__hello-world"
    assert github_partition_key("Owner/Name.git") == "owner__name"
    assert repo_source("https://github.com/Owner/Name").key == "owner__name"
    ghe = SourcePolicy(allowed_hosts=("github.com", "ghe.example.com"))
    assert repo_source("https://ghe.example.com/Org/Repo", ghe).key == "ghe.example.com__org__repo"
    with pytest.raises(SourceError):
        github_partition_key("no-slash")


def test_enterprise_host_needs_to_be_allowed() -> None:
    payload = load("star.created")
    payload["repository"]["html_url"] = "https://ghe.example.com/Codertocat/Hello-World"
    refused = classify_event("star", payload, policy=SourcePolicy())
    assert refused.outcome == "ignore" and "ghe.example.com" in refused.reason
    allowed = SourcePolicy(allowed_hosts=("github.com", "ghe.example.com"))
    c = classify_event("star", payload, policy=allowed)
    assert c.accepted and c.partition_key == "ghe.example.com__codertocat__hello-world"


@pytest.mark.parametrize(
    ("event", "fixture", "outcome", "key"),
    [
        ("ping", "ping", "pong", None),
        ("star", "star.created", "accept", "codertocat__hello-world"),
        ("star", "star.deleted", "ignore", "codertocat__hello-world"),
        ("watch", "watch.started", "accept", "codertocat__hello-world"),
        ("push", "push", "ignore", "codertocat__hello-world"),
        ("push", "push.with-new-branch", "accept", "codertocat__hello-world"),
        ("release", "release.published", "accept", "codertocat__hello-world"),
        ("repository", "repository.created", "accept", "octocoders__hello-world"),
        ("repository_dispatch", "repository_dispatch", "ignore", "octo-org__octo-repo"),
        ("issues", "issues.opened", "ignore", "codertocat__hello-world"),
    ],
)
def test_classify_fixtures(event: str, fixture: str, outcome: str, key: str | None) -> None:
    c = classify_event(event, load(fixture))
    assert c.outcome == outcome, c.reason
    assert c.reason
    # Only accepted deliveries are parsed further (ignored ones cost nothing more).
    assert c.partition_key == (key if outcome == "accept" else None)


def test_default_branch_push_carries_commit_and_tag_push_says_why() -> None:
    accepted = classify_event("push", load("push.with-new-branch"))
    assert accepted.commit_sha == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    assert accepted.ref == "refs/heads/master"
    assert accepted.repo_url == "https://github.com/Codertocat/Hello-World"
    tag = classify_event("push", load("push"))
    assert "refs/tags/simple-tag" in tag.reason


def test_push_to_other_branch_and_branch_deletion_are_ignored() -> None:
    payload = load("push.with-new-branch")
    other = copy.deepcopy(payload)
    other["ref"] = "refs/heads/feature"
    c = classify_event("push", other)
    assert c.outcome == "ignore" and "default branch" in c.reason
    deleted = copy.deepcopy(payload)
    deleted["deleted"] = True
    deleted["after"] = "0" * 40
    assert classify_event("push", deleted).outcome == "ignore"


def test_actions_that_do_not_render() -> None:
    release = load("release.published")
    release["action"] = "created"
    assert classify_event("release", release).outcome == "ignore"
    repo = load("repository.created")
    repo["action"] = "deleted"
    assert classify_event("repository", repo).outcome == "ignore"


def test_repository_dispatch_render_action() -> None:
    payload = load("repository_dispatch")
    ignored = classify_event("repository_dispatch", payload)
    assert "on-demand-test" in ignored.reason and "render" in ignored.reason
    payload["action"] = "repo2video.render"
    private = classify_event("repository_dispatch", payload)
    assert private.outcome == "ignore" and "private" in private.reason
    assert classify_event("repository_dispatch", payload, allow_private=True).accepted
    payload["repository"]["private"] = False
    payload["action"] = "render"
    payload["client_payload"] = {"commit": "a" * 40}
    c = classify_event("repository_dispatch", payload)
    assert c.accepted and c.commit_sha == "a" * 40 and c.partition_key == "octo-org__octo-repo"


def test_payload_without_repository_is_ignored() -> None:
    payload = load("star.created")
    del payload["repository"]
    c = classify_event("star", payload)
    assert c.outcome == "ignore" and "repository" in c.reason


def test_summary_is_small_and_leaves_out_payload_bodies() -> None:
    payload = load("repository_dispatch")
    payload["client_payload"] = {"token": "ghp_SECRETSECRET"}
    payload["action"] = "render"
    c = classify_event("repository_dispatch", payload, allow_private=True)
    text = json.dumps(c.summary)
    assert "ghp_SECRET" not in text
    push = classify_event("push", load("push.with-new-branch"))
    assert push.summary["after"] == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    assert len(json.dumps(push.summary)) < 1000
