"""Normalisation must make the script and the recogniser agree on what a word is."""

from __future__ import annotations

import pytest

from repo2video_dagster.lib.speech.word_match import (
    normalize_text,
    normalize_token,
    number_to_words,
    words_of,
)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (45, "forty five"),
        (100, "one hundred"),
        (101, "one hundred one"),
        (999, "nine hundred ninety nine"),
        (1000, "one thousand"),
        (1001, "one thousand one"),
        (2024, "two thousand twenty four"),
        (12345, "twelve thousand three hundred forty five"),
        (100000, "one hundred thousand"),
        (1_000_000, "one million"),
        (3_000_000_017, "three billion seventeen"),
        (10**12, "one trillion"),
        (-5, "minus five"),
    ],
)
def test_number_to_words(n: int, words: str) -> None:
    assert number_to_words(n) == words


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("Hello,", ["hello"]),
        ('"Quoted!"', ["quoted"]),
        ("12,000", ["twelve", "thousand"]),
        ("12,000.", ["twelve", "thousand"]),
        ("3.5", ["three", "point", "five"]),
        ("3.11", ["three", "point", "one", "one"]),
        ("v1.2.3", ["v", "one", "point", "two", "point", "three"]),
        ("2nd", ["second"]),
        ("21st", ["twenty", "first"]),
        ("100th", ["one", "hundredth"]),
        ("1990s", ["one", "thousand", "nine", "hundred", "nineties"]),
        ("50%", ["fifty", "percent"]),
        ("$5", ["five", "dollars"]),
        ("open-source", ["open", "source"]),
        ("3rd-party", ["third", "party"]),
        ("Don't", ["dont"]),
        ("it\u2019s", ["its"]),
        ("C++", ["c", "plus", "plus"]),
        ("Caf\u00e9", ["cafe"]),
        ("snake_case", ["snake", "case"]),
        ("repo2video", ["repo", "two", "video"]),
        ("mp4", ["mp", "four"]),
        ("-5", ["minus", "five"]),
        ("9x16", ["nine", "by", "sixteen"]),  # how a recogniser writes "9 by 16"
        (
            "1920\u00d71080",
            ["one", "thousand", "nine", "hundred", "twenty", "by", "one", "thousand", "eighty"],
        ),
        ("\u2014", []),
        ("...", []),
    ],
)
def test_normalize_token(token: str, expected: list[str]) -> None:
    assert normalize_token(token) == expected


def test_written_and_spoken_numbers_normalise_alike() -> None:
    assert normalize_text("It has 12,000 lines") == normalize_text("it has twelve thousand lines")
    assert normalize_text("version 3.5") == normalize_text("Version three point five.")
    assert normalize_text("Repo 2 video") == normalize_text("repo2video")


def test_words_of_keeps_display_text_exactly() -> None:
    text = "Meet repo2video \u2014 it reads 12,000 lines,\n  then writes a script!"
    words = words_of(text)
    assert words == [
        "Meet",
        "repo2video",
        "\u2014",
        "it",
        "reads",
        "12,000",
        "lines,",
        "then",
        "writes",
        "a",
        "script!",
    ]
    assert " ".join(words) == " ".join(text.split())
    assert words_of("   ") == []
