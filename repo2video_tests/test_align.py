"""Alignment of script words to recognised words, and word error rate."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from repo2video_dagster.lib.core.records import Scene, TimedWord, VisualSpec
from repo2video_dagster.lib.speech.align import align_words, word_error_rate
from repo2video_dagster.lib.speech.asr import RecognizedWord, make_asr
from repo2video_dagster.lib.speech.narrate import narrate
from repo2video_dagster.lib.speech.tts import PiperTts
from repo2video_dagster.lib.speech.word_match import words_of


def _script(*scenes: tuple[str, str]) -> list[tuple[str, str]]:
    return [(w, sid) for sid, text in scenes for w in words_of(text)]


def _recognised(text: str, start: float = 0.0, step: float = 0.4) -> list[RecognizedWord]:
    """Words spoken back to back, ``step`` seconds each."""
    return [
        RecognizedWord(w, start + i * step, start + (i + 1) * step - 0.05, 0.9)
        for i, w in enumerate(text.split())
    ]


def _assert_valid(words: list[TimedWord], spans: list[tuple[str, float, float]]) -> None:
    track_end = max(end for _, _, end in spans)
    by_id = {sid: (lo, hi) for sid, lo, hi in spans}
    previous_end = 0.0
    for w in words:
        assert 0.0 <= w.start < w.end <= track_end + 1e-9, w
        assert w.start >= previous_end - 1e-9, w  # ordered, no overlap
        previous_end = w.end
        if w.scene_id in by_id and not w.aligned:
            lo, hi = by_id[w.scene_id]
            assert lo - 1e-9 <= w.start and w.end <= hi + 1e-9, w


def test_exact_match_takes_recogniser_times() -> None:
    script = _script(("a", "Hello there, world."))
    words, coverage = align_words(script, _recognised("hello there world"), [("a", 0.0, 2.0)])
    assert coverage == 1.0
    assert [w.text for w in words] == ["Hello", "there,", "world."]
    assert [(w.start, w.end) for w in words] == [
        (0.0, pytest.approx(0.35)),
        (pytest.approx(0.4), pytest.approx(0.75)),
        (pytest.approx(0.8), pytest.approx(1.15)),
    ]
    assert all(w.aligned and w.scene_id == "a" for w in words)


def test_numbers_written_differently_still_align() -> None:
    script = _script(("a", "It has 12,000 lines and version 3.5 today."))
    heard = _recognised("it has twelve thousand lines and version three point five today")
    words, coverage = align_words(script, heard, [("a", 0.0, 6.0)])
    assert coverage == 1.0
    number = next(w for w in words if w.text == "12,000")
    assert number.start == pytest.approx(0.8) and number.end == pytest.approx(1.55)
    # And the other way round: the script spells it out, the recogniser writes digits.
    script = _script(("a", "It has twelve thousand lines."))
    words, coverage = align_words(script, _recognised("It has 12,000 lines."), [("a", 0, 3)])
    assert coverage == 1.0
    assert words[2].start == pytest.approx(0.8) and words[3].end == pytest.approx(1.15)


def test_substitutions_count_and_split_words_map_by_characters() -> None:
    script = _script(("a", "Run the Dagster pipeline with Git today."))
    heard = _recognised("run the dag ster pipeline with get today")
    words, coverage = align_words(script, heard, [("a", 0.0, 4.0)])
    assert coverage == 1.0
    dagster = words[2]
    assert dagster.start == pytest.approx(0.8) and dagster.end == pytest.approx(1.55)
    assert words[5].text == "Git" and words[5].aligned


def test_missed_words_are_interpolated_inside_their_scene() -> None:
    script = _script(
        ("one", "First scene speaks here."), ("two", "Second scene is longer than that.")
    )
    spans = [("one", 0.3, 2.5), ("two", 2.5, 6.0)]
    heard = _recognised("first scene", start=0.3) + _recognised("is longer than that", start=3.3)
    words, coverage = align_words(script, heard, spans)
    _assert_valid(words, spans)
    assert coverage == pytest.approx(6 / 10)
    missed = [w for w in words if not w.aligned]
    assert [w.text for w in missed] == ["speaks", "here.", "Second", "scene"]
    speaks, here, second, scene = missed
    assert words[1].end <= speaks.start < here.end <= 2.5
    assert 2.5 <= second.start < scene.end <= 3.3
    assert here.end - speaks.start < 1.5  # an estimate, not the whole rest of the scene


def test_short_misheard_stretch_between_anchors_takes_audio_timing() -> None:
    """Real case: piper's "and prints a tidy" came back as "in parentzitiety"."""
    script = _script(("s", "lines and characters and prints a tidy report here."))
    heard = _recognised("lines and characters in parentzitiety report here.", start=0.3, step=0.3)
    spans = [("s", 0.3, 3.0)]
    words, coverage = align_words(script, heard, spans)
    _assert_valid(words, spans)
    assert coverage == 1.0
    texts = [w.text for w in words]
    prints, report = words[texts.index("prints")], words[texts.index("report")]
    assert heard[3].start <= prints.start < report.start  # inside the misheard stretch


def test_long_garbage_or_silence_is_not_counted_as_aligned() -> None:
    script = _script(("s", "one two three four five six seven eight nine ten end."))
    # eight script words heard as one short noise: not credible timing
    heard = (
        _recognised("one", start=0.3)
        + _recognised("zzz", start=0.8, step=0.1)
        + _recognised("end.", start=3.5)
    )
    words, coverage = align_words(script, heard, [("s", 0.3, 4.0)])
    assert coverage < 0.5
    assert not any(w.aligned for w in words[1:10])


def test_match_in_the_wrong_scene_is_not_trusted() -> None:
    script = _script(("one", "Hello."), ("two", "Goodbye now."))
    spans = [("one", 0.0, 1.0), ("two", 1.0, 3.0)]
    # The recogniser heard "hello" late, inside scene two: that cannot be scene one's word.
    heard = [RecognizedWord("goodbye", 1.1, 1.5, 0.9), RecognizedWord("hello", 2.5, 2.9, 0.9)]
    words, coverage = align_words(script, heard, spans)
    _assert_valid(words, spans)
    assert not words[0].aligned and words[0].end <= 1.0
    # In scene two, "hello" stands where "now" was expected: a 1:1 substitution.
    assert words[2].aligned and (words[2].start, words[2].end) == (2.5, 2.9)
    assert coverage == pytest.approx(2 / 3)


def test_nothing_recognised_still_gives_valid_times() -> None:
    script = _script(("a", "Some words \u2014 here."), ("b", "And more."))
    spans = [("a", 0.3, 2.0), ("b", 2.0, 3.0)]
    words, coverage = align_words(script, [], spans)
    _assert_valid(words, spans)
    assert coverage == 0.0 and not any(w.aligned for w in words)
    assert [w.text for w in words] == ["Some", "words", "\u2014", "here.", "And", "more."]
    assert align_words([], [], []) == ([], 1.0)


def test_random_recognition_errors_keep_invariants() -> None:
    rng = random.Random(42)
    vocab = [
        "the",
        "code",
        "reads",
        "every",
        "file",
        "and",
        "writes",
        "a",
        "short",
        "script",
        "then",
        "renders",
        "video",
    ]
    for _ in range(40):
        scenes = [(f"s{k}", " ".join(rng.choices(vocab, k=rng.randint(1, 12)))) for k in range(3)]
        script = _script(*scenes)
        spans, t, heard = [], 0.3, []
        for sid, text in scenes:
            start = t
            for w in text.split():
                roll = rng.random()
                if roll < 0.1:
                    t += 0.3
                    continue  # dropped
                word = rng.choice(vocab) if roll < 0.2 else w
                heard.append(RecognizedWord(word, t + rng.uniform(-0.1, 0.1), t + 0.3, 0.5))
                t += 0.35
                if roll > 0.95:
                    heard.append(RecognizedWord("um", t, t + 0.1, 0.2))  # inserted
                    t += 0.15
            spans.append((sid, start, t + 0.45))
            t += 0.45
        heard.sort(key=lambda r: r.start)
        words, coverage = align_words(script, heard, spans)
        assert len(words) == len(script) and 0.0 <= coverage <= 1.0
        assert [w.text for w in words] == [w for w, _ in script]
        _assert_valid(words, spans)


def test_word_error_rate() -> None:
    assert word_error_rate(["It has 12,000 lines."], ["it has twelve thousand lines"]) == 0.0
    assert word_error_rate(["a", "b", "c", "d"], ["a", "x", "c", "d"]) == 0.25
    assert word_error_rate(["a", "b", "c", "d"], ["a", "c", "d"]) == 0.25
    assert word_error_rate(["a", "b"], ["a", "b", "c", "d"]) == 1.0
    assert word_error_rate([], []) == 0.0 and word_error_rate([], ["x"]) == 1.0


def test_word_error_rate_counts_hearing_not_spelling() -> None:
    """Seen in renders: a right hearing written another way is no error."""
    script = ["Meet repo2video. Install wc rs, see toc dot py and the devtools reel."]
    heard = ["Meet repo to video. Install WCRS, see toc.py and the dev tools real."]
    assert word_error_rate(script, heard) == 0.0
    # A wrong word still counts, next to a right hearing written differently.
    assert word_error_rate(["the devtools reel"], ["the dev tools meal"]) == 1 / 3
    assert word_error_rate(["mdtoc reads headings"], ["md talk reads headings"]) == 2 / 3


def test_real_narration_aligns_with_high_coverage(tmp_path: Path) -> None:
    scenes = [
        Scene("hook", "Hook", "Meet repo2video, a tool for Git repositories.", VisualSpec("title")),
        Scene(
            "what",
            "What",
            "It reads 12,000 lines of Python code in a few seconds.",
            VisualSpec("overview"),
        ),
        Scene("outro", "Outro", "Then Docker runs the whole pipeline.", VisualSpec("outro")),
    ]
    narration = narrate(scenes, tmp_path, PiperTts(), cache_dir=None)
    recognised = make_asr("faster-whisper", "tiny.en", device="cpu").transcribe_words(
        Path(narration.track_path)
    )
    script = [(w, s.id) for s in scenes for w in words_of(s.narration)]
    spans = [(s.scene_id, s.offset_s, s.offset_s + s.duration_s) for s in narration.scenes]
    words, coverage = align_words(script, recognised, spans)
    assert coverage >= 0.98, [(w.text, w.aligned) for w in words]
    _assert_valid(words, spans)
    assert words[-1].end <= narration.duration_s
    for w in words:  # every word lies in its own scene (small tolerance for whisper)
        lo, hi = next((a, b) for sid, a, b in spans if sid == w.scene_id)
        assert lo - 0.01 <= w.start and w.end <= hi + 0.01
