"""Give every script word a time on the narration track.

The script is the truth about *what* is said (captions must show it exactly);
the recogniser knows *when* things were said but may mishear ("get" for "Git") or
write numbers differently ("12,000" / "twelve thousand"). Both are reduced to
normalised tokens (:mod:`textnorm`), matched with a longest-common-subsequence
diff, and the matched tokens carry their times back to the display words. Words
the recogniser missed are placed between their timed neighbours, inside their
own scene, in proportion to their length.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from repo2video_dagster.lib.core.records import TimedWord
from repo2video_dagster.lib.speech.asr import RecognizedWord
from repo2video_dagster.lib.speech.word_match import normalize_text, normalize_token

MIN_WORD_S = 0.02
"""Shortest word duration after clean-up (times must strictly increase within a word)."""
SECONDS_PER_CHAR = 0.06
"""Speaking-time estimate per character of display text, for words with no anchor."""
SCENE_TOLERANCE_S = 0.5
"""How far outside its scene a recognised word may lie and still be matched to it."""
FUZZY_BLOCK_RATIO = 0.6
"""Unequal replace blocks this similar (character level) count as recognised."""
MAX_MISHEARD_TOKENS = 6
"""Longest misheard stretch (script tokens) whose timing is still taken from the audio."""


@dataclass
class _Token:
    text: str
    start: float
    end: float


@dataclass
class _Slot:
    """Timing found for one script token (``matched``: from a recognised word)."""

    start: float
    end: float
    matched: bool


def _recognized_tokens(
    recognized: Sequence[RecognizedWord], spell: Callable[[str], str] | None = None
) -> list[_Token]:
    """Normalised tokens of the recognised words, splitting each word's time by length."""
    tokens: list[_Token] = []
    for word in recognized:
        parts = [t for p in _spelled(word.text, spell) for t in normalize_token(p)]
        if not parts:
            continue
        weights = [len(p) + 1 for p in parts]
        total = sum(weights)
        t = word.start
        for part, weight in zip(parts, weights, strict=True):
            step = (word.end - word.start) * weight / total
            tokens.append(_Token(part, t, t + step))
            t += step
    return tokens


def _spread(lengths: list[int], start: float, end: float) -> list[tuple[float, float]]:
    """Split [start, end] into consecutive pieces proportional to ``lengths``."""
    total = sum(lengths) or 1
    out: list[tuple[float, float]] = []
    t = start
    for length in lengths:
        step = (end - start) * length / total
        out.append((t, t + step))
        t += step
    return out


def _char_map(s_block: list[str], r_block: list[_Token], matched: bool) -> list[_Slot]:
    """Time script tokens by their character positions inside a recognised stretch.

    Used when the two sides split the same sound differently ("dagster" vs "dag"
    "ster"): the character offsets line up even though the tokens do not.
    """
    r_chars = sum(len(t.text) for t in r_block) or 1
    s_chars = sum(len(t) for t in s_block) or 1

    def time_at(char_pos: float) -> float:
        pos = char_pos * r_chars / s_chars
        acc = 0.0
        for tok in r_block:
            n = len(tok.text)
            if pos <= acc + n or tok is r_block[-1]:
                frac = min(1.0, max(0.0, (pos - acc) / n)) if n else 0.0
                return tok.start + frac * (tok.end - tok.start)
            acc += n
        return r_block[-1].end

    slots: list[_Slot] = []
    pos = 0
    for tok in s_block:
        slots.append(_Slot(time_at(pos), time_at(pos + len(tok)), matched))
        pos += len(tok)
    return slots


def _anchors(
    s_tokens: list[str], windows: list[tuple[float, float]], r_tokens: list[_Token]
) -> list[tuple[int, int]]:
    """Longest common subsequence of equal tokens, pairing only time-compatible tokens.

    A recognised token may only match a script token whose scene it falls in
    (within ``SCENE_TOLERANCE_S``): a word repeated in two scenes then pairs with
    the right occurrence. Rows are computed with numpy (a running maximum gives
    the left-neighbour dependency), so a few thousand tokens take well under a second.
    """
    n, m = len(s_tokens), len(r_tokens)
    if not n or not m:
        return []
    vocab: dict[str, int] = {}
    s_ids = np.array([vocab.setdefault(t, len(vocab)) for t in s_tokens])
    r_ids = np.array([vocab.setdefault(t.text, len(vocab)) for t in r_tokens])
    r_mid = np.array([(t.start + t.end) / 2 for t in r_tokens])
    table = np.zeros((n + 1, m + 1), dtype=np.int32)
    matches = np.zeros((n, m), dtype=bool)
    for i in range(n):
        lo, hi = windows[i]
        match = (r_ids == s_ids[i]) & (r_mid >= lo) & (r_mid <= hi)
        matches[i] = match
        prev = table[i]
        cand = np.where(match, np.maximum(prev[1:], prev[:-1] + 1), prev[1:])
        table[i + 1, 1:] = np.maximum.accumulate(cand)
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        if matches[i - 1, j - 1] and table[i, j] == table[i - 1, j - 1] + 1:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif table[i - 1, j] >= table[i, j - 1]:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _match_tokens(
    s_tokens: list[str], windows: list[tuple[float, float]], r_tokens: list[_Token]
) -> list[_Slot | None]:
    """Time script tokens: exact anchors first, then the stretches between anchors.

    A stretch with as many script as recognised tokens is a run of 1:1
    substitutions ("Git" heard as "get"); other stretches are mapped by character
    position and count as recognised when they read nearly the same.
    """
    slots: list[_Slot | None] = [None] * len(s_tokens)
    anchors = _anchors(s_tokens, windows, r_tokens)
    for i, j in anchors:
        slots[i] = _Slot(r_tokens[j].start, r_tokens[j].end, True)
    bounds = [(-1, -1), *anchors, (len(s_tokens), len(r_tokens))]
    for (i0, j0), (i1, j1) in zip(bounds, bounds[1:], strict=False):
        s_block, r_block = s_tokens[i0 + 1 : i1], r_tokens[j0 + 1 : j1]
        if not s_block or not r_block:
            continue
        if len(s_block) == len(r_block):
            for k, r in enumerate(r_block):
                slots[i0 + 1 + k] = _Slot(r.start, r.end, True)
            continue
        s_join, r_join = "".join(s_block), "".join(t.text for t in r_block)
        similar = s_join == r_join or (
            difflib.SequenceMatcher(None, s_join, r_join, autojunk=False).ratio()
            >= FUZZY_BLOCK_RATIO
        )
        slots[i0 + 1 : i1] = _char_map(
            s_block, r_block, similar or _heard_in_place(s_block, r_block)
        )
    return slots


def _heard_in_place(s_block: list[str], r_block: list[_Token]) -> bool:
    """A short misheard stretch between two anchors still gives real timing.

    "and prints a tidy" heard as "in parentzitiety": the words differ, but the
    recogniser heard speech exactly between the neighbouring anchors, for about as
    long as those words take to say, so their times come from the audio (mapped by
    character position) rather than from a guess. Long stretches, or ones whose
    heard duration is far from the expected speaking time, stay unaligned.
    """
    if len(s_block) > MAX_MISHEARD_TOKENS:
        return False
    heard = r_block[-1].end - r_block[0].start
    expected = _estimate(s_block)
    return expected * 0.4 <= heard <= expected * 2.5


def _spelled(text: str, spell: Callable[[str], str] | None) -> list[str]:
    return spell(text).split() if spell else [text]


def _estimate(words: list[str]) -> float:
    return sum(SECONDS_PER_CHAR * (len(w) + 1.5) for w in words)


def align_words(
    script_words: list[tuple[str, str]],
    recognized: list[RecognizedWord],
    scene_spans: list[tuple[str, float, float]],
    *,
    spell: Callable[[str], str] | None = None,
) -> tuple[list[TimedWord], float]:
    """Time each ``(display word, scene_id)``; returns the words and the coverage.

    ``spell`` rewrites numbers the way the narration's language says them, on both
    sides, before matching (:mod:`.number_words`; ``None``: English).

    Coverage is the fraction of script words (those that have something to say:
    a lone dash does not count) whose time came from a recognised word. Times are
    non-decreasing, non-overlapping, ``start < end`` and inside the track.
    """
    track_end = max((end for _, _, end in scene_spans), default=0.0)
    if recognized:
        track_end = max(track_end, max(w.end for w in recognized))
    if track_end <= 0:
        track_end = max(_estimate([w for w, _ in script_words]), MIN_WORD_S)
    spans = {sid: (start, end) for sid, start, end in scene_spans}

    s_tokens: list[str] = []
    owner: list[int] = []
    windows: list[tuple[float, float]] = []
    for i, (display, sid) in enumerate(script_words):
        lo, hi = spans.get(sid, (0.0, track_end))
        for tok in (t for p in _spelled(display, spell) for t in normalize_token(p)):
            s_tokens.append(tok)
            owner.append(i)
            windows.append((lo - SCENE_TOLERANCE_S, hi + SCENE_TOLERANCE_S))
    slots = _match_tokens(s_tokens, windows, _recognized_tokens(recognized, spell))

    times: list[tuple[float, float] | None] = [None] * len(script_words)
    aligned = [False] * len(script_words)
    by_word: dict[int, list[_Slot | None]] = {}
    for idx, slot in zip(owner, slots, strict=True):
        by_word.setdefault(idx, []).append(slot)
    for idx, word_slots in by_word.items():
        found = [s for s in word_slots if s is not None]
        if not found:
            continue
        matched = [s for s in found if s.matched]
        use = matched or found
        start, end = min(s.start for s in use), max(s.end for s in use)
        lo, hi = spans.get(script_words[idx][1], (0.0, track_end))
        if (start + end) / 2 < lo - SCENE_TOLERANCE_S or (start + end) / 2 > hi + SCENE_TOLERANCE_S:
            continue  # a match in the wrong scene is a coincidence, not a timing
        times[idx] = (min(max(start, lo), hi), min(max(end, lo), hi))
        aligned[idx] = 2 * len(matched) >= len(word_slots)

    _interpolate(script_words, times, spans, track_end)
    final = _monotonic([t for t in times if t is not None], track_end)
    words = [
        TimedWord(text=display, start=start, end=end, scene_id=sid, aligned=ok)
        for (display, sid), (start, end), ok in zip(script_words, final, aligned, strict=True)
    ]
    countable = [aligned[idx] for idx in range(len(script_words)) if idx in by_word]
    coverage = sum(countable) / len(countable) if countable else 1.0
    return words, coverage


def _interpolate(
    script_words: list[tuple[str, str]],
    times: list[tuple[float, float] | None],
    spans: dict[str, tuple[float, float]],
    track_end: float,
) -> None:
    """Fill untimed words run by run, each run inside its scene and between its anchors."""
    n = len(script_words)
    i = 0
    while i < n:
        if times[i] is not None:
            i += 1
            continue
        sid = script_words[i][1]
        j = i
        while j < n and times[j] is None and script_words[j][1] == sid:
            j += 1
        lo, hi = spans.get(sid, (0.0, track_end))
        prev = times[i - 1] if i > 0 and script_words[i - 1][1] == sid else None
        nxt = times[j] if j < n and script_words[j][1] == sid else None
        run = [w for w, _ in script_words[i:j]]
        left = max(lo, prev[1]) if prev else lo
        right = min(hi, nxt[0]) if nxt else hi
        if i > 0 and times[i - 1] is not None:
            left = max(left, times[i - 1][1])
        estimate = _estimate(run)
        if prev and not nxt:
            right = min(right, left + estimate)
        elif nxt and not prev:
            left = max(left, right - estimate)
        elif not prev and not nxt:
            right = min(right, left + estimate)
        right = max(right, left)
        for k, piece in enumerate(_spread([len(w) + 2 for w in run], left, right)):
            times[i + k] = piece
        i = j


def _monotonic(times: list[tuple[float, float]], track_end: float) -> list[tuple[float, float]]:
    """Make times ordered, non-overlapping, at least MIN_WORD_S long and inside the track."""
    n = len(times)
    if not n:
        return []
    eps = min(MIN_WORD_S, track_end / (n + 1))
    starts = [min(max(s, 0.0), track_end) for s, _ in times]
    ends = [min(max(e, 0.0), track_end) for _, e in times]
    prev_end = 0.0
    for k in range(n):
        starts[k] = max(starts[k], prev_end)
        ends[k] = max(ends[k], starts[k] + eps)
        prev_end = ends[k]
    next_start = track_end
    for k in range(n - 1, -1, -1):
        ends[k] = min(ends[k], next_start)
        starts[k] = min(starts[k], ends[k] - eps)
        next_start = starts[k]
    return list(zip(starts, ends, strict=True))


SAME_SOUND = {
    "too": "to",
    "two": "to",
    "four": "for",
    "reel": "real",
    "bites": "bytes",
    "write": "right",
    "know": "no",
    "there": "their",
}
"""Words that sound the same: the narration said them right whichever one the recogniser
wrote (``repo2video`` is spoken "repo two video" and heard "repo to video")."""
SPOKEN_SEPARATORS = frozenset({"dot"})
"""Said for a ``.`` in a name ("toc dot py"); recognisers write ``toc.py``, whose ``.``
normalises away."""


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """Levenshtein distance between the normalised token sequences, over the reference length.

    Items may be single words or whole texts; both sides are normalised the same
    way, so "12,000" and "twelve thousand" are no error, and neither are the ways a
    correct hearing can be written differently: words that sound the same
    (:data:`SAME_SOUND`), a spoken ``dot`` in a file name, and one word written as
    two or two as one ("dev tools" for "devtools", "wcrs" for "wc rs").
    """
    ref = _scored([t for item in reference for t in normalize_text(item)])
    hyp = _scored([t for item in hypothesis for t in normalize_text(item)])
    if not ref:
        return 0.0 if not hyp else 1.0
    length = len(ref)
    ref, hyp = _joined(ref, set(hyp)), _joined(hyp, set(ref))
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / length


def _scored(tokens: list[str]) -> list[str]:
    return [SAME_SOUND.get(t, t) for t in tokens if t not in SPOKEN_SEPARATORS]


def _joined(tokens: list[str], other: set[str], longest: int = 4) -> list[str]:
    """Runs of 2..``longest`` tokens whose concatenation is a word of the other side, as
    that one word."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 1, -1):
            joined = "".join(tokens[i : i + n])
            if joined in other:
                out.append(joined)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out
