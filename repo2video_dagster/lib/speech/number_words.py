"""Numbers written the way each language says them, for matching speech to the script.

The recogniser writes ``1.234`` or ``14.000`` or ``3`` where the script says ``1234``,
``14 mil`` or ``tres``; English matching spells numbers in English
(:mod:`.word_match`), which would count every Spanish number as misheard. Here both
sides are spelled in the language itself (num2words) before they are compared, so a
number is an error only when it was heard wrong.

An apostrophe between letters separates two words there (``l'écran``, ``d'installation``):
Whisper writes them apart (``l 'écran``), and Whisper's own multilingual normaliser
splits them too. English matching instead joins ``don't`` into one word.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["number_speller"]

_NUM2WORDS_LANG = {"pt": "pt_BR"}
_NUMBER = re.compile(r"\d{1,3}(?:[.\u202f\u00a0 ]\d{3})+(?!\d)|\d+(?:,\d+)?")
_ELISION = re.compile(r"(?<=[^\W\d_])['\u2019](?=[^\W\d_])")
_PERCENT = {"es": "por ciento", "de": "Prozent", "fr": "pour cent", "pt": "por cento"}


def _spell(match: re.Match[str], lang: str) -> str:
    from num2words import num2words

    text = match.group(0)
    try:
        if re.fullmatch(r"\d+,\d+", text):
            value: float | int = float(text.replace(",", "."))
        else:
            value = int(re.sub(r"\D", "", text))
        return f" {num2words(value, lang=lang)} "
    except (NotImplementedError, OverflowError, ValueError):
        return text


@cache
def number_speller(code: str):
    """``spell(text)`` for the language ``code``: numbers spelled, elisions split
    (``None`` for English: the default matching already spells English numbers)."""
    if code == "en":
        return None
    lang = _NUM2WORDS_LANG.get(code, code)
    percent = _PERCENT.get(code, "")

    def spell(text: str) -> str:
        text = _ELISION.sub(" ", text)
        if percent:
            text = text.replace("%", f" {percent}")
        return _NUMBER.sub(lambda m: _spell(m, lang), text)

    return spell
