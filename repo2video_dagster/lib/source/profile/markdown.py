"""Markdown (and simple reStructuredText) as blocks and plain text.

Enough structure to find a README's title, sections, prose and code blocks; not
a renderer.
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass


@dataclass
class Block:
    """One block of a README: a heading, paragraph, code block, list, quote, table or HTML."""

    kind: str
    """heading, para, code, list, quote, table, html"""
    text: str
    level: int = 0
    info: str = ""


_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([^`\s{]*)")
_ATX_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT_RE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RST_UNDERLINE_RE = re.compile(r"^([=\-~^*+#\"'`:.])\1{2,}\s*$")
LIST_ITEM_RE = re.compile(r"^\s{0,3}([-*+]|\d+[.)])\s+")
_HTML_HEADING_RE = re.compile(r"^\s*<h([1-6])[^>]*>(.*?)</h\1>\s*$", re.I | re.S)
_RST_CODE_RE = re.compile(r"^\.\.\s+(?:code-block|code|sourcecode)::\s*(\S*)")


def markdown_blocks(text: str) -> list[Block]:
    """Split markdown (or simple reST) into blocks; enough structure to find sections."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if fence := _FENCE_RE.match(line):
            marker = fence.group(1)
            body: list[str] = []
            i += 1
            while i < n and not lines[i].strip().startswith(marker):
                body.append(lines[i])
                i += 1
            blocks.append(Block("code", "\n".join(body), info=fence.group(2).lower()))
            i += 1
            continue
        if rst := _RST_CODE_RE.match(stripped):
            i += 1
            body, i = _indented(lines, i)
            blocks.append(Block("code", body, info=rst.group(1).lower()))
            continue
        if atx := _ATX_RE.match(line):
            blocks.append(Block("heading", atx.group(2), level=len(atx.group(1))))
            i += 1
            continue
        if i + 1 < n and not LIST_ITEM_RE.match(line):
            under = lines[i + 1]
            if _SETEXT_RE.match(under) and not stripped.startswith(("|", "<", ">")):
                blocks.append(Block("heading", stripped, level=1 if "=" in under else 2))
                i += 2
                continue
            if _RST_UNDERLINE_RE.match(under.strip()) and len(under.strip()) >= len(stripped) > 0:
                blocks.append(Block("heading", stripped, level=1 if "=" in under else 2))
                i += 2
                continue
        if (
            _RST_UNDERLINE_RE.match(stripped)
            and i + 2 < n
            and _RST_UNDERLINE_RE.match(lines[i + 2].strip())
        ):
            blocks.append(Block("heading", lines[i + 1].strip(), level=1))  # over+underlined title
            i += 3
            continue
        para: list[str] = []
        while i < n and lines[i].strip():
            if para and (_FENCE_RE.match(lines[i]) or _ATX_RE.match(lines[i])):
                break
            if para and LIST_ITEM_RE.match(lines[i]) and not LIST_ITEM_RE.match(para[0]):
                break  # "Features:" followed directly by a list
            para.append(lines[i])
            i += 1
        blocks.extend(_classify_para(para))
        if para[-1].rstrip().endswith("::") and not para[-1].strip().startswith(".."):
            body, i = _indented(lines, i)
            if body:
                blocks.append(Block("code", body))
    return blocks


def _indented(lines: list[str], i: int) -> tuple[str, int]:
    """Collect a reST indented literal block starting at ``i`` (after blank lines)."""
    n = len(lines)
    while i < n and not lines[i].strip():
        i += 1
    body: list[str] = []
    while i < n and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
        body.append(lines[i])
        i += 1
    return textwrap.dedent("\n".join(body)).strip("\n"), i


def _classify_para(para: list[str]) -> list[Block]:
    first = para[0].strip()
    joined = "\n".join(para)
    if m := _HTML_HEADING_RE.match(joined):
        return [Block("heading", plain_text(m.group(2)), level=int(m.group(1)))]
    if first.startswith(">"):  # later lines may be lazy continuations without ">"
        return [Block("quote", "\n".join(re.sub(r"^\s*>\s?", "", line) for line in para))]
    if first.startswith("|") or (len(para) > 1 and re.match(r"^\s*\|?\s*:?-{3,}", para[1])):
        return [Block("table", joined)]
    if LIST_ITEM_RE.match(para[0]):
        return [Block("list", joined)]
    if first.startswith("<"):
        # HTML header blocks often stack a logo, an <h1> title and a tagline line by line
        out: list[Block] = []
        for line in para:
            if m := _HTML_HEADING_RE.match(line):
                out.append(Block("heading", plain_text(m.group(2)), level=int(m.group(1))))
            elif out and out[-1].kind == "html":
                out[-1].text += "\n" + line
            else:
                out.append(Block("html", line))
        return out
    if first.startswith(".. "):
        return [Block("html", joined)]  # reST directive / comment: not prose
    return [Block("para", joined)]


_URL_PART = r"\((?:[^()]|\([^()]*\))*\)"  # (url), allowing one level of (parentheses) inside
_IMG_RE = re.compile(r"!\[[^\]]*\]" + _URL_PART + r"|!\[[^\]]*\]\[[^\]]*\]")
_LINK_RE = re.compile(r"\[([^\]]*)\]" + _URL_PART + r"|\[([^\]]*)\]\[[^\]]*\]")


def plain_text(text: str) -> str:
    """Markdown/HTML/reST inline markup -> plain text, on one line."""
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    # script and style bodies are code, not prose to speak
    text = re.sub(r"<(script|style)\b[^>]*>.*?</\1\s*>", " ", text, flags=re.I | re.S)
    text = re.sub(r"<img\b[^>]*>", " ", text, flags=re.I)
    text = _IMG_RE.sub(" ", text)
    for _ in range(2):  # links whose text was an image become empty
        text = _LINK_RE.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text = re.sub(r"`([^`<]+?)\s*<[^>]+>`_+", r"\1", text)  # reST link
    text = re.sub(r"<(https?://[^>]+)>", " ", text)
    text = re.sub(r"</?[A-Za-z][^>]*>", " ", text)
    text = re.sub(r":[a-z:]+:`([^`]+)`", r"\1", text)  # reST role
    text = re.sub(r"`{1,2}([^`]+)`{1,2}", r"\1", text)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w])_(?=\S)(.+?)(?<=\S)_(?![\w])", r"\1", text)
    text = re.sub(r"~~(.+?)~~", r"\1", text)
    text = re.sub(r"^\s*\\?#+\s+", "", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!&<>|~])", r"\1", text)  # markdown escapes
    text = re.sub(r"(?<!\S):[a-z0-9_+-]+:(?!\S)", " ", text)  # emoji shortcodes like :wink:
    text = html.unescape(text)
    return re.sub(r"\s+", " ", text).strip()
