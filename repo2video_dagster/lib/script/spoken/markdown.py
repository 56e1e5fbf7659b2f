"""Markdown and HTML to plain text: blocks to sentence-ish lines, markup to words.

A README is written for the eye: headings, bullets, tables, badges, code blocks.
Narration needs sentences, so each heading or bullet becomes a line of its own,
code blocks and tables are dropped (the slides show code), links keep their text
and images go.
"""

from __future__ import annotations

import re

from repo2video_dagster.lib.script.spoken.sentences import end_sentence

__all__ = ["block_lines", "drop_comments_and_embeds", "strip_emphasis", "strip_markup"]

# --- block-level markdown ---------------------------------------------------------

_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_HTML_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_HTML_DROP = re.compile(r"<(script|style|svg|picture)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE = re.compile(r"^\s*\|.*\|\s*$|^\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
_QUOTE = re.compile(r"^\s{0,3}>+\s?")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_INDENTED_CODE = re.compile(r"^(?: {4}|\t)")

# --- inline markdown and HTML -------------------------------------------------------

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINKED_IMAGE = re.compile(r"\[\s*!\[[^\]]*\]\([^)]*\)\s*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+|[^>\s@]+@[^>\s]+)>")
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
_BR_TAG = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(amp|lt|gt|quot|#39|apos|nbsp);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'", "apos": "'", "nbsp": " "}
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")
_ITALIC_UNDER = re.compile(r"(?<![\w_])_(?=\S)([^_]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"~~(.+?)~~")


def drop_comments_and_embeds(text: str) -> str:
    """HTML comments and embedded scripts, styles, SVG and pictures carry no words."""
    text = _HTML_COMMENT.sub(" ", text)
    return _HTML_DROP.sub(" ", text)


def block_lines(text: str) -> list[str]:
    """Markdown blocks to one line per sentence-ish unit; code blocks and tables dropped."""
    lines: list[str] = []
    paragraph: list[str] = []
    in_fence: str | None = None

    def flush() -> None:
        if paragraph:
            lines.append(" ".join(paragraph))
            paragraph.clear()

    raw_lines = text.split("\n")
    for i, raw in enumerate(raw_lines):
        fence = _FENCE.match(raw)
        if in_fence:
            if fence and fence.group(1) == in_fence:
                in_fence = None
            continue
        if fence:
            flush()
            in_fence = fence.group(1)
            continue
        if not raw.strip():
            flush()
            continue
        if _INDENTED_CODE.match(raw) and not paragraph and not _BULLET.match(raw):
            continue
        if _RULE.match(raw) or _TABLE.match(raw) or _REF_DEF.match(raw):
            flush()
            continue
        if _SETEXT.match(raw):
            # An underline turns the paragraph so far into a heading.
            if paragraph:
                lines.append(end_sentence(" ".join(paragraph)))
                paragraph.clear()
            continue
        line = _QUOTE.sub("", raw)
        heading = _HEADING.match(line)
        if heading:
            flush()
            lines.append(end_sentence(heading.group(1)))
            continue
        if _BULLET.match(line):
            flush()
            paragraph.append(_BULLET.sub("", line).strip())
            continue
        paragraph.append(line.strip())
        next_line = raw_lines[i + 1] if i + 1 < len(raw_lines) else ""
        if line.rstrip().endswith(("  ", "\\")) or _FENCE.match(next_line):
            flush()
    flush()
    return lines


def strip_markup(text: str) -> str:
    """Images go, links keep their text (a bare URL stays for :mod:`.urls`), tags go."""
    text = _LINKED_IMAGE.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _IMG_TAG.sub(" ", text)
    text = _AUTOLINK.sub(lambda m: m.group(1) if "://" in m.group(1) else " ", text)
    text = _LINK.sub(lambda m: f" {m.group(1)} ", text)
    text = _REF_LINK.sub(lambda m: m.group(1), text)
    text = _BR_TAG.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)
    return _TAG.sub(" ", text)  # tags that were entity-encoded


def strip_emphasis(text: str) -> str:
    """Bold, italics and strike-through keep their words, lose their marks."""
    text = _BOLD.sub(r"\2", text)
    text = _STRIKE.sub(r"\1", text)
    text = _ITALIC_STAR.sub(r"\1", text)
    return _ITALIC_UNDER.sub(r"\1", text)
