"""What the README says about *why* the project exists and *what* it offers.

A video that tells a story needs the problem in the project's own words (a
"Why", "Motivation" or "Problem" section) and what it offers (a "Features"
list). Both are read from the README only; when a README has neither, they stay
empty and the script says nothing about them rather than guessing.
"""

from __future__ import annotations

import re

from repo2video_dagster.lib.source.profile.markdown import LIST_ITEM_RE, Block, plain_text
from repo2video_dagster.lib.source.profile.readme import sections_under

__all__ = ["readme_features", "readme_problem"]

# "Why", "Why repo2video?", "Why use it" name the project's reason to exist; a longer
# "Why X is done with Y" heading explains one technical choice, not the problem.
_PROBLEM_HEAD = re.compile(
    r"^\s*(why(\s+\S+){0,3}\s*\??\s*$|motivation|the problem|problem\b|background|rationale"
    r"|what problem)",
    re.I,
)
_FEATURES_HEAD = re.compile(r"^\s*(key\s+)?(features|highlights|what it does)\b", re.I)
MAX_FEATURES = 5
MAX_FEATURE_CHARS = 90
MAX_PROBLEM_CHARS = 300


def _prose_text(block: Block) -> str:
    if block.kind not in ("para", "quote"):
        return ""
    text = re.sub(r"\s+", " ", plain_text(block.text)).strip()
    words = re.findall(r"[A-Za-z\u00c0-\uffff]{2,}", text)
    return text if len(words) >= 5 else ""


def readme_problem(blocks: list[Block]) -> str:
    """The first prose paragraph under a "Why" / "Motivation" / "Problem" heading, cut to
    two sentences ("" when the README has no such section)."""
    for section in sections_under(blocks, _PROBLEM_HEAD):
        for block in section:
            text = _prose_text(block)
            if text:
                parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", text)
                out = ""
                for part in parts[:2]:
                    candidate = f"{out} {part}".strip()
                    if len(candidate) > MAX_PROBLEM_CHARS:
                        break
                    out = candidate
                return out
    return ""


def readme_features(blocks: list[Block]) -> list[str]:
    """Items of the first list under a "Features" heading: short, plain, at most five."""
    for section in sections_under(blocks, _FEATURES_HEAD):
        for block in section:
            if block.kind != "list":
                continue
            items = []
            for line in block.text.splitlines():
                if not LIST_ITEM_RE.match(line):
                    continue  # a continuation or nested detail
                text = re.sub(r"\s+", " ", plain_text(LIST_ITEM_RE.sub("", line))).strip()
                text = text.split(" — ")[0].split(": ")[0] if len(text) > 60 else text
                if 3 <= len(text) <= MAX_FEATURE_CHARS:
                    items.append(text.rstrip("."))
            if items:
                return items[:MAX_FEATURES]
    return []
