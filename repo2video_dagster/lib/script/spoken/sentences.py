"""Sentences of narration: how a block ends, starts, is tidied and is split.

Headings and bullets become sentences of their own, so they need an end mark;
replacements leave stray spaces and doubled punctuation behind, so every pass is
followed by one tidy-up. The splitter is what the writers and the caption timing
use to count and limit sentences.
"""

from __future__ import annotations

import re

from repo2video_dagster.lib.script.spoken.vocabulary import BRANDS

__all__ = ["capitalise", "end_sentence", "sentences", "tidy"]

_SENTENCE_END = ".!?。！？…"


def end_sentence(text: str) -> str:
    """Make a block end like a sentence (headings, bullets, text before a code block)."""
    text = text.strip()
    if not text:
        return text
    text = re.sub(r"\s*[:;,]+$", "", text)
    if not text:
        return text
    closing = ""
    while text and text[-1] in "\"')]»”’":
        closing = text[-1] + closing
        text = text[:-1]
    if text and text[-1] not in _SENTENCE_END:
        text += "."
    return text + closing


def capitalise(sentence: str) -> str:
    """Upper-case a sentence's first letter, unless the word is a styled name (``npm``, ``x-y``)."""
    match = re.match(r"([\"'(]*)([a-z]+)(?![\w-])", sentence)
    if not match or match.group(2) in BRANDS:
        return sentence
    word = match.group(2)
    return sentence[: match.start(2)] + word[0].upper() + word[1:] + sentence[match.end(2) :]


def tidy(text: str) -> str:
    """Whitespace and punctuation after all replacements."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\(\s*\)|\[\s*\]", " ", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    text = re.sub(r"\s+([,.;:!?。！？])", r"\1", text)
    text = re.sub(r"\.{2,}|…", ".", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"[,;:]\s*([.!?])", r"\1", text)
    text = re.sub(r"([.!?])(?:\s*[.,;:])+", r"\1", text)
    text = re.sub(r"^[\s,.;:!?)-]+", "", text)
    text = re.sub(r"([,;:])(?=[A-Za-z])", r"\1 ", text)
    text = re.sub(r"(?<=[a-z])([.!?])(?=[A-Z][a-z])", r"\1 ", text)
    return text.strip()


def sentences(text: str) -> list[str]:
    """Split clean narration into sentences (expects ``clean_for_speech`` output)."""
    parts: list[str] = []
    for match in re.finditer(r".+?(?:[.!?][\"')\]”’]*(?=\s|$)|[。！？]|$)", text.strip(), re.S):
        part = match.group(0).strip()
        if part:
            parts.append(part)
    return parts
