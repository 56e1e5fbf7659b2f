"""The README: where it is, and what it says the project is (title, description, excerpt)."""

from __future__ import annotations

import os
import re

from repo2video_dagster.lib.source.profile.files import CheckoutScan, ScannedFile
from repo2video_dagster.lib.source.profile.markdown import LIST_ITEM_RE, Block, plain_text
from repo2video_dagster.lib.source.profile.walk import is_inside, read_bytes, read_text

README_RE = re.compile(r"^readme(\.[a-z0-9]+)?$", re.I)
_README_ORDER = {".md": 0, ".markdown": 1, ".rst": 2, ".txt": 3, "": 4}


def find_readme(scan: CheckoutScan, limit: int) -> tuple[str | None, str | None]:
    """The README (top level, else docs/) as (relative path, text); links resolved inside only."""
    candidates = [
        f
        for f in scan.files
        if README_RE.match(f.name)
        and (len(f.parts) == 1 or (len(f.parts) == 2 and f.parts[0].lower() == "docs"))
    ]
    candidates.sort(
        key=lambda f: (
            len(f.parts),
            _README_ORDER.get(os.path.splitext(f.name.lower())[1], 5),
            f.rel,
        )
    )
    for f in candidates:
        rel = f.rel
        if f.link:
            rel = _link_target(scan, f)
            if rel is None:
                scan.notes.append(
                    f"{f.display} is a symbolic link to outside the repository; not read"
                )
                continue
        text = read_text(scan.root, rel, limit)
        if text is not None and text.strip():
            return rel, text
    return None, None


def _link_target(scan: CheckoutScan, f: ScannedFile) -> str | None:
    """Where a link points, as a path inside the checkout, or None if it leaves it."""
    full = os.path.join(scan.root, f.rel)
    try:
        if os.path.islink(full):
            target = os.readlink(full)
        else:  # git symlink checked out as a plain file holding the target
            target = (read_bytes(scan.root, f.rel, 4096) or b"").decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not target or target.startswith("/") or "\0" in target:
        return None
    rel = os.path.normpath(os.path.join(os.path.dirname(f.rel), target)).replace(os.sep, "/")
    if rel.startswith("../") or rel == ".." or rel not in scan.by_rel:
        return None
    if scan.by_rel[rel].link or not is_inside(
        scan.root, os.path.realpath(os.path.join(scan.root, rel))
    ):
        return None
    return rel


_SECTION_WORDS = frozenset(
    {
        "about",
        "contents",
        "description",
        "documentation",
        "features",
        "getting started",
        "installation",
        "install",
        "introduction",
        "overview",
        "readme",
        "summary",
        "table of contents",
        "usage",
    }
)
_BADGE_RE = re.compile(r"\[?!\[[^\]]*\]\([^)]*\)(?:\]\([^)]*\))?")


def title_name(blocks: list[Block]) -> str | None:
    """The README's title when it reads as a name ("# mdtoc"), not a sentence or a section.

    Only a top heading that comes before any prose counts (logos, HTML and badge rows
    may precede it): a first ``# Overview`` after an introduction is a section, not
    the project's name.
    """
    for block in blocks:
        if block.kind == "heading" and block.level == 1:
            title = plain_text(block.text).strip()
            if (
                title
                and len(title) <= 40
                and len(title.split()) <= 3
                and not title.endswith((".", "!", "?"))
                and title.lower() not in _SECTION_WORDS
            ):
                return title
            return None
        if block.kind == "html" or (
            block.kind == "para" and not _BADGE_RE.sub("", block.text).strip()
        ):
            continue
        if block.kind != "heading":
            return None
    return None


def _prose(block: Block) -> str | None:
    """Plain text of a block if it reads like prose (not a badge row, link list or TOC)."""
    if block.kind not in ("para", "quote", "html"):
        return None
    text = plain_text(block.text)
    words = re.findall(r"[A-Za-z\u00c0-\uffff]{2,}", text)
    if len(text) < 25 or len(words) < 4:
        return None
    if _linky(block.text, text):
        return None  # a navigation bar, a table of contents or a list of links
    if re.match(r"^(table of contents|contents|toc)\b", text, re.I):
        return None
    return text


def _linky(raw: str, text: str) -> bool:
    """Whether a block is mostly links (navigation, TOC) rather than sentences."""
    links = re.findall(r"\[([^\]]*)\]\([^)]*\)|<a\b[^>]*>(.*?)</a>", raw, re.I | re.S)
    linked = sum(len(plain_text(a or b)) for a, b in links)
    if len(links) >= 3 and linked > 0.5 * len(text):
        return True
    return len(re.findall(r"\s[•|·]\s", text)) >= 3


def readme_description(blocks: list[Block]) -> str:
    """The first prose paragraph, cut to two sentences: what the project says it is."""
    for block in blocks:
        if text := _prose(block):
            return _sentences(text, 2, 300)
    return ""


def _sentences(text: str, count: int, limit: int) -> str:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])", text)
    out = ""
    for part in parts[:count]:
        candidate = f"{out} {part}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    return out or _cut(parts[0], limit)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


_EXCERPT_STOP = re.compile(
    r"install|usage|example|licen[cs]e|contribut|changelog|build|develop|test|api|document", re.I
)


def readme_excerpt(blocks: list[Block], limit: int = 1000) -> str:
    """Opening prose of the README, stopping at the first how-to section once there is some."""
    paras: list[str] = []
    size = 0
    for block in blocks:
        if block.kind == "heading" and paras and _EXCERPT_STOP.search(plain_text(block.text)):
            break
        if block.kind == "para" and block.text.rstrip().endswith(":"):
            continue  # "Install it with:" introduces a code block that is not in the excerpt
        if block.kind == "list":
            items = [plain_text(LIST_ITEM_RE.sub("", line)) for line in block.text.splitlines()]
            items = [item for item in items if item]
            text = "" if _linky(block.text, " ".join(items)) else "\n".join(f"- {i}" for i in items)
        else:
            text = _prose(block) or ""
        if not text:
            continue
        paras.append(text)
        size += len(text) + 2
        if size >= limit:
            break
    return _cut("\n\n".join(paras), limit)


def sections_under(blocks: list[Block], pattern: re.Pattern[str]) -> list[list[Block]]:
    """Blocks under each heading matching ``pattern`` (until the next heading of that level)."""
    found = []
    for i, block in enumerate(blocks):
        if block.kind == "heading" and pattern.search(plain_text(block.text)):
            body = []
            for nxt in blocks[i + 1 :]:
                if nxt.kind == "heading" and nxt.level <= block.level:
                    break
                body.append(nxt)
            found.append(body)
    return found
