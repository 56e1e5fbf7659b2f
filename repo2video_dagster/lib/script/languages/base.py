"""What every language module provides: its voice names, its grammar helpers, its phrases.

A language is a :class:`Language` (numbers, plurals, lists and dates said the way
that language says them) plus one function per scene id that turns the
language-neutral :class:`~.facts.Facts` into sentences. Scenes and visuals are
shared with the default script; only the words change, so a language adds
narration and captions, never a new storyboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from repo2video_dagster.lib.script.formatting import _parse_date

__all__ = ["Language", "Noun", "ScenePhrases"]


@dataclass(frozen=True)
class Noun:
    """How a counted noun reads: with the number one (``una línea``) and in the plural."""

    one: str
    many: str


ScenePhrases = Callable[..., list[str]]
"""``(facts, language) -> sentences`` for one scene id."""


@dataclass(frozen=True)
class Language:
    code: str
    """ISO 639-1 (``es``): the key in settings, file names and Whisper's language."""
    name: str
    """The language's own name (``Español``), for the site's language list."""
    english_name: str
    espeak_voice: str
    """espeak-ng's voice for it (offline fallback when no Piper voice is configured):
    the language and a variant (``fr+klatt3``), chosen by what Whisper base recognised
    best (the README's language table). The variant follows the language's own name:
    espeak-ng 1.51 silently ignores it after ``fr-fr`` (``fr-fr+m3`` is plain ``fr``)."""
    and_word: str
    months: tuple[str, ...]
    month_pattern: str
    """``{month} {year}`` or ``{month} de {year}``."""
    about: str
    """Word before a rounded count (``unos``, ``etwa``)."""
    thousand: str
    million_one: str
    million_many: str
    decimal: str
    percent: str
    nouns: dict[str, Noun]
    title_pattern: str
    """The video title: ``{name} en 60 segundos``."""
    headings: dict[str, str]
    """Chapter title per scene id."""
    scenes: dict[str, ScenePhrases] = field(default_factory=dict)
    description: Callable[..., str] | None = None
    espeak_wpm: int = 165
    """espeak-ng's speaking rate for the language: slower where Whisper base heard the
    robotic voice better slower (measured, see the README's language table)."""

    # --- grammar ------------------------------------------------------------------

    def spoken_list(self, items: list[str]) -> str:
        """``a, b y c`` / ``a, b und c`` / ``a, b et c`` / ``a, b e c``."""
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {self.and_word} " + items[-1]

    def number(self, n: int) -> str:
        """A count as a voice reads it well: digits below 10,000, else rounded in words
        (``unos 14 mil``, ``etwa 1,5 Millionen``). Thousand separators differ between
        languages and voices misread them, so none is ever written."""
        if n < 10_000:
            return str(n)
        if n < 1_000_000:
            return f"{self.about} {round(n / 1000)} {self.thousand}"
        millions = f"{round(n / 1_000_000, 1):.1f}".removesuffix(".0").replace(".", self.decimal)
        word = self.million_one if millions == "1" else self.million_many
        return f"{self.about} {millions} {word}"

    def count(self, n: int, noun: str) -> str:
        """``1 archivo`` is ``un archivo``; otherwise the number and the plural."""
        forms = self.nouns[noun]
        if n == 1:
            return forms.one
        return f"{self.number(n)} {forms.many}"

    def pct(self, share: float) -> str:
        return f"{max(1, round(share * 100))} {self.percent}"

    def month_year(self, value: str | None) -> str | None:
        parsed = _parse_date(value)
        if parsed is None:
            return None
        return self.month_pattern.format(month=self.months[parsed.month - 1], year=parsed.year)

    def title(self, name: str) -> str:
        return self.title_pattern.format(name=name)

    def heading(self, scene_id: str, fallback: str) -> str:
        return self.headings.get(scene_id, fallback)
