"""The entry points: README or LLM text to narration, and fragments to words.

The passes run in a fixed order, and the order matters: a link keeps its text
before its address is spoken, and ``C#`` is named before ``#`` is dropped as a
symbol.
"""

from __future__ import annotations

import re
import unicodedata

from repo2video_dagster.lib.script.spoken.identifiers import (
    speak_code_spans,
    speak_code_words,
    speak_language_names,
)
from repo2video_dagster.lib.script.spoken.markdown import (
    block_lines,
    drop_comments_and_embeds,
    strip_emphasis,
    strip_markup,
)
from repo2video_dagster.lib.script.spoken.sentences import (
    capitalise,
    end_sentence,
    sentences,
    tidy,
)
from repo2video_dagster.lib.script.spoken.symbols import (
    drop_arrows_and_dashes,
    drop_emoji,
    expand_abbreviations,
    speak_ratios,
    speak_symbols,
    speak_versions,
)
from repo2video_dagster.lib.script.spoken.urls import speak_links

__all__ = ["clean_for_speech", "speak_phrase"]


def _speak_inline(text: str) -> str:
    """Inline markdown, HTML, URLs, emoji, identifiers and symbols to words."""
    text = strip_markup(text)
    text = speak_links(text)
    text = drop_emoji(text)
    text = speak_code_spans(text)
    text = strip_emphasis(text)
    text = expand_abbreviations(text)
    text = speak_language_names(text)
    text = speak_versions(text)
    text = speak_ratios(text)
    text = drop_arrows_and_dashes(text)
    text = speak_code_words(text)
    return speak_symbols(text)


def clean_for_speech(text: str) -> str:
    """Make README or LLM text speakable and caption-ready.

    Markdown structure becomes sentences (a heading or bullet is its own
    sentence), code blocks and tables are dropped, links keep their text, URLs
    become a site name, identifiers become words. Returns ``""`` when nothing
    speakable is left.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = drop_comments_and_embeds(text)
    out: list[str] = []
    for block in block_lines(text):
        spoken = tidy(_speak_inline(block))
        if not spoken or not re.search(r"\w", spoken):
            continue
        out.append(end_sentence(spoken))
    result = " ".join(capitalise(s) for s in sentences(" ".join(out)))
    return tidy(result)


def speak_phrase(text: str) -> str:
    """Clean a fragment (a file name, a command, a package) to drop into a sentence.

    Unlike :func:`clean_for_speech` it adds no sentence punctuation and keeps the
    first letter's case, so ``csv_wrangler/cli.py`` becomes ``csv wrangler cli dot py``.
    """
    if not text:
        return ""
    spoken = tidy(_speak_inline(unicodedata.normalize("NFC", " ".join(text.split()))))
    return spoken.rstrip(" ,;:.")
