"""Links said as the site they lead to: ``https://github.com/a/b`` -> ``GitHub``.

A URL read letter by letter is noise to a listener and clutter in a caption, so
a link becomes its site's name (a known host) or its domain with "dot"; e-mail
addresses are dropped.
"""

from __future__ import annotations

import re

__all__ = ["KNOWN_HOSTS", "speak_host", "speak_links", "speak_url_word"]

KNOWN_HOSTS: dict[str, str] = {
    "github.com": "GitHub",
    "gitlab.com": "GitLab",
    "bitbucket.org": "Bitbucket",
    "pypi.org": "PyPI",
    "npmjs.com": "npm",
    "npmjs.org": "npm",
    "crates.io": "crates dot io",
    "readthedocs.io": "Read the Docs",
    "readthedocs.org": "Read the Docs",
    "docs.rs": "docs dot rs",
    "youtube.com": "YouTube",
    "huggingface.co": "Hugging Face",
}

_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>()\[\]{}\"']+|\bwww\.[^\s<>()\[\]{}\"']+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def speak_host(host: str) -> str:
    """How a link is said: a known site by name, else its domain with "dot"."""
    host = host.lower().split("@")[-1].split(":")[0].strip(".")
    if host.startswith("www."):
        host = host[4:]
    for known, spoken in KNOWN_HOSTS.items():
        if host == known or host.endswith("." + known):
            if known.startswith("readthedocs") or host == known:
                return spoken
            sub = host[: -len(known) - 1].split(".")[-1]
            return f"{sub} on {spoken}" if known.endswith(".io") else spoken
    parts = [p for p in host.split(".") if p]
    if len(parts) < 2 or not all(re.fullmatch(r"[a-z0-9-]+", p) for p in parts):
        return "the project page"
    return " dot ".join(parts)


def _replace_url(match: re.Match[str]) -> str:
    """The URL's host said aloud; sentence punctuation after the URL is kept."""
    url = match.group(0).rstrip(".,;:!?")
    tail = match.group(0)[len(url) :]
    rest = re.sub(r"^(?:https?|ftp)://", "", url, flags=re.I)
    return speak_host(rest.split("/")[0]) + tail


def speak_links(text: str) -> str:
    """Drop e-mail addresses and say every URL in ``text`` as its site."""
    text = _EMAIL.sub(" ", text)
    return _URL.sub(_replace_url, text)


def speak_url_word(word: str) -> str | None:
    """A word that is a whole URL, said as its site; ``None`` when it is not a URL."""
    match = _URL.fullmatch(word)
    return _replace_url(match) if match else None
