"""Bounded checkouts: clone a validated source into the workspace, or reuse one at HEAD.

:func:`clone_snapshot` runs git through :func:`run_git` (inert config, scrubbed
environment), pinned to the addresses checked by
:func:`~repo2video_dagster.lib.source.pinning.pin_remote`, and enforces the
policy's limits (time, files, bytes) while cloning, so that a huge repository
costs at most the configured budget. A checkout is renamed into place only when
complete, and clones of one key are serialised.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from repo2video_dagster.lib.core.records import RepoSnapshot, RepoSource
from repo2video_dagster.lib.source.addresses import Resolver
from repo2video_dagster.lib.source.checkout_limits import (
    LimitExceeded,
    download_guard,
    human_size,
    limit_error,
    measure_tree,
    tree_entries,
)
from repo2video_dagster.lib.source.git import (
    GitCommandError,
    GitTimeoutError,
    empty_git_home,
    run_git,
)
from repo2video_dagster.lib.source.git_failures import clone_timeout, command_error, source_error
from repo2video_dagster.lib.source.pinning import PinnedRemote, pin_remote
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.targets import NoCommitsError

try:  # POSIX only; without it concurrent clones of one key are not serialised.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

MARKER_NAME = "repo2video-snapshot.json"
"""Written inside ``.git`` of a finished checkout; its presence means the checkout is complete."""


def remote_head(
    source: RepoSource, policy: SourcePolicy, *, resolver: Resolver | None = None
) -> str:
    """Commit sha of the default branch's HEAD, without cloning (one ``git ls-remote``).

    ``resolver`` replaces the system resolver for the address check (tests).
    """
    deadline = time.monotonic() + policy.clone_timeout_s
    remote = pin_remote(source, policy, policy.clone_timeout_s, resolver=resolver)
    return _ls_remote(source, remote, policy, deadline - time.monotonic())[0]


def _ls_remote(
    source: RepoSource, remote: PinnedRemote, policy: SourcePolicy, timeout: float
) -> tuple[str, str | None]:
    local = source.kind == "local"
    try:
        out = run_git(
            ["ls-remote", "--symref", "--", remote.url, "HEAD"],
            empty_git_home(),
            policy,
            timeout,
            local=local,
            pins=remote.pins,
        )
    except GitTimeoutError as exc:
        raise clone_timeout(source, policy) from exc
    except GitCommandError as exc:
        raise source_error(source, exc) from exc
    sha, branch = None, None
    for line in out.decode("utf-8", "replace").splitlines():
        value, _, ref = line.partition("\t")
        if ref != "HEAD":
            continue
        if value.startswith("ref: refs/heads/"):
            branch = value[len("ref: refs/heads/") :]
        elif re.fullmatch(r"[0-9a-f]{40,64}", value):
            sha = value
    if sha is None:
        raise NoCommitsError(
            f"{source.display_name} has no commits", hint="Push at least one commit, then try again"
        )
    return sha, branch


def clone_snapshot(
    source: RepoSource,
    workspace: Path,
    policy: SourcePolicy,
    *,
    resolver: Resolver | None = None,
) -> RepoSnapshot:
    """Clone ``source`` into ``workspace/<key>``, or reuse it when it already holds HEAD.

    The clone goes to ``<key>.tmp-<random>`` and is renamed into place only when it
    is complete and within limits, so readers never see a half-written checkout.
    The host is resolved and checked once; ``ls-remote`` and the clone both connect
    to those addresses. ``resolver`` replaces the system resolver (tests).
    """
    workspace = Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + policy.clone_timeout_s
    dest = workspace / source.key
    with _key_lock(workspace, source.key):
        _remove_leftovers(workspace, source.key)
        remote = pin_remote(source, policy, deadline - time.monotonic(), resolver=resolver)
        head, _branch = _ls_remote(source, remote, policy, deadline - time.monotonic())
        reused = _reuse(dest, head, source, policy)
        if reused is not None:
            log.info("reusing checkout %s at %s", dest, head[:12])
            return reused
        tmp = workspace / f"{source.key}.tmp-{secrets.token_hex(4)}"
        try:
            snapshot = clone_into(
                source, tmp, policy, deadline, shallow=source.kind != "local", remote=remote
            )
            _write_marker(tmp, snapshot)
            _replace_dir(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    snapshot.checkout_dir = str(dest)
    log.info(
        "cloned %s at %s: %d files, %d bytes",
        source.display_name,
        snapshot.commit[:12],
        snapshot.file_count,
        snapshot.size_bytes,
    )
    return snapshot


def clone_into(
    source: RepoSource,
    tmp: Path,
    policy: SourcePolicy,
    deadline: float,
    *,
    shallow: bool,
    remote: PinnedRemote | None = None,
) -> RepoSnapshot:
    """Clone into ``tmp`` and measure; ``shallow`` picks the remote strategy (depth + blobless).

    ``shallow`` is separate from the source kind only so that tests can run the
    remote strategy against a local repository. ``remote`` is where git connects
    (pinned by :func:`pin_remote`, which runs here when it is not given).
    """
    local = source.kind == "local"
    depth = policy.history_depth if shallow else 0

    def remaining() -> float:
        return deadline - time.monotonic()

    pinned = remote or pin_remote(source, policy, remaining())

    def git(args: list[str], **kw: object) -> bytes:
        # Commands that may fetch (a blobless checkout fetches lazily) keep the pin.
        kw.setdefault("pins", pinned.pins)
        return run_git(args, tmp, policy, remaining(), local=local, **kw)  # type: ignore[arg-type]

    # Remote clones are shallow (history_depth commits) and blobless: commits and
    # trees come for the whole window (enough for `git log` statistics), file
    # contents only for HEAD at checkout. Measured on a 30-commit repository with
    # 60 KiB of churn per commit: full 616 KiB, --depth 10 246 KiB, --depth 10
    # --filter=blob:none 66 KiB. --no-checkout lets us count HEAD's files from its
    # trees and refuse an oversized repository before downloading any content.
    # Later git commands run with every transport disabled, so the partial clone
    # never fetches lazily behind our back. Local clones take full history.
    args = ["clone", "--quiet", "--no-checkout", "--no-tags", "--single-branch", "--template="]
    if depth > 0:
        args += ["--depth", str(depth)]
    if shallow:
        args += ["--filter=blob:none"]
    args += ["--", pinned.url, str(tmp)]
    guard = download_guard(tmp, policy.max_repo_bytes)
    try:
        run_git(
            args, empty_git_home(), policy, remaining(), local=local, poll=guard, pins=pinned.pins
        )
        tree = git(["ls-tree", "-r", "-z", "--full-tree", "HEAD"])
        files, links, gitlinks = tree_entries(tree)
        if len(files) + len(links) > policy.max_files:
            count = len(files) + len(links)
            raise LimitExceeded(f"{count} files (limit {policy.max_files})", "files")
        git(["checkout", "--quiet", "--force", "HEAD", "--"], poll=guard)
        file_count, size, lfs = measure_tree(tmp, policy.max_files, policy.max_repo_bytes)
        commit = git(["rev-parse", "--verify", "HEAD^{commit}"], offline=True).decode().strip()
        branch_out = git(["symbolic-ref", "-q", "--short", "HEAD"], offline=True, check=False)
        date = git(["log", "-1", "--format=%cI", "HEAD", "--"], offline=True).decode().strip()
    except GitTimeoutError as exc:
        raise clone_timeout(source, policy) from exc
    except GitCommandError as exc:
        if exc.command == "clone":
            raise source_error(source, exc) from exc
        raise command_error(source, exc) from exc
    except LimitExceeded as exc:
        raise limit_error(source, exc.what, exc.kind) from exc
    skipped = []
    if gitlinks:
        shown = ", ".join(gitlinks[:5]) + (" …" if len(gitlinks) > 5 else "")
        skipped.append(f"{len(gitlinks)} submodule(s) not fetched: {shown}")
    if links:
        skipped.append(f"{len(links)} symbolic link(s) checked out as plain text files")
    if lfs:
        skipped.append(f"{lfs} Git LFS pointer file(s): large file contents not downloaded")
    history_depth = depth if depth > 0 and (tmp / ".git" / "shallow").exists() else None
    return RepoSnapshot(
        source=source,
        checkout_dir=str(tmp),
        commit=commit,
        branch=branch_out.decode("utf-8", "replace").strip() or None,
        commit_date=date,
        file_count=file_count,
        size_bytes=size,
        history_depth=history_depth,
        skipped=skipped,
    )


def _write_marker(tmp: Path, snapshot: RepoSnapshot) -> None:
    data = dataclasses.asdict(snapshot)
    data.pop("source", None)
    data.pop("checkout_dir", None)
    (tmp / ".git" / MARKER_NAME).write_text(json.dumps(data), encoding="utf-8")


def _reuse(dest: Path, head: str, source: RepoSource, policy: SourcePolicy) -> RepoSnapshot | None:
    """The existing checkout as a snapshot when it is complete and already at ``head``."""
    marker = dest / ".git" / MARKER_NAME
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        current = (
            run_git(["rev-parse", "--verify", "HEAD^{commit}"], dest, policy, 30, offline=True)
            .decode()
            .strip()
        )
    except (OSError, ValueError, GitCommandError, GitTimeoutError):
        return None
    if data.get("commit") != head or current != head:
        return None
    fields = {f.name for f in dataclasses.fields(RepoSnapshot)} - {"source", "checkout_dir"}
    snapshot = RepoSnapshot(
        source=source, checkout_dir=str(dest), **{k: v for k, v in data.items() if k in fields}
    )
    if snapshot.file_count > policy.max_files:
        what = f"{snapshot.file_count} files (limit {policy.max_files})"
        raise limit_error(source, what, "files")
    if snapshot.size_bytes > policy.max_repo_bytes:
        what = f"{human_size(snapshot.size_bytes)} (limit {human_size(policy.max_repo_bytes)})"
        raise limit_error(source, what, "bytes")
    return snapshot


def _replace_dir(tmp: Path, dest: Path) -> None:
    if not dest.exists():
        os.rename(tmp, dest)
        return
    old = dest.with_name(f"{dest.name}.old-{secrets.token_hex(4)}")
    os.rename(dest, old)
    os.rename(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(workspace: Path, key: str) -> None:
    """Delete temp/old dirs of this key left by a crashed run (we hold the key's lock)."""
    for pattern in (f"{key}.tmp-*", f"{key}.old-*"):
        for path in workspace.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _key_lock(workspace: Path, key: str) -> Iterator[None]:
    """Serialise clones of one key across processes (Dagster may run a partition twice)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(workspace / f".{key}.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
