"""The profile shown in the Dagster UI: a languages table and a short markdown card."""

from __future__ import annotations

from typing import TYPE_CHECKING

from repo2video_dagster.lib.core.records import RepoProfile, format_share

if TYPE_CHECKING:  # pandas is heavy; only languages_frame needs it
    import pandas


def languages_frame(profile: RepoProfile) -> pandas.DataFrame:
    """Languages as a table for Dagster metadata: share in percent, biggest first."""
    import pandas

    rows = [
        {
            "language": lang.name,
            "files": lang.files,
            "lines": lang.lines,
            "share": round(lang.share * 100, 1),
        }
        for lang in sorted(profile.languages, key=lambda lang: (-lang.lines, lang.name))
    ]
    return pandas.DataFrame(rows, columns=["language", "files", "lines", "share"])


def profile_summary_markdown(profile: RepoProfile) -> str:
    """A short markdown card of the profile, for the Dagster UI."""
    langs = ", ".join(f"{lang.name} {format_share(lang.share)}" for lang in profile.languages[:4])
    history = profile.history
    commits = f"{history.commits}{'+' if history.truncated else ''}"
    rows = [
        ("Language", langs or "none detected"),
        ("Files / code lines", f"{profile.total_files} / {profile.total_lines}"),
        ("License", profile.license or "not found"),
        ("Commits", f"{commits} by {history.people} contributor(s)"),
        ("Last commit", (history.last_commit or "")[:10] or "unknown"),
        ("Entry points", ", ".join(profile.entry_points[:4]) or "none found"),
    ]
    if profile.stars is not None:
        rows.append(("Stars", str(profile.stars)))
    lines = [f"### {_md_escape(profile.full_name)}", ""]
    if profile.description:
        lines += [_md_escape(profile.description), ""]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {label} | {_md_escape(value)} |" for label, value in rows]
    if profile.install_commands:
        lines += ["", "```bash", *profile.install_commands, "```"]
    if profile.notes:
        lines += ["", "Notes: " + "; ".join(_md_escape(n) for n in profile.notes[:5])]
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
