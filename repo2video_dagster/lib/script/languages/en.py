"""English: the default language. Its script is the template writer's own (the README's
words quoted, the story arc); this module holds what the other languages hold too
(voices, list and number rules) so code can treat every language alike."""

from __future__ import annotations

from repo2video_dagster.lib.script.formatting import MONTHS
from repo2video_dagster.lib.script.languages.base import Language, Noun

LANGUAGE = Language(
    code="en",
    name="English",
    english_name="English",
    espeak_voice="en-us",
    and_word="and",
    months=MONTHS,
    month_pattern="{month} {year}",
    about="about",
    thousand="thousand",
    million_one="million",
    million_many="million",
    decimal=".",
    percent="percent",
    nouns={
        "file": Noun("1 file", "files"),
        "line": Noun("1 line", "lines"),
        "commit": Noun("1 commit", "commits"),
        "contributor": Noun("1 contributor", "contributors"),
        "star": Noun("1 star", "stars"),
        "fork": Noun("1 fork", "forks"),
        "package": Noun("1 package", "packages"),
        "part": Noun("1 part", "parts"),
        "step": Noun("1 step", "steps"),
    },
    title_pattern="{name} in 60 seconds",
    headings={},
)
