"""Hostile inputs: each must end in a verified video or one clear error, and leak nothing.

A *case* builds its input (a URL, a path, a real git repository), runs the product on
it and classifies what happened:

- ``video``: the render succeeded and ffprobe confirms the video;
- ``error``: a :class:`UserError` with one line saying what is wrong and what to do;
- ``crash``: any other exception, a traceback-like message, or a non-user run failure;
- ``leak``: a sentinel from outside the checkout reached an output, a message or the
  instance, or something in the repository was executed;
- ``wrong``: it ended cleanly but not as it must (a refused URL was accepted, a
  video failed its probe).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from repo2video_dagster.lib.core.errors import RepositoryLimitError, UserError
from repo2video_dagster.lib.core.records import RepoProfile, RepoSnapshot, to_jsonable
from repo2video_dagster.lib.source.checkout import clone_snapshot
from repo2video_dagster.lib.source.pinning import pin_remote
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.profile import build_profile
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_devtools.reliability import repos
from repo2video_devtools.reliability.checks import (
    audit,
    find_leaks,
    html_problems,
    network_calls,
    process_starts,
    reads_outside,
)
from repo2video_devtools.reliability.render import render_in_process

LOCAL = SourcePolicy(allow_local=True)
MANY_FILES = 100_000
MANY_FILES_BUDGET_S = 30.0
"""A 100k-file repository must be refused (or profiled) within this time."""


@dataclass
class CaseResult:
    name: str
    expected: str
    """``video`` or ``error``."""
    outcome: str
    detail: str
    seconds: float

    @property
    def passed(self) -> bool:
        return self.outcome == self.expected

    def line(self) -> str:
        mark = "ok  " if self.passed else "FAIL"
        return f"{mark} {self.name:<34} {self.outcome:<6} {self.seconds:6.1f}s  {self.detail}"


def _one_line(message: str) -> bool:
    return bool(message) and "\n" not in message and "Traceback" not in message


def _timed(name: str, expected: str, body: Callable[[], tuple[str, str]]) -> CaseResult:
    started = time.monotonic()
    try:
        outcome, detail = body()
    except Exception as exc:  # the case itself must classify; anything escaping is a crash
        outcome, detail = "crash", f"{type(exc).__name__}: {exc}"
    return CaseResult(name, expected, outcome, detail[:300], round(time.monotonic() - started, 2))


def _error_outcome(err: Exception, needles: list[bytes], outside: repos.Outside | None) -> str:
    message = str(err)
    if any(n.decode() in message for n in needles) or (outside and outside.executed()):
        return "leak"
    if not isinstance(err, UserError) or not _one_line(message):
        return "crash"
    return "error"


# --------------------------------------------------------------------------- URLs

PUBLIC_ADDRESS = "140.82.112.3"


def _resolver_to(address: str) -> Callable[[str], list[str]]:
    return lambda _host: [address]


URL_CASES: list[tuple[str, str, SourcePolicy, str | None]] = [
    # (name, target, policy, the address DNS answers with; None: refused while parsing)
    ("ext:: transport", "ext::sh -c touch% /tmp/r2v-pwned", SourcePolicy(), None),
    ("fd:: transport", "fd::17", SourcePolicy(), None),
    ("option injection", "--upload-pack=touch /tmp/r2v-pwned", SourcePolicy(), None),
    ("leading dash path part", "https://github.com/-oProxyCommand=x/n", SourcePolicy(), None),
    ("file:// while disabled", "file:///etc", SourcePolicy(), None),
    ("local path while disabled", "/etc", SourcePolicy(), None),
    ("credentials in URL", "https://user:R2V-PASSWORD@github.com/o/n", SourcePolicy(), None),
    ("token in URL", "https://ghp_R2VTOKEN123@github.com/o/n", SourcePolicy(), None),
    ("host not allowed", "https://evil.example.com/o/n", SourcePolicy(), None),
    ("look-alike host", "https://github.com.evil.example/o/n", SourcePolicy(), None),
    ("userinfo host trick", "https://github.com@evil.example/o/n", SourcePolicy(), None),
    ("plain http", "http://github.com/o/n", SourcePolicy(), None),
    ("ssh while disabled", "git@github.com:o/n.git", SourcePolicy(), None),
    ("loopback address", "https://github.com/o/n", SourcePolicy(), "127.0.0.1"),
    ("private address", "https://github.com/o/n", SourcePolicy(), "10.0.0.7"),
    ("link-local metadata", "https://github.com/o/n", SourcePolicy(), "169.254.169.254"),
    ("IPv6 loopback", "https://github.com/o/n", SourcePolicy(), "::1"),
    (
        "allowed IP literal loopback",
        "https://127.0.0.1/o/n",
        SourcePolicy(allowed_hosts=("127.0.0.1",)),
        "127.0.0.1",
    ),
]


def url_case(name: str, target: str, policy: SourcePolicy, address: str | None) -> CaseResult:
    """Refused with one line, before any process start, DNS lookup or connection.

    Targets with an ``address`` pass parsing; the address check where git would
    connect (:func:`pin_remote`, with DNS answering ``address``) must refuse them.
    """

    def body() -> tuple[str, str]:
        with audit() as events:
            try:
                source = parse_target(target, policy)
                if address:
                    pin_remote(source, policy, 30, resolver=_resolver_to(address))
            except Exception as err:  # classified below
                outcome = _error_outcome(err, [b"R2V-PASSWORD", b"R2VTOKEN"], None)
                started = process_starts(events)
                asked = network_calls(events)
                if started or asked:
                    return "wrong", f"refused only after {started or asked}"
                return outcome, str(err)
        return "wrong", f"accepted as {source.url}"

    return _timed(f"url: {name}", "error", body)


def url_cases() -> list[CaseResult]:
    return [url_case(*case) for case in URL_CASES]


# --------------------------------------------------------------------------- repositories


def clone_and_profile(
    repo: Path, workspace: Path, policy: SourcePolicy = LOCAL
) -> tuple[RepoSnapshot, RepoProfile]:
    snapshot = clone_snapshot(parse_target(str(repo), policy), workspace, policy)
    return snapshot, build_profile(snapshot)


@dataclass(frozen=True)
class RepoErrorCase:
    """A repository that must be refused (at parse, clone or profile) with one clear line."""

    name: str
    build: Callable[[Path], Path]
    policy: SourcePolicy = LOCAL
    expect_type: type[UserError] = UserError
    budget_s: float | None = None


def repo_error_case(case: RepoErrorCase, work: Path, outside: repos.Outside) -> CaseResult:
    def body() -> tuple[str, str]:
        root = work / re.sub(r"[^a-z0-9]+", "-", case.name.lower())
        shutil.rmtree(root, ignore_errors=True)
        repo = case.build(root / "repo")
        started = time.monotonic()
        stage = "clone"
        try:
            source = parse_target(str(repo), case.policy)
            snapshot = clone_snapshot(source, root / "ws", case.policy)
            stage = "profile"
            profile = build_profile(snapshot)
        except Exception as err:  # classified below
            outcome = _error_outcome(err, outside.needles, outside)
            elapsed = time.monotonic() - started
            if outcome == "error" and not isinstance(err, case.expect_type):
                return "wrong", f"{type(err).__name__}: {err}"
            if case.budget_s is not None and elapsed > case.budget_s:
                return "wrong", f"took {elapsed:.1f} s (budget {case.budget_s:.0f} s): {err}"
            ws = root / "ws"
            leftovers = [p.name for p in ws.glob("*") if not p.name.startswith(".")]
            if outcome == "error" and stage == "clone" and leftovers:
                return "wrong", f"refused but left {leftovers} in the workspace"
            return outcome, f"{stage}: {err}"
        dumped = json.dumps(to_jsonable(profile))
        if any(n.decode() in dumped for n in outside.needles):
            return "leak", "profile holds content from outside the checkout"
        return "wrong", "accepted; expected a clear error"

    return _timed(f"repo: {case.name}", "error", body)


def _readme_to_passwd(path: Path) -> Path:
    return repos.make_repo(
        path, {"main.py": "print('hi')\n"}, symlinks={"README.md": "/etc/passwd"}
    )


def _commit_without_files(path: Path) -> Path:
    repos.make_repo(path, commit=False)
    repos.commit_all(path, "empty")
    return path


_BLOB = bytes(range(256)) * 64

REPO_ERROR_CASES = [
    RepoErrorCase("empty (no commits)", lambda p: repos.make_repo(p, commit=False)),
    RepoErrorCase("commit without files", _commit_without_files),
    RepoErrorCase("no README", lambda p: repos.make_repo(p, {"main.py": "x = 1\n"})),
    RepoErrorCase(
        "README plus binaries only",
        lambda p: repos.make_repo(
            p, {"README.md": "# Bin\n\nData.\n", "a.bin": _BLOB, "b.png": _BLOB}
        ),
    ),
    RepoErrorCase("README is a link to /etc/passwd", _readme_to_passwd),
    RepoErrorCase(
        f"{MANY_FILES // 1000}k tiny files",
        lambda p: repos.many_files_repo(p, MANY_FILES),
        expect_type=RepositoryLimitError,
        budget_s=MANY_FILES_BUDGET_S,
    ),
    RepoErrorCase(
        "over the size limit",
        lambda p: repos.make_repo(
            p, {"README.md": "# Big\n\nA big one.\n", "big.txt": "y" * 3_000_000}
        ),
        policy=SourcePolicy(allow_local=True, max_repo_bytes=1_000_000),
        expect_type=RepositoryLimitError,
    ),
]


def repo_error_cases(work: Path, outside: repos.Outside) -> list[CaseResult]:
    """Repositories that cannot make a video: each must give one clear line."""
    return [repo_error_case(case, work, outside) for case in REPO_ERROR_CASES]


# --------------------------------------------------------------------------- renders


RenderBuild = Callable[[Path, repos.Outside], Path]


def render_case(name: str, build: RenderBuild, work: Path, outside: repos.Outside) -> CaseResult:
    """Render through the real asset graph; verify the video, the HTML, and look for leaks."""

    def body() -> tuple[str, str]:
        root = work / re.sub(r"[^a-z0-9]+", "-", name.lower())
        shutil.rmtree(root, ignore_errors=True)
        repo = build(root / "repo", outside)
        outcome = render_in_process(str(repo), root)
        leaks = find_leaks([outcome.data_dir, outcome.home], outside.needles)
        ran = outside.executed()
        if leaks or ran:
            return "leak", f"leaked {leaks[:3]} executed {ran}"
        if not outcome.ok:
            kind = "error" if outcome.user_error and _one_line(outcome.error or "") else "crash"
            return ("wrong" if kind == "error" else kind), f"render failed: {outcome.error}"
        problems = outcome.video_problems()
        for page in (outcome.post_html, outcome.site_index):
            problems += [
                f"{Path(page).name}: {p}" for p in html_problems(Path(page), repos.XSS_MARK)
            ]
        spoken = Path(outcome.post_markdown or "").read_text(encoding="utf-8")
        problems += [f"the transcript says {w!r}" for w in _UNSPEAKABLE if w in spoken]
        if problems:
            return "wrong", "; ".join(problems[:5])
        return "video", f"{outcome.narration_s:.1f} s video in {outcome.seconds:.0f} s"

    return _timed(f"render: {name}", "video", body)


_UNSPEAKABLE = ("alert(", "<script", "javascript:", "onerror", repos.XSS_MARK, "touch ")

RENDER_CASES: list[tuple[str, RenderBuild]] = [
    ("README only", lambda path, _outside: repos.readme_only_repo(path)),
    ("symlinks, non-UTF-8, binaries, hooks, XSS README", repos.hostile_repo),
]


def render_cases(work: Path, outside: repos.Outside) -> list[CaseResult]:
    return [render_case(name, build, work, outside) for name, build in RENDER_CASES]


def run_all(work: Path, *, renders: bool = True, receiver: bool = True) -> list[CaseResult]:
    """Every hostile case; ``renders=False`` leaves out the two real renders (about 2 minutes),
    ``receiver=False`` the attacks on the webhook receiver's port (about 1 minute)."""
    from repo2video_devtools.reliability import receiver_attacks  # it imports CaseResult

    work.mkdir(parents=True, exist_ok=True)
    outside = repos.plant_outside(work / "planted")
    results = url_cases() + repo_error_cases(work / "repos", outside)
    if receiver:
        results += receiver_attacks.run_all(work / "receiver")
    if renders:
        results += render_cases(work / "renders", outside)
    return results


def profile_in_audit(repo: Path, workspace: Path) -> tuple[RepoProfile, list[tuple[str, tuple]]]:
    """Clone, then build the profile while recording every file it opens and process it starts."""
    snapshot = clone_snapshot(parse_target(str(repo), LOCAL), workspace, LOCAL)
    with audit() as events:
        profile = build_profile(snapshot)
    return profile, list(events)


__all__ = [
    "CaseResult",
    "REPO_ERROR_CASES",
    "RepoErrorCase",
    "repo_error_case",
    "URL_CASES",
    "clone_and_profile",
    "profile_in_audit",
    "reads_outside",
    "RENDER_CASES",
    "render_case",
    "render_cases",
    "repo_error_cases",
    "run_all",
    "url_case",
    "url_cases",
]
