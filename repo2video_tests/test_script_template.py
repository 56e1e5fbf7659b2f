"""The offline template writer: deterministic, factual, speakable scripts."""

from __future__ import annotations

import re

import pytest

from repo2video_dagster.lib.core.records import LanguageShare, RepoProfile
from repo2video_dagster.lib.script.schema import script_to_json, validate_script
from repo2video_dagster.lib.script.spoken.clean import clean_for_speech
from repo2video_dagster.lib.script.spoken.sentences import sentences
from repo2video_dagster.lib.script.template.draft import TARGET_MAX_WORDS, TARGET_MIN_WORDS
from repo2video_dagster.lib.script.template.writer import TemplateWriter
from repo2video_tests import profiles

ORDER = ["hook", "problem", "what", "picture", "architecture", "dependencies", "languages"]
ORDER += ["install", "usage", "code", "activity", "outro"]


@pytest.fixture(params=sorted(profiles.ALL))
def profile(request: pytest.FixtureRequest) -> RepoProfile:
    return profiles.ALL[request.param]()


def _numbers_in(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def _allowed_numbers(p: RepoProfile) -> set[str]:
    """Every number the narration may say, derived from the profile (nothing invented)."""
    values: list[float] = [
        p.total_files,
        p.total_lines,
        p.history.commits,
        p.history.people,
        len(p.top_level),
        len(p.install_commands),
    ]
    values += [lang.lines for lang in p.languages]
    values += [sum(lang.files for lang in p.languages)]
    values += [p.stars or 0, p.forks or 0]
    for snippet in (p.usage, p.code_sample):
        if snippet:
            values.append(len([ln for ln in snippet.code.splitlines() if ln.strip()]))
    allowed = {str(int(v)) for v in values}
    allowed |= {str(round(v / 1000)) for v in values}  # "about 14 thousand"
    allowed |= {str(round(v / 1_000_000, 1)).removesuffix(".0") for v in values}
    allowed |= {str(max(1, round(lang.share * 100))) for lang in p.languages}
    for when in (p.history.first_commit, p.history.last_commit):
        if when:
            allowed.add(when[:4])
    text = " ".join(
        [
            p.name,
            p.description,
            p.readme_excerpt,
            p.license or "",
            *p.install_commands,
            *p.entry_points,
            p.usage.lead if p.usage else "",
        ]
    )
    allowed |= _numbers_in(text)
    allowed |= _numbers_in(" ".join(p.modules))
    return allowed


def test_same_profile_gives_the_same_script(profile: RepoProfile) -> None:
    first = script_to_json(TemplateWriter().write(profile))
    second = script_to_json(TemplateWriter().write(profile))
    assert first == second


def test_scene_structure(profile: RepoProfile) -> None:
    script = TemplateWriter().write(profile)
    ids = [s.id for s in script.scenes]
    assert 6 <= len(ids) <= 9
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids, key=ORDER.index), "scenes keep the documented order"
    assert {"hook", "what", "install", "architecture", "activity", "outro"} <= set(ids)
    assert script.scenes[0].visual.kind == "title"
    assert script.scenes[-1].visual.kind == "outro"
    kinds = {s.id: s.visual.kind for s in script.scenes}
    assert kinds["install"] == "command"
    assert kinds["architecture"] in ("tree", "overview", "graph")
    assert kinds["activity"] == "stats"
    assert script.writer == "template"


def test_narration_is_clean_short_and_factual(profile: RepoProfile) -> None:
    script = TemplateWriter().write(profile)
    allowed = _allowed_numbers(profile)
    for scene in script.scenes:
        assert scene.narration == clean_for_speech(scene.narration), scene.id
        assert 1 <= len(sentences(scene.narration)) <= 4, scene.narration
        assert not re.search(r"https?:|www\.|[`*#<>\[\]{}|_]", scene.narration), scene.narration
        invented = _numbers_in(scene.narration) - allowed
        assert not invented, f"{scene.id}: {invented} in {scene.narration!r}"
    assert not re.search(r"[\u4e00-\u9fff]", " ".join(s.narration for s in script.scenes))


@pytest.mark.parametrize("name", ["python_cli", "js_library", "go_service", "long_non_latin"])
def test_rich_repositories_hit_the_word_target(name: str) -> None:
    script = TemplateWriter().write(profiles.ALL[name]())
    assert TARGET_MIN_WORDS <= script.word_count <= TARGET_MAX_WORDS, script.word_count


@pytest.mark.parametrize("name", ["tiny_repo", "no_data_repo"])
def test_tiny_repositories_get_a_shorter_script(name: str) -> None:
    script = TemplateWriter().write(profiles.ALL[name]())
    assert 60 <= script.word_count < TARGET_MIN_WORDS
    assert len(script.scenes) >= 6


def test_python_cli_facts_and_visuals() -> None:
    p = profiles.python_cli()
    script = TemplateWriter().write(p)
    scenes = {s.id: s for s in script.scenes}
    text = " ".join(s.narration for s in script.scenes)
    assert "1,234 commits from 3 contributors" in text
    assert "March 2021" in text and "May 2024" in text
    assert "86 percent" in text
    assert "about 14 thousand lines" in text
    assert "pip install csv-wrangler" in scenes["install"].narration
    # the install command, then the command the narration says it runs as
    assert scenes["install"].visual.data["commands"] == ["pip install csv-wrangler", "csvw"]
    usage = scenes["usage"].visual
    assert usage.kind == "code"
    assert usage.data["code"] == p.usage.code  # the real README snippet
    assert usage.data["source"] == "README.md"
    assert scenes["code"].visual.data["source"] == "csv_wrangler/join.py"
    assert "join rows" in scenes["code"].narration
    tree = scenes["architecture"].visual.data
    assert tree["lines"] == p.tree and tree["highlights"] == p.modules[:4]
    langs = scenes["languages"].visual.data["languages"]
    assert [lang["name"] for lang in langs] == ["Python", "Shell", "Makefile"]
    stats = {s["label"]: s["value"] for s in scenes["activity"].visual.data["stats"]}
    assert stats["Commits"] == "1,234" and stats["Stars"] == "3,400"
    assert stats["First commit"] == "Mar 2021"
    assert scenes["outro"].visual.data["url"] == "https://github.com/acme/csv-wrangler"


def test_usage_falls_back_to_the_code_sample() -> None:
    p = profiles.go_service()
    scenes = {s.id: s for s in TemplateWriter().write(p).scenes}
    assert scenes["usage"].visual.data["code"].startswith("func (s *Store) Append")
    assert "no usage example" in scenes["usage"].narration
    assert "code" not in scenes  # the sample is not shown twice
    assert "license" in scenes["outro"].narration.lower()
    assert "no license" in scenes["outro"].narration.lower()
    assert "about 106 thousand lines" in scenes["what"].narration


def test_dependencies_show_the_names_people_use() -> None:
    """Go module paths overflow the slide ("Uses github.com/jackc/pgx/v5…"): show "pgx"."""
    scenes = {s.id: s for s in TemplateWriter().write(profiles.go_service()).scenes}
    bullets = scenes["what"].visual.data["bullets"]
    assert "Uses grpc, pgx" in bullets, bullets


def test_overview_counts_what_the_narration_counts() -> None:
    p = profiles.python_cli()
    scenes = {s.id: s for s in TemplateWriter().write(p).scenes}
    code_files = sum(lang.files for lang in p.languages)
    assert code_files != p.total_files
    bullets = scenes["what"].visual.data["bullets"]
    assert f"{code_files:,} source files · {p.total_lines:,} lines" in bullets, bullets
    assert f"across {code_files} files" in scenes["what"].narration
    assert bullets[0] == "Written in Python, Shell, Makefile"


def test_trace_languages_are_not_what_it_is_written_in() -> None:
    p = profiles.python_cli()
    p.languages = [
        LanguageShare("Go", files=37, lines=14_400, share=0.998),
        LanguageShare("Makefile", files=1, lines=30, share=0.002),
    ]
    scenes = {s.id: s for s in TemplateWriter().write(p).scenes}
    assert scenes["what"].visual.data["bullets"][0] == "Written in Go"
    assert "entirely in Go" in scenes["what"].narration


def test_usage_narration_says_the_readmes_lead_in() -> None:
    p = profiles.python_cli()
    assert p.usage is not None
    p.usage.lead = "Join two CSV files on a column."
    scenes = {s.id: s for s in TemplateWriter().write(p).scenes}
    assert "Join two CSV files on a column." in scenes["usage"].narration


def test_truncated_history_is_a_lower_bound() -> None:
    scenes = {s.id: s for s in TemplateWriter().write(profiles.js_library()).scenes}
    assert "at least 480 commits" in scenes["activity"].narration
    stats = {s["label"]: s["value"] for s in scenes["activity"].visual.data["stats"]}
    assert stats["Commits"] == "480+"


def test_missing_data_is_said_not_guessed() -> None:
    script = TemplateWriter().write(profiles.no_data_repo())
    scenes = {s.id: s for s in script.scenes}
    assert "usage" not in scenes and "languages" not in scenes
    assert "no commit history" in scenes["activity"].narration
    assert "no README" in scenes["what"].narration
    assert "no install steps" in scenes["install"].narration
    assert scenes["install"].visual.data["commands"] == ["git clone <url>", "cd empty_ish"]
    tiny = {s.id: s for s in TemplateWriter().write(profiles.tiny_repo()).scenes}
    assert "single commit" in tiny["activity"].narration
    assert "February 2024" in tiny["activity"].narration


def test_non_latin_description_is_not_read_but_shown() -> None:
    p = profiles.long_non_latin()
    script = TemplateWriter().write(p)
    hook = script.scenes[0]
    assert "written in Chinese" in hook.narration
    assert hook.visual.data["subtitle"] == p.description
    assert len(script.title) <= 100 and script.title.endswith("in 60 seconds")
    assert "中文" in script.tags


def test_title_description_and_tags() -> None:
    p = profiles.python_cli()
    script = TemplateWriter().write(p)
    assert script.title == "csv-wrangler in 60 seconds"
    assert script.description.startswith(p.description)
    assert "License: MIT" in script.description and "1,234 commits" in script.description
    assert not re.search(r"\d+:\d\d", script.description), "no chapters in the description"
    tags = script.tags
    assert tags == [t.lower() for t in tags] and len(tags) == len(set(tags)) <= 15
    assert {"python", "csv", "click", "csv-wrangler"} <= set(tags)


def test_phrasing_varies_between_repositories() -> None:
    scripts = [TemplateWriter().write(make()) for make in profiles.ALL.values()]
    headings = {next(s.title for s in sc.scenes if s.id == "what") for sc in scripts}
    outros = {sc.scenes[-1].narration.split()[0] for sc in scripts}
    assert len(headings) > 1 and len(outros) > 1


def test_template_scripts_pass_the_shared_validation(profile: RepoProfile) -> None:
    script = TemplateWriter().write(profile)
    again = validate_script(script_to_json(script) | {"writer": "template"}, profile=profile)
    assert script_to_json(again) == script_to_json(script)
