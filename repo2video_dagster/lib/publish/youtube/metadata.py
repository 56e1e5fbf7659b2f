"""Video metadata inside YouTube's documented limits.

YouTube rejects an insert whose title is over 100 characters or contains ``<``/``>``,
whose description is over 5,000 bytes, or whose tags add up to over 500 characters
(a tag with a space counts its quotes). Chapters are recognised in the description
only when the first is at 0:00, there are at least three and each lasts >= 10 s; a
list that breaks a rule is left out rather than shown as plain text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX_CHARS = 500
CHAPTERS_MIN = 3
CHAPTER_MIN_S = 10.0
PRIVACY_VALUES = ("private", "unlisted", "public")
SHORTS_TAG = "#Shorts"


@dataclass(frozen=True)
class VideoMetadata:
    """The ``snippet`` and ``status`` parts of one video."""

    title: str
    description: str
    tags: list[str]
    category_id: str = "28"
    language: str = "en"
    privacy: str = "private"
    publish_at: str | None = None
    made_for_kids: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict:
        """The request body of ``videos.insert`` / ``videos.update`` (without ``id``)."""
        status: dict = {
            "privacyStatus": self.privacy,
            "selfDeclaredMadeForKids": self.made_for_kids,
        }
        if self.publish_at:
            # YouTube schedules only private videos: publishAt requires privacy private.
            status = {**status, "privacyStatus": "private", "publishAt": self.publish_at}
        return {
            "snippet": {
                "title": self.title,
                "description": self.description,
                "tags": self.tags,
                "categoryId": self.category_id,
                "defaultLanguage": self.language,
                "defaultAudioLanguage": self.language,
            },
            "status": status,
        }

    def digest(self) -> str:
        """A hash of the body: a stored video whose digest differs gets ``videos.update``."""
        raw = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:16]


def clean_title(title: str, *, suffix: str = "") -> str:
    """One line, no ``<``/``>``, at most 100 characters (cut at a word, with an ellipsis)."""
    text = " ".join(title.replace("<", "‹").replace(">", "›").split()) or "Untitled"
    limit = TITLE_MAX_CHARS - len(suffix)
    if len(text) > limit:
        cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
        text = cut.rstrip(" ,;:-") + "…"
    return text + suffix


def fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes at a line (else a character) boundary."""
    if len(text.encode()) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for line in text.splitlines(keepends=True):
        if size + len(line.encode()) > limit:
            break
        kept.append(line)
        size += len(line.encode())
    if kept:
        return "".join(kept).rstrip()
    return text.encode()[:limit].decode("utf-8", "ignore")


def tag_cost(tag: str) -> int:
    """Characters a tag counts against the 500: a tag with a space is counted quoted."""
    return len(tag) + (2 if " " in tag else 0)


def fit_tags(tags: Sequence[str]) -> list[str]:
    """Distinct, cleaned tags (no ``<``/``>``/commas) in order, while the total fits."""
    kept: list[str] = []
    seen: set[str] = set()
    total = 0
    for raw in tags:
        tag = re.sub(r"[<>,\"]", "", " ".join(str(raw).split())).strip()[:100]
        if not tag or tag.lower() in seen:
            continue
        cost = tag_cost(tag) + (1 if kept else 0)  # comma between tags
        if total + cost > TAGS_MAX_CHARS:
            continue
        kept.append(tag)
        seen.add(tag.lower())
        total += cost
    return kept


def timestamp(seconds: float) -> str:
    """``M:SS`` or ``H:MM:SS``, as YouTube writes chapter times (first one ``00:00``)."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def chapter_lines(chapters: Sequence[tuple[float, str]], duration_s: float) -> list[str] | None:
    """``00:00 Title`` lines for YouTube chapters, or None when the rules cannot be met.

    Chapters shorter than 10 s are merged into the one before; the first starts at 0.
    """
    merged: list[tuple[float, str]] = []
    for start, title in sorted(chapters):
        label = " ".join(str(title).replace("<", "").replace(">", "").split())[:90]
        if not merged:
            merged.append((0.0, label))
        elif start - merged[-1][0] >= CHAPTER_MIN_S:
            merged.append((float(start), label))
    while merged and len(merged) > 1 and duration_s - merged[-1][0] < CHAPTER_MIN_S:
        merged.pop()
    if len(merged) < CHAPTERS_MIN:
        return None
    return [f"{timestamp(start)} {label}" for start, label in merged]


def build_description(
    summary: str,
    *,
    chapters: Sequence[tuple[float, str]],
    duration_s: float,
    links: Sequence[str] = (),
    short: bool = False,
) -> str:
    """Summary, links, chapters (when valid), ``#Shorts`` for a reel; within 5,000 bytes.

    Chapters go before the summary is cut, so a long summary never drops them.
    """
    clean = summary.replace("<", "‹").replace(">", "›").strip()
    tail: list[str] = []
    if links:
        tail += ["", *links]
    lines = None if short else chapter_lines(chapters, duration_s)
    if lines:
        tail += ["", "Chapters:", *lines]
    if short:
        tail += ["", SHORTS_TAG]
    tail_text = "\n".join(tail)
    room = DESCRIPTION_MAX_BYTES - len(tail_text.encode())
    return (fit_bytes(clean, max(0, room)) + tail_text).strip()
