"""A scene under construction, and the cuts that bring a script to its length.

Scenes are drafted with every fact that could be said, each sentence with a
priority; the writer then drops optional scenes and low-priority sentences until
the script fits about a minute of speech. Drafting first and cutting after keeps
the scene code free of word counting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from repo2video_dagster.lib.script.schema import MAX_SCENES
from repo2video_dagster.lib.script.spoken.clean import clean_for_speech
from repo2video_dagster.lib.script.spoken.sentences import sentences

__all__ = ["Draft", "TARGET_MAX_WORDS", "TARGET_MIN_WORDS", "fit_scene_count", "fit_words"]

TARGET_MIN_WORDS = 130
TARGET_MAX_WORDS = 170
_MAX_SENTENCE_WORDS = 32


@dataclass
class Draft:
    """A scene under construction: sentences with a priority (0 = always keep)."""

    id: str
    title: str
    kind: str
    heading: str
    parts: list[tuple[str, int]] = field(default_factory=list)

    def say(self, text: str | None, priority: int = 0) -> None:
        if not text:
            return
        for sentence in sentences(clean_for_speech(text)):
            self.parts.append((_limit_words(sentence), priority))

    @property
    def words(self) -> int:
        return sum(len(s.split()) for s, _ in self.parts)


_CLAUSE_WORDS = frozenset({"so", "which", "but", "while", "because", "whereas", "and"})
_MIN_CLAUSE_WORDS = 8


def _limit_words(sentence: str) -> str:
    """``sentence`` cut to its first clause when it is too long to speak in one breath.

    A cut after the 32nd word ends mid-phrase ("... all land in the same."), so the cut
    falls at a clause boundary instead: the last "," or ";" before a clause word (so,
    which, but, ...) within the limit, else the last "," or ";". A sentence with no
    boundary stays whole up to twice the limit (long, but it means what it says).
    """
    words = sentence.split()
    if len(words) <= _MAX_SENTENCE_WORDS:
        return sentence
    head = words[:_MAX_SENTENCE_WORDS]
    ends = [i for i in range(_MIN_CLAUSE_WORDS - 1, len(head) - 1) if head[i].endswith((",", ";"))]
    before_clause = [i for i in ends if head[i + 1].lower() in _CLAUSE_WORDS]
    cut = (before_clause or ends or [None])[-1]
    if cut is not None:
        return " ".join(head[: cut + 1]).rstrip(",;") + "."
    if len(words) <= 2 * _MAX_SENTENCE_WORDS:
        return sentence
    return " ".join(head).rstrip(",;:") + "."


def fit_scene_count(drafts: list[Draft]) -> list[Draft]:
    """Drop optional scenes (least useful first) until at most MAX_SCENES remain."""
    for optional in ("dependencies", "code", "languages"):
        if len(drafts) <= MAX_SCENES:
            break
        drafts = [d for d in drafts if d.id != optional]
    return drafts


def fit_words(drafts: list[Draft]) -> None:
    """Remove low-priority sentences, last scenes first, until the total fits the target."""

    def total() -> int:
        return sum(d.words for d in drafts)

    for priority in (3, 2, 1):
        for draft in reversed(drafts):
            while total() > TARGET_MAX_WORDS:
                index = next(
                    (i for i, (_, p) in reversed(list(enumerate(draft.parts))) if p == priority),
                    None,
                )
                if index is None or len(draft.parts) == 1:
                    break
                draft.parts.pop(index)
