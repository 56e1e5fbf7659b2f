"""Speech-ready text: what the TTS says and the captions show."""

from __future__ import annotations

import re

import pytest

from repo2video_dagster.lib.script.spoken.clean import clean_for_speech, speak_phrase
from repo2video_dagster.lib.script.spoken.identifiers import speak_identifier, speak_name
from repo2video_dagster.lib.script.spoken.sentences import sentences

README = """\
# FastCSV

[![Build](https://img.shields.io/badge/build-passing-green.svg)](https://ci.example.com)
![logo](docs/logo.png)

**FastCSV** is a *blazing* fast CSV parser 🚀 for Python :sparkles:.

<!-- hidden comment -->
Install it:

```bash
pip install fastcsv
rm -rf /
```

- Parses `snake_case_name` files
- Works with `camelCase` and `PascalCase`
1. Call `foo.bar()` from `setup.py`

| option | meaning |
|--------|---------|
| --fast | go fast |

---

See the [documentation](https://fastcsv.readthedocs.io/en/latest/) or https://github.com/acme/fastcsv/issues.
"""


def test_readme_becomes_plain_sentences() -> None:
    text = clean_for_speech(README)
    assert text.startswith("FastCSV. FastCSV is a blazing fast CSV parser for Python.")
    assert "Install it." in text
    assert "Parses snake case name files." in text
    assert "Works with camel case and Pascal case." in text
    assert "Call foo dot bar from setup dot py." in text
    assert "See the documentation or GitHub." in text
    # Code blocks, tables, badges, comments, images are not read.
    for gone in ("pip install", "rm", "option", "go fast", "Build", "logo", "hidden", "sparkles"):
        assert gone not in text, gone
    assert not re.search(r"[`*#|\[\]<>_~]|https?:|www\.|\.com|🚀", text), text


@pytest.mark.parametrize(
    ("raw", "spoken"),
    [
        ("Written in C++ and C#.", "Written in C plus plus and C sharp."),
        ("Needs C++17 or F#", "Needs C plus plus 17 or F sharp."),
        ("Run with --dry-run or -v", "Run with dry run or v."),
        ("Released v1.2.3 today", "Released version 1.2.3 today."),
        ("Not V8 or v2ray", "Not V8 or v2ray."),
        ("Tom & Jerry && friends", "Tom and Jerry and friends."),
        ("input -> output => result", "Input output result."),
        ("Edit src/utils/helpers.py now", "Edit src utils helpers dot py now."),
        ("Uses __init__ hooks", "Uses init hooks."),
        ("The getUserName helper", "The get user name helper."),
        ("The HttpRequestHandler class", "The Http request handler class."),
        (
            "GitHub, TypeScript and PostgreSQL stay whole",
            "GitHub, TypeScript and PostgreSQL stay whole.",
        ),
        ("Built on Node.js", "Built on Node JS."),
        ("Call `std::vector` there", "Call std vector there."),
        ("Saves 50% and costs $5", "Saves 50 percent and costs 5 dollars."),
        ("Fixes #12", "Fixes number 12."),
        ("It is fast, e.g. very", "It is fast, for example very."),
        ("Mail a.b@example.com for help", "Mail for help."),
        ("See <https://example.org/page>", "See example dot org."),
        ("Go to www.example.org/x today", "Go to example dot org today."),
        ("A <b>bold</b> move<br>next", "A bold move next."),
        ("Hidden <script>alert(1)</script> text", "Hidden text."),
        ("Title\n=====\nBody", "Title. Body."),
        ("> quoted **strong** and __also__ and _em_", "Quoted strong and also and em."),
        ("~~old~~ new", "Old new."),
        ("Under 2 kB and gRPC ready", "Under 2 kB and gRPC ready."),
        ("Made in the U.S. by us", "Made in the US by us."),
        ("Run setup.py. Then example.com works", "Run setup dot py. Then example dot com works."),
        ("I/O at 3.5x on Python 3.11", "I O at 3.5x on Python 3.11."),
        # shapes said "by" (a voice reads "16:9" as "16 colon 9"); times stay as written
        ("A 9:16 reel and a 16:9 cut at 10:30", "A 9 by 16 reel and a 16 by 9 cut at 10:30."),
        # acronyms joined by a slash are a list, unless the pair is one name
        ("SRT/VTT subtitles over TCP/IP", "SRT and VTT subtitles over TCP IP."),
        ("JSON/YAML/TOML files", "JSON, YAML and TOML files."),
    ],
)
def test_symbols_and_identifiers_are_spoken(raw: str, spoken: str) -> None:
    assert clean_for_speech(raw) == spoken


def test_unknown_url_without_domain_becomes_project_page() -> None:
    assert clean_for_speech("See http://localhost:8080/x for it") == "See the project page for it."


def test_numbers_and_non_latin_text_are_kept() -> None:
    text = clean_for_speech("一个快速的命令行工具，用于处理数据。支持 macOS 和 Linux")
    assert text == "一个快速的命令行工具，用于处理数据。 支持 macOS 和 Linux."
    assert clean_for_speech("It has 1,234 lines and 12 files") == "It has 1,234 lines and 12 files."


def test_emoji_and_joiners_are_removed() -> None:
    assert clean_for_speech("Fast 👩‍💻 and 🇩🇪 safe ✅ ⭐") == "Fast and safe."


@pytest.mark.parametrize("raw", [README, "", "   ", "```\ncode only\n```", "![x](y.png)"])
def test_cleaning_is_idempotent(raw: str) -> None:
    once = clean_for_speech(raw)
    assert clean_for_speech(once) == once


def test_nothing_speakable_gives_empty_string() -> None:
    assert clean_for_speech("```\ncode only\n```") == ""
    assert clean_for_speech("[![b](https://x/y.svg)](https://x) 🚀") == ""


def test_every_sentence_ends_with_punctuation() -> None:
    text = clean_for_speech("# Heading\n\n- one\n- two:\n\nparagraph without end")
    parts = sentences(text)
    assert parts == ["Heading.", "One.", "Two.", "Paragraph without end."]


def test_sentences_split_keeps_versions_and_cjk() -> None:
    assert sentences("Version 1.2.3 is out. Try it! Really? 好。好的") == [
        "Version 1.2.3 is out.",
        "Try it!",
        "Really?",
        "好。",
        "好的",
    ]


@pytest.mark.parametrize(
    ("name", "spoken"),
    [
        ("fast-api_tools", "fast API tools"),
        ("repo2video", "repo2video"),
        ("GitHub", "GitHub"),
        ("myHTTPServer", "my HTTP server"),
        ("tinyDate", "tiny date"),
        ("node.js", "node JS"),
        ("OAuthLib", "OAuth Lib"),
        ("awesome-llm-apis", "awesome LLM APIs"),
        ("C++", "C plus plus"),
        ("owner/name", "owner name"),
    ],
)
def test_speak_name(name: str, spoken: str) -> None:
    assert speak_name(name) == spoken


def test_fragments_and_identifiers() -> None:
    assert speak_phrase("`csv_wrangler/join.py`") == "csv wrangler join dot py"
    assert speak_phrase("npm") == "npm"
    assert speak_identifier("foo.barBaz()") == "foo dot bar baz"
    assert speak_identifier("HTTPServer") == "HTTP server"
