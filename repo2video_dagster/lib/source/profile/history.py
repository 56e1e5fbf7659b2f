"""Who made the project and when, from the checkout's git log (read offline)."""

from __future__ import annotations

import os
from collections import Counter

from repo2video_dagster.lib.core.records import Contributor, GitHistory, RepoSnapshot
from repo2video_dagster.lib.source.git import GitCommandError, GitTimeoutError, run_git
from repo2video_dagster.lib.source.profile.walk import OFFLINE_GIT


def read_history(root: str, snapshot: RepoSnapshot, notes: list[str]) -> GitHistory:
    """Commits, contributors (bots left out) and dates; a shallow history is noted as such."""
    if not os.path.exists(os.path.join(root, ".git")):
        notes.append("no git metadata in the checkout: history unknown")
        return GitHistory(commits=0, contributors=[], first_commit=None, last_commit=None)
    try:
        out = run_git(
            ["log", "--no-color", "--format=%an%x1f%aI%x1f%s%x1e", "-n", "200000", "HEAD", "--"],
            root,
            OFFLINE_GIT,
            120,
            offline=True,
        )
    except (GitCommandError, GitTimeoutError, OSError) as exc:
        notes.append(f"could not read git history: {exc}")
        return GitHistory(commits=0, contributors=[], first_commit=None, last_commit=None)
    records = []
    for raw in out.decode("utf-8", "replace").split("\x1e"):
        fields = raw.strip("\n").split("\x1f")
        if len(fields) == 3:
            records.append(fields)
    authors = Counter(name.strip() or "unknown" for name, _, _ in records)
    people = [(n, c) for n, c in authors.items() if not _is_bot(n)]  # dependabot is no author
    contributors = [
        Contributor(name=name, commits=count)
        for name, count in sorted(people, key=lambda kv: (-kv[1], kv[0].lower()))[:10]
    ]
    shallow = os.path.exists(os.path.join(root, ".git", "shallow"))
    depth = snapshot.history_depth
    truncated = shallow or bool(depth and len(records) >= depth)
    if truncated:
        notes.append(
            f"history is shallow ({len(records)} most recent commits): counts are lower bounds"
        )
    return GitHistory(
        commits=len(records),
        contributors=contributors,
        first_commit=records[-1][1] if records else None,
        last_commit=records[0][1] if records else None,
        truncated=truncated,
        recent_subjects=[subject.strip()[:120] for _, _, subject in records[:5]],
        contributor_count=len(people),
    )


def _is_bot(name: str) -> bool:
    low = name.lower()
    return low.endswith(("[bot]", "-bot", " bot")) or low in (
        "dependabot",
        "renovate",
        "github-actions",
    )
