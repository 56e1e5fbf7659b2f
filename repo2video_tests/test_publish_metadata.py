"""YouTube metadata limits, chapters and the quota day (Pacific, across DST)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from repo2video_dagster.lib.publish.youtube.metadata import (
    DESCRIPTION_MAX_BYTES,
    build_description,
    chapter_lines,
    clean_title,
    fit_tags,
    tag_cost,
)
from repo2video_dagster.lib.publish.youtube.quota import QuotaLedger, QuotaLimits, parse_costs
from repo2video_devtools.fakes.youtube import metadata_problem


def test_title_is_one_line_without_angle_brackets_and_at_most_100_chars() -> None:
    title = clean_title("A <very> long\ntitle " + "word " * 40)
    assert len(title) <= 100 and "<" not in title and ">" not in title and "\n" not in title
    assert title.endswith("…")
    assert clean_title("   ") == "Untitled"
    assert len(clean_title("x" * 300, suffix=" #Shorts")) == 100


def test_tags_fit_500_characters_counting_quotes_and_commas() -> None:
    tags = fit_tags([f"tag number {i}" for i in range(100)] + ["python", "Python", "<b>"])
    assert sum(tag_cost(t) for t in tags) + len(tags) - 1 <= 500
    assert tags.count("python") == 1 and "Python" not in tags and "b" in tags


def test_chapters_follow_youtubes_rules_or_are_left_out() -> None:
    scenes = [(0.0, "Intro"), (4.0, "Too short"), (12.0, "Install"), (30.0, "Use"), (55.0, "End")]
    assert chapter_lines(scenes, duration_s=60.0) == ["00:00 Intro", "00:12 Install", "00:30 Use"]
    assert chapter_lines([(0.0, "A"), (12.0, "B")], duration_s=40.0) is None  # fewer than 3
    assert chapter_lines([(2.0, "A"), (15.0, "B"), (30.0, "C")], 3700.0)[0] == "00:00 A"
    assert chapter_lines([(0.0, "A"), (15.0, "B"), (3600.0, "C")], 3700.0)[2] == "1:00:00 C"


def test_description_keeps_chapters_and_fits_5000_bytes() -> None:
    scenes = [(0.0, "Intro"), (12.0, "Install"), (30.0, "Use")]
    text = build_description("é" * 6000, chapters=scenes, duration_s=60.0, links=["https://x.y"])
    assert len(text.encode()) <= DESCRIPTION_MAX_BYTES
    assert "00:00 Intro" in text and "https://x.y" in text
    assert metadata_problem({"snippet": {"title": "t", "description": text, "tags": []}}) is None
    short = build_description("About", chapters=scenes, duration_s=60.0, short=True)
    assert short.endswith("#Shorts") and "00:00" not in short


def test_quota_day_resets_at_pacific_midnight_across_dst(tmp_path: Path) -> None:
    clock = datetime(2026, 3, 8, 7, 59, tzinfo=UTC)  # 23:59 PST, the night DST starts
    ledger = QuotaLedger(tmp_path / "q.json", QuotaLimits(), clock=lambda: clock)
    assert ledger.next_reset() == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)
    ledger.spend("captions.insert")
    ledger.spend("videos.insert")
    assert ledger.state()["units"] == 400 and ledger.state()["uploads"] == 1
    clock = datetime(2026, 3, 9, 6, 59, tzinfo=UTC)  # 23:59 PDT the next day
    assert ledger.next_reset() == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    assert ledger.state()["units"] == 0  # a new day, a new budget
    assert parse_costs("captions.insert=200")["captions.insert"] == 200
