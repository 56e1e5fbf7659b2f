"""Emoji, abbreviations, versions and symbols: said as words or dropped.

A TTS voice either skips these or reads them badly ("e dot g dot", "hash 12",
"dollar 5"), and in a caption they look like leftovers of markdown. Emoji carry
no words, so they go; symbols that stand for a word become that word.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "drop_arrows_and_dashes",
    "drop_emoji",
    "expand_abbreviations",
    "is_emoji",
    "speak_symbols",
    "speak_versions",
    "strip_emoji",
]

_SHORTCODE = re.compile(r"(?<![\w:]):[a-z0-9_+-]*[a-z][a-z0-9_+-]*:(?![\w:])")

_ABBREVIATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\be\.\s?g\.(?=\W|$)", re.I), "for example"),
    (re.compile(r"\bi\.\s?e\.(?=\W|$)", re.I), "that is"),
    (re.compile(r"\bvs\.?(?=\s)", re.I), "versus"),
    (re.compile(r"\betc\.(?=\s+[a-z])"), "etc"),
]

# "U.S. and" / "a.k.a. the": dotted letters mid-sentence lose their dots.
_LETTER_DOTS = re.compile(r"(?<![\w.])(?:[A-Za-z]\.){2,}(?=\s+[a-z])")

_VERSION = re.compile(r"(?<![\w.])(?:v(\d+(?:\.\d+)*)|V(\d+(?:\.\d+)+))(?![\w.]*\w)")
_ARROWS = re.compile(r"\s*(?:->|=>|<-|<=>|<->|→|←|⇒|↔|>>|<<|\|\|)\s*")
_DASH = re.compile(r"\s+[-–—]{1,2}\s+|—")
_HASH_NUMBER = re.compile(r"(?<!\w)#(\d+)\b")
_DOLLAR = re.compile(r"\$(\d+(?:[.,]\d+)*)")
_PERCENT = re.compile(r"(\d)\s?%")
_AMP = re.compile(r"\s*&&?\s*")
_RATIO = re.compile(r"(?<![\w:.])(\d{1,2}):(\d{1,2})(?![\w:]|\.\d)")
ASPECT_RATIOS = frozenset({"16:9", "9:16", "4:3", "3:4", "1:1", "21:9", "4:5", "3:2", "2:3"})
"""Screen and picture shapes, said "16 by 9": a voice reads "16:9" as "16 colon 9" or
runs it into "916". Other ``n:m`` (times, scores) are left alone."""
_AT = re.compile(r"(?<!\w)@(?=[A-Za-z])")
_UNSPEAKABLE = re.compile(r"[`*^\\|<>{}\[\]~=#$_]")


def is_emoji(ch: str) -> bool:
    """Emoji, pictographs and their joiners/modifiers (not letters of any script)."""
    cp = ord(ch)
    if cp in (0x200D, 0xFE0E, 0xFE0F, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF:
        return True
    if 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF:
        return True
    if 0xE0000 <= cp <= 0xE007F:  # tag characters (flag sequences)
        return True
    return unicodedata.category(ch) == "So"


def strip_emoji(text: str) -> str:
    """Each emoji character becomes a space."""
    return "".join(" " if is_emoji(ch) else ch for ch in text)


def drop_emoji(text: str) -> str:
    """Emoji and their ``:shortcodes:`` become spaces."""
    return strip_emoji(_SHORTCODE.sub(" ", text))


def expand_abbreviations(text: str) -> str:
    """``e.g.`` -> ``for example``, ``vs.`` -> ``versus``; ``U.S.`` mid-sentence -> ``US``."""
    for pattern, spoken in _ABBREVIATIONS:
        text = pattern.sub(spoken, text)
    return _LETTER_DOTS.sub(lambda m: m.group(0).replace(".", ""), text)


def speak_versions(text: str) -> str:
    """``v2.1`` -> ``version 2.1``."""
    return _VERSION.sub(lambda m: f"version {m.group(1) or m.group(2)}", text)


def drop_arrows_and_dashes(text: str) -> str:
    """Arrows become a space, a dash between words a comma."""
    text = _ARROWS.sub(" ", text)
    return _DASH.sub(", ", text)


def speak_ratios(text: str) -> str:
    """``9:16`` -> ``9 by 16`` for the usual aspect ratios (:data:`ASPECT_RATIOS`)."""

    def said(m: re.Match[str]) -> str:
        return f"{m.group(1)} by {m.group(2)}" if m.group(0) in ASPECT_RATIOS else m.group(0)

    return _RATIO.sub(said, text)


def speak_symbols(text: str) -> str:
    """``#12``, ``$5``, ``5%`` and ``&`` as words; ``@`` and unspeakable marks dropped."""
    text = _HASH_NUMBER.sub(r"number \1", text)
    text = _DOLLAR.sub(r"\1 dollars", text)
    text = _PERCENT.sub(r"\1 percent", text)
    text = _AMP.sub(" and ", text)
    text = _AT.sub("", text)
    text = text.replace("()", " ")
    return _UNSPEAKABLE.sub(" ", text)
