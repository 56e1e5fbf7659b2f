"""Transient faults are retried to success; permanent errors fail after one attempt.

Real faults through the real asset graph (run in process on a temp instance, only the
stages each case needs): a loopback git host (``git http-backend`` behind TLS) that
answers 500 or hangs up mid-pack, an OpenAI-compatible server answering 503, a GitHub
API answering 502, and the real ffmpeg behind a wrapper that SIGKILLs its first run.
Attempts are read back from the Dagster event log (``STEP_UP_FOR_RETRY`` /
``STEP_RESTARTED``) and from the ``/jobs`` view of the run. The cases live in
``repo2video_devtools.reliability.transient``, which ``make check-reliability`` runs too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from repo2video_devtools.reliability import transient
from repo2video_devtools.reliability.git_http_server import Fault
from repo2video_devtools.reliability.transient import FaultCase

needs_tools = pytest.mark.skipif(
    not (shutil.which("openssl") and shutil.which("git")),
    reason="the loopback git host needs openssl (a certificate) and git (http-backend)",
)


def assert_retried_to_success(case: FaultCase, attempts: int) -> None:
    assert case.problems == [], case.problems
    assert case.ok, case.error
    assert case.attempts[case.step] == attempts, case.attempts
    assert case.retry_events == attempts - 1  # STEP_UP_FOR_RETRY in the event log
    assert case.job_attempts == case.attempts  # what GET /jobs/<run id> answers
    others = {step: n for step, n in case.attempts.items() if step != case.step}
    assert set(others.values()) <= {1}, others
    assert case.passed, case.line()


def assert_failed_once(case: FaultCase, *needles: str) -> None:
    assert not case.ok
    assert case.attempts[case.step] == 1, case.attempts
    assert case.retry_events == 0
    assert case.job_attempts == case.attempts
    line = case.error or ""
    assert "\n" not in line and all(n in line for n in needles), line
    assert case.passed, case.line()


# ---- transient: retried, then the run succeeds --------------------------------------------


@needs_tools
def test_git_host_answering_500_is_retried(tmp_path: Path) -> None:
    case = transient.git_http_500(tmp_path)
    assert_retried_to_success(case, 2)
    assert case.notes["requests"][0] == "GET /tiny.git/info/refs 500"


@needs_tools
def test_git_host_hanging_up_mid_pack_is_retried(tmp_path: Path) -> None:
    case = transient.git_connection_dropped(tmp_path)
    assert_retried_to_success(case, 2)
    assert "POST /tiny.git/git-upload-pack dropped" in case.notes["requests"]


def test_llm_answering_503_is_retried(tmp_path: Path) -> None:
    case = transient.llm_503(tmp_path)
    assert_retried_to_success(case, 2)
    assert case.notes["statuses"] == [503, 503, 200]  # two tries per attempt, then the script


def test_github_api_answering_502_is_retried(tmp_path: Path) -> None:
    case = transient.github_502_once(tmp_path)
    assert_retried_to_success(case, 2)
    assert case.notes["statuses"] == [502, 200]
    assert case.notes["metadata"]["github_enrichment"] == "ok"


def test_github_api_down_renders_without_enrichment(tmp_path: Path) -> None:
    """Stars are optional: after the last attempt the profile goes on without them."""
    case = transient.github_502_always(tmp_path)
    assert_retried_to_success(case, 3)
    assert case.notes["statuses"] == [502, 502, 502]
    said = case.notes["metadata"]["github_enrichment"]
    assert said == "skipped: GitHub API error 502 for /repos/octo/tally: injected 502"
    assert any("GitHub enrichment skipped" in w for w in case.notes["warnings"])


@pytest.mark.slow
def test_encoder_killed_by_sigkill_is_retried(tmp_path: Path) -> None:
    case = transient.encoder_killed_once(tmp_path)
    assert_retried_to_success(case, 2)


@needs_tools
def test_transient_failure_after_the_last_attempt_fails_with_its_line(tmp_path: Path) -> None:
    case = transient.git_case("git host down", [Fault("/info/refs", "500")] * 3, tmp_path)
    assert case.problems == []
    assert not case.ok
    assert case.attempts == {"repo_snapshot": 3} == case.job_attempts
    assert case.retry_events == 2
    assert case.error is not None and "\n" not in case.error
    assert "answered the repository request with HTTP 500" in case.error
    assert case.error.endswith("The host or the network failed; try again later")
    assert case.job_error == case.error  # /jobs shows the same line


# ---- permanent: one attempt, one line -------------------------------------------------------


@needs_tools
def test_refused_url_is_not_retried(tmp_path: Path) -> None:
    case = transient.refused_url(tmp_path)
    assert_failed_once(case, "an internal address; refusing to clone from it")


def test_repository_over_the_limit_is_not_retried(tmp_path: Path) -> None:
    case = transient.over_size_limit(tmp_path)
    assert_failed_once(case, "is too large: 2 files (limit 1)", "REPO2VIDEO_MAX_FILES")


def test_repository_without_readme_is_not_retried(tmp_path: Path) -> None:
    case = transient.no_readme(tmp_path)
    assert_failed_once(case, "has no README")


def test_malformed_llm_answer_is_not_retried(tmp_path: Path) -> None:
    case = transient.malformed_llm_answer(tmp_path)
    assert_failed_once(case, "LLM script invalid")


# ---- outside a run: the CLI's remote HEAD lookup ---------------------------------------------


@needs_tools
def test_remote_head_lookup_before_a_cli_render_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``repo2video render`` resolves HEAD before any run exists (to answer "cached"):
    a git host's passing 500 there is retried like inside a run; a missing repository
    (permanent) is not."""
    import re

    from repo2video_dagster.lib.core.errors import SourceError, is_transient
    from repo2video_dagster.lib.core.retry import call_with_retries
    from repo2video_dagster.lib.source.checkout import remote_head
    from repo2video_dagster.lib.source.policy import SourcePolicy
    from repo2video_dagster.lib.source.targets import parse_target
    from repo2video_devtools.reliability import repos
    from repo2video_devtools.reliability.git_http_server import serve_git, trusting

    monkeypatch.setenv("REPO2VIDEO_RETRY_DELAY_S", "0.01")
    with serve_git(tmp_path / "git") as server, trusting(server):
        url = server.publish(repos.tiny_repo(tmp_path / "tiny"), "tiny")
        policy = SourcePolicy(**transient.loopback_source(server), clone_timeout_s=30)
        server.faults.append(Fault("/info/refs", "500"))
        told: list[tuple[str, float]] = []
        head = call_with_retries(
            lambda: remote_head(parse_target(url, policy), policy),
            on_retry=lambda err, wait: told.append((err.problem, wait)),
        )
        assert re.fullmatch(r"[0-9a-f]{40}", head)
        assert server.requests[0] == "GET /tiny.git/info/refs 500"
        assert len(told) == 1 and told[0][1] == pytest.approx(0.01), told
        assert "\n" not in told[0][0]

        missing = url.replace("tiny.git", "missing.git")
        told.clear()
        with pytest.raises(SourceError) as refused:
            call_with_retries(
                lambda: remote_head(parse_target(missing, policy), policy),
                on_retry=lambda err, wait: told.append((err.problem, wait)),
            )
        assert told == [] and not is_transient(refused.value)
        assert server.requests[-1] == "GET /missing.git/info/refs 404"
