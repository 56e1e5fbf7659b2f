"""Word tokenising and normalisation for matching speech against the script.

The script says ``12,000`` where the recogniser may write ``twelve thousand`` (or
the other way round), ``open-source`` where it hears ``open source``. Both sides
are reduced to the same canonical tokens (lower case, no punctuation, numbers
spelled out) before they are compared, while captions keep showing the display
words exactly as written (:func:`words_of`).
"""

from __future__ import annotations

import re
import unicodedata

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand")]
_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_SYMBOLS = {
    "%": "percent",
    "&": "and",
    "+": "plus",
    "@": "at",
    "=": "equals",
    "#": "number",
}
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}
_NUMBER_RE = re.compile(r"^\d{1,3}(,\d{3})+$|^\d+$")
_DECIMAL_RE = re.compile(r"^(\d+)\.(\d+)$")
_ORDINAL_RE = re.compile(r"^(\d+)(st|nd|rd|th)$")
_PLURAL_NUMBER_RE = re.compile(r"^(\d+)'?s$")
_VERSION_RE = re.compile(r"^\d+(\.\d+){2,}$")
_RUN_RE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)*(?:st|nd|rd|th|'?s)?|[^\W\d_]+", re.UNICODE)


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens])
        if ones:
            words.append(_ONES[ones])
    elif rest or not words:
        words.append(_ONES[rest])
    return words


def number_to_words(n: int) -> str:
    """Spell out an integer the way a TTS voice reads it ("twelve thousand three hundred forty five").

    No "and" and no hyphens, so the words line up one to one with a recogniser
    that writes the number out. Years are read as plain numbers too: the
    recogniser writes them as digits, which normalise the same way.
    """
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 1000:
        return " ".join(_below_thousand(n))
    words: list[str] = []
    for scale, name in _SCALES:
        count, n = divmod(n, scale)
        if count:
            words += [number_to_words(count), name]
    if n:
        words += _below_thousand(n)
    return " ".join(words)


def _ordinal(words: list[str]) -> list[str]:
    last = words[-1]
    if last in _ORDINAL_IRREGULAR:
        last = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return [*words[:-1], last]


def _plural(words: list[str]) -> list[str]:
    last = words[-1]
    last = last[:-1] + "ies" if last.endswith("y") else last + ("es" if last == "six" else "s")
    return [*words[:-1], last]


def _number_run(run: str) -> list[str]:
    """Spell out one run of digits (with its ordinal or plural suffix)."""
    if match := _ORDINAL_RE.match(run):
        return _ordinal(number_to_words(int(match.group(1))).split())
    if match := _PLURAL_NUMBER_RE.match(run):
        return _plural(number_to_words(int(match.group(1))).split())
    if _VERSION_RE.match(run):
        # "1.2.3" is read "one point two point three".
        words: list[str] = []
        for i, part in enumerate(run.split(".")):
            words += (["point"] if i else []) + number_to_words(int(part)).split()
        return words
    if match := _DECIMAL_RE.match(run):
        whole, frac = match.groups()
        return [*number_to_words(int(whole)).split(), "point", *(_ONES[int(d)] for d in frac)]
    if _NUMBER_RE.match(run):
        return number_to_words(int(run.replace(",", ""))).split()
    # Digits that are not a well-formed number ("1,2", "3.1.4"): read them one by one.
    return [_ONES[int(ch)] if ch.isdigit() else "point" for ch in run if ch.isdigit() or ch == "."]


_BY_RE = re.compile(r"^(\d+)[x\u00d7](\d+)\W*$")
"""Dimensions and shapes written ``9x16`` / ``1920×1080``."""


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_token(tok: str) -> list[str]:
    """Reduce one written word to the canonical tokens used for matching.

    ``"12,000"`` -> ``["twelve", "thousand"]``, ``"3.5"`` -> ``["three", "point",
    "five"]``, ``"2nd"`` -> ``["second"]``, ``"50%"`` -> ``["fifty", "percent"]``,
    ``"open-source"`` -> ``["open", "source"]``, ``"Don't"`` -> ``["dont"]``.
    Punctuation-only tokens give ``[]``.
    """
    text = _strip_accents(tok).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    # Apostrophes inside a word ("don't", "repo's") vanish; a number's plural keeps it.
    text = re.sub(r"(?<=[^\W\d_])'(?=[^\W\d_])", "", text)
    if match := _BY_RE.match(text):  # "9x16" is read "nine by sixteen"
        return [*normalize_token(match.group(1)), "by", *normalize_token(match.group(2))]
    currency = next((name for sym, name in _CURRENCY.items() if sym in text), None)
    tokens: list[str] = []
    if re.match(r"^[-\u2212]\d", text):
        tokens.append("minus")
    pos = 0
    for match in _RUN_RE.finditer(text):
        tokens += _symbols(text[pos : match.start()])
        run = match.group(0)
        tokens += _number_run(run) if run[0].isdigit() else [run]
        pos = match.end()
    tokens += _symbols(text[pos:])
    if currency and any(t in _ONES or t in _TENS for t in tokens):
        tokens.append(currency)
    return tokens


def _symbols(between: str) -> list[str]:
    return [_SYMBOLS[ch] for ch in between if ch in _SYMBOLS]


def normalize_text(text: str) -> list[str]:
    """Canonical tokens of a whole text (all its words, in order)."""
    return [t for word in words_of(text) for t in normalize_token(word)]


def words_of(text: str) -> list[str]:
    """Display words of a narration, exactly as written (punctuation stays attached).

    Captions show these strings; splitting on whitespace only means joining them
    with single spaces gives back the narration.
    """
    return text.split()
