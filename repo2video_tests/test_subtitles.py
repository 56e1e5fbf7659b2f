"""Caption cues and subtitle files, checked by parsing them back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from repo2video_dagster.lib.core.records import Scene, TimedWord, VisualSpec
from repo2video_dagster.lib.speech.align import align_words
from repo2video_dagster.lib.speech.asr import make_asr
from repo2video_dagster.lib.speech.narrate import narrate
from repo2video_dagster.lib.speech.subtitles import (
    Cue,
    group_cues,
    srt_timestamp,
    vtt_timestamp,
    write_srt,
    write_vtt,
    write_words_json,
)
from repo2video_dagster.lib.speech.tts import PiperTts
from repo2video_dagster.lib.speech.word_match import words_of

_TIME = r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d)"


def _seconds(match: tuple[str, str, str, str]) -> float:
    h, m, s, ms = (int(x) for x in match)
    return h * 3600 + m * 60 + s + ms / 1000


def parse_srt(text: str) -> list[tuple[int, float, float, str]]:
    """A strict little SRT reader: index line, timing line, text lines, blank line."""
    cues = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        assert len(lines) >= 3, block
        times = re.fullmatch(_TIME + " --> " + _TIME, lines[1])
        assert times, lines[1]
        g = times.groups()
        cues.append((int(lines[0]), _seconds(g[:4]), _seconds(g[4:]), "\n".join(lines[2:])))
    return cues


def _words(spec: str, scene: str = "a", start: float = 0.0, step: float = 0.3) -> list[TimedWord]:
    return [
        TimedWord(w, start + i * step, start + i * step + step * 0.8, scene, True)
        for i, w in enumerate(spec.split())
    ]


def test_timestamps() -> None:
    assert srt_timestamp(0) == "00:00:00,000"
    assert srt_timestamp(3723.4567) == "01:02:03,457"
    assert vtt_timestamp(59.9996) == "00:01:00.000"


def test_cues_break_at_sentences_scenes_and_limits() -> None:
    words = (
        _words("One two. Three four five six seven eight nine ten eleven", "a")
        + _words("New scene here", "b", start=3.5)
        + _words("after a long pause", "b", start=5.0)
    )
    cues = group_cues(words, max_chars=32, max_words=6, max_gap_s=0.6, max_duration_s=3.2)
    texts = [c.text for c in cues]
    assert texts == [
        "One two.",
        "Three four five six seven eight",
        "nine ten eleven",
        "New scene here",
        "after a long pause",
    ]
    assert [c.index for c in cues] == [1, 2, 3, 4, 5]
    for cue in cues:
        assert len(cue.text) <= 32 and len(cue.words) <= 6
        assert cue.start == cue.words[0].start and cue.end >= cue.words[-1].end
        assert len({w.scene_id for w in cue.words}) == 1
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.start < a.end <= b.start


def test_long_words_comma_breaks_and_duration() -> None:
    long_word = "supercalifragilisticexpialidocious-and-more"
    cues = group_cues(_words(f"Hi {long_word} ok"))
    assert [c.text for c in cues] == ["Hi", long_word, "ok"]
    cues = group_cues(_words("The parser, the writer, and the renderer"), max_chars=32)
    assert cues[0].text == "The parser, the writer,"
    slow = _words("a b c d e", step=1.0)
    assert all(c.end - c.start <= 3.2 + 0.3 for c in group_cues(slow, max_duration_s=3.2))


def test_cue_lingers_but_never_overlaps_or_leaves_track() -> None:
    words = _words("First sentence.", start=0.0) + _words("Second one.", start=0.55)
    cues = group_cues(words, track_end=1.2)
    assert cues[0].end == pytest.approx(0.55)  # linger cut at the next cue
    assert cues[1].end == pytest.approx(1.2)  # linger cut at the end of the track
    lone = group_cues(_words("Alone."), track_end=10.0)
    assert lone[0].end == pytest.approx(0.24 + 0.3)


def test_srt_vtt_and_json_parse_back(tmp_path: Path) -> None:
    words = _words("Use <b> & enjoy --> it. Then more words follow here", step=0.4)
    cues = group_cues(words, track_end=10.0)
    srt = write_srt(cues, tmp_path / "subs" / "captions.srt")
    parsed = parse_srt(srt.read_text(encoding="utf-8"))
    assert [p[0] for p in parsed] == [c.index for c in cues]
    assert [p[3] for p in parsed] == [c.text.replace("-->", "->") for c in cues]
    for (_, start, end, _), cue in zip(parsed, cues, strict=True):
        assert start == pytest.approx(cue.start, abs=5e-4) and end == pytest.approx(
            cue.end, abs=5e-4
        )

    vtt = write_vtt(cues, tmp_path / "captions.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n\n")
    body = vtt.split("\n\n")[1:]
    first = body[0].split("\n")
    assert first[0] == "1" and re.fullmatch(_TIME + " --> " + _TIME, first[1])
    assert "<c>&lt;b&gt;</c>" in vtt and "<c>&amp;</c>" in vtt and "<b>" not in vtt
    plain_vtt = write_vtt(cues, tmp_path / "plain.vtt", karaoke=False).read_text("utf-8")
    assert "\nUse &lt;b&gt; &amp; enjoy --&gt; it.\n" in plain_vtt
    (tmp_path / "plain.vtt").unlink()
    for block in filter(None, body):
        lines = block.split("\n")
        g = re.fullmatch(_TIME + " --> " + _TIME, lines[1]).groups()
        start, end = _seconds(g[:4]), _seconds(g[4:])
        tags = [_seconds(t) for t in re.findall(r"<" + _TIME + r">", lines[2])]
        assert tags == sorted(tags) and all(start < t < end for t in tags)
        assert len(tags) == lines[2].count("<c>") - 1  # every word but the first
        plain = re.sub(r"<[^>]+>", "", lines[2])
        assert plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    data = json.loads(write_words_json(words, tmp_path / "words.json").read_text("utf-8"))
    assert [d["text"] for d in data] == [w.text for w in words]
    assert data[1] == {"text": "<b>", "start": 0.4, "end": 0.72, "scene_id": "a", "aligned": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["captions.vtt", "subs", "words.json"]


def test_cue_text_joins_display_words() -> None:
    cue = Cue(1, 0.0, 1.0, _words("Hello, world!"))
    assert cue.text == "Hello, world!"


def test_real_narration_to_subtitles(tmp_path: Path) -> None:
    scenes = [
        Scene("hook", "Hook", "Meet a tool that turns code into video.", VisualSpec("title")),
        Scene("how", "How", "It reads 12,000 lines, then writes a script.", VisualSpec("code")),
    ]
    narration = narrate(scenes, tmp_path, PiperTts(), cache_dir=None)
    recognised = make_asr("faster-whisper", "tiny.en", device="cpu").transcribe_words(
        Path(narration.track_path)
    )
    script = [(w, s.id) for s in scenes for w in words_of(s.narration)]
    spans = [(s.scene_id, s.offset_s, s.offset_s + s.duration_s) for s in narration.scenes]
    words, _coverage = align_words(script, recognised, spans)
    cues = group_cues(words, track_end=narration.duration_s)
    parsed = parse_srt(write_srt(cues, tmp_path / "c.srt").read_text("utf-8"))
    assert " ".join(p[3] for p in parsed) == " ".join(s.narration for s in scenes)
    previous_end = 0.0
    for _, start, end, _ in parsed:
        assert previous_end <= start < end <= narration.duration_s + 5e-4
        previous_end = end
    # No cue mixes the two scenes.
    second = narration.scenes[1].offset_s
    assert any(abs(start - second) < 0.6 for _, start, _, _ in parsed)
    assert all(not (start < second - 0.01 and end > second + 0.5) for _, start, end, _ in parsed)
