"""Code said as words: identifiers, code spans, paths, language and repository names.

``getUserName`` is read "get user name", ``foo.bar()`` "foo dot bar",
``csv_wrangler/cli.py`` "csv wrangler cli dot py". Brands (``GitHub``) stay
whole, and in prose two-part PascalCase words stay whole too, because there they
are usually product names (``TensorFlow``).
"""

from __future__ import annotations

import re

from repo2video_dagster.lib.script.spoken.symbols import strip_emoji
from repo2video_dagster.lib.script.spoken.urls import speak_url_word
from repo2video_dagster.lib.script.spoken.vocabulary import ACRONYMS, BRANDS

__all__ = [
    "speak_code_spans",
    "speak_code_words",
    "speak_identifier",
    "speak_language_names",
    "speak_name",
]

_CPP = re.compile(r"(?<![\w+])([A-Za-z])\+\+(?![A-Za-z_+])")
_SHARP = re.compile(r"(?<![\w#])([CFJ])#(?!\w)")
_DOTNET = re.compile(r"(?<![\w.])\.NET\b")
_DOT_JS = re.compile(r"\b([A-Z][A-Za-z]*)\.js\b")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_FLAG = re.compile(r"(?<![\w-])--?([A-Za-z][\w-]*)")
_CALL = re.compile(r"(\w)\(\s*\)")
_DOTTED = re.compile(r"(?<![\w.])(?:[A-Za-z_]\w*)(?:\.[A-Za-z_]\w*)+(?![\w])")
_SCOPE = re.compile(r"(\w)::(\w)")
_PATH = re.compile(r"(?<![\w/])(?:\.{1,2}/|~/|/)?(?:[\w.-]+/)+[\w.-]*")
_SNAKE = re.compile(r"\b_*[A-Za-z0-9]+(?:_+[A-Za-z0-9]+)+_*\b|\b__?\w+?__?\b")
_CAMEL_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_WORDLIKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*\b")
_BRAND_IN_WORD = re.compile(
    "|".join(sorted((re.escape(b) for b in BRANDS if len(b) > 3), key=len, reverse=True))
)


def _split_camel(word: str) -> list[str]:
    """Camel humps, keeping embedded brands whole (``OAuthLib`` -> ``OAuth``, ``Lib``)."""
    parts: list[str] = []
    pos = 0
    for match in _BRAND_IN_WORD.finditer(word):
        parts.extend(_CAMEL_PARTS.findall(word[pos : match.start()]))
        parts.append(match.group(0))
        pos = match.end()
    parts.extend(_CAMEL_PARTS.findall(word[pos:]))
    return parts if "".join(parts) == word else [word]


def _camel_to_words(word: str, *, force: bool) -> str:
    """Split ``getUserName`` / ``HttpServer``; keep brands and plain words intact.

    In prose only lowerCamel and 3+ part PascalCase are split, because two-part
    PascalCase words there are usually product names (``TensorFlow``).
    """
    if word in BRANDS or word.isupper() or word.islower() or word.isdigit() or len(word) <= 3:
        return word
    parts = _split_camel(word)
    if len(parts) < 2:
        return word
    if not force and word[0].isupper() and len(parts) < 3:
        return word
    out: list[str] = []
    for i, part in enumerate(parts):
        if part.isupper() and len(part) > 1 or part.isdigit() or i == 0:
            out.append(part)
        else:
            out.append(part.lower())
    return " ".join(out)


def speak_identifier(token: str, *, force: bool = True) -> str:
    """Say a code identifier: ``foo.bar()`` -> ``foo dot bar``, ``snake_case`` -> ``snake case``."""
    token = _CALL.sub(r"\1", token)
    token = _SCOPE.sub(r"\1 \2", token)
    pieces = []
    for piece in re.split(r"\.", token):
        words = [w for w in re.split(r"_+", piece) if w]
        pieces.append(" ".join(_camel_to_words(w, force=force) for w in words))
    return " dot ".join(p for p in pieces if p)


def _speak_code_span(match: re.Match[str]) -> str:
    code = match.group(2).strip()
    # A whole command line keeps its words; each word is then spoken as an identifier.
    words = []
    for word in code.split():
        word = _FLAG.sub(lambda m: m.group(1).replace("-", " "), word)
        site = speak_url_word(word)
        if site is not None:
            words.append(site)
            continue
        word = word.strip("\"'")
        if re.fullmatch(r"[\w.:()]+", word) and re.search(r"[A-Za-z]", word):
            words.append(speak_identifier(word))
        else:
            words.append(word)
    return " ".join(w for w in words if w)


_ACRONYM_PAIR = re.compile(r"[A-Z][A-Z0-9]{1,5}(?:/[A-Z][A-Z0-9]{1,5}){1,3}")
SLASHED_NAMES = frozenset({"TCP/IP", "CI/CD", "UDP/IP", "PL/SQL"})
"""Slash-joined acronyms that are one name, said without an "and"."""


def _speak_path(match: re.Match[str]) -> str:
    path = match.group(0)
    if "://" in path or not re.search(r"[A-Za-z]", path):
        return path
    if _ACRONYM_PAIR.fullmatch(path) and path not in SLASHED_NAMES:
        # "SRT/VTT" is "SRT and VTT": run together ("SRT VTT") a recogniser hears one
        # garbled word
        parts = path.split("/")
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    parts = [p for p in re.split(r"/+", path) if p and p not in (".", "..", "~")]
    spoken = []
    for part in parts:
        if re.fullmatch(r"[\w.-]+", part) and ("." in part.strip(".") or "_" in part):
            spoken.append(speak_identifier(part.strip(".")))
        else:
            spoken.append(part)
    return " ".join(spoken)


def _speak_dotted(match: re.Match[str]) -> str:
    token = match.group(0)
    if token in BRANDS:
        return token
    parts = token.split(".")
    if all(len(p) == 1 for p in parts):  # U.S, a.k.a: an abbreviation, not a name
        return "".join(parts)
    return speak_identifier(token, force=False)


def _speak_word(match: re.Match[str]) -> str:
    return _camel_to_words(match.group(0), force=False)


def _speak_snake(match: re.Match[str]) -> str:
    return " ".join(w for w in match.group(0).split("_") if w)


def speak_code_spans(text: str) -> str:
    """Each ```code``` span in ``text`` as words: flags, URLs and identifiers spoken."""
    return _INLINE_CODE.sub(_speak_code_span, text)


def speak_language_names(text: str) -> str:
    """``C++``, ``C#``, ``.NET`` and ``Vue.js`` as people say them."""
    text = _CPP.sub(r"\1 plus plus ", text)
    text = _SHARP.sub(r"\1 sharp", text)
    text = _DOTNET.sub("dot net", text)
    return _DOT_JS.sub(r"\1 JS", text)


def speak_code_words(text: str) -> str:
    """Code in prose: flags, paths, dotted names, calls, ``snake_case`` and camelCase."""
    text = _FLAG.sub(lambda m: m.group(1).replace("-", " "), text)
    text = _PATH.sub(_speak_path, text)
    text = _DOTTED.sub(_speak_dotted, text)
    text = _CALL.sub(r"\1", text)
    text = _SCOPE.sub(r"\1 \2", text)
    text = _SNAKE.sub(_speak_snake, text)
    return _WORDLIKE.sub(_speak_word, text)


def speak_name(name: str) -> str:
    """Say a repository name: ``fast-api_tools`` -> ``fast API tools``.

    Splits on ``- _ . /`` and camelCase humps, says known short tech words as
    acronyms, keeps brands (``GitHub``) and digits as written.
    """
    name = name.strip().strip("/")
    if not name:
        return ""
    if name in BRANDS:
        return name
    name = _CPP.sub(r"\1 plus plus", name)
    name = _SHARP.sub(r"\1 sharp", name)
    name = _DOT_JS.sub(r"\1 JS", name)
    words: list[str] = []
    for chunk in re.split(r"[-_./\s]+", name):
        if not chunk:
            continue
        if chunk in BRANDS:
            words.append(chunk)
            continue
        parts = _split_camel(chunk) if not (chunk.islower() or chunk.isupper()) else [chunk]
        if chunk[0].islower():
            parts = [p if p.isupper() and len(p) > 1 else p.lower() for p in parts]
        for part in parts:
            low = part.lower()
            if low in ACRONYMS and not (part[0].isupper() and part[1:].islower() and len(part) > 3):
                words.append(low.upper() if low not in ("apis",) else "APIs")
            else:
                words.append(part)
    spoken = " ".join(words)
    return strip_emoji(spoken).strip() or name
