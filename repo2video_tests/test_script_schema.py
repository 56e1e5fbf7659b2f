"""Script validation shared by both writers, slide data from the profile, JSON round trip."""

from __future__ import annotations

import copy
import json

import pytest

from repo2video_dagster.lib.core.errors import ScriptError
from repo2video_dagster.lib.script.formatting import format_count, month_year
from repo2video_dagster.lib.script.schema import (
    normalise_tags,
    script_from_json,
    script_to_json,
    validate_script,
)
from repo2video_dagster.lib.script.slide_data import ALLOWED_KINDS, fill_visual
from repo2video_dagster.lib.script.template.writer import TemplateWriter
from repo2video_tests import profiles
from repo2video_tests.profiles import llm_script


def test_valid_script_is_built_with_profile_data() -> None:
    p = profiles.python_cli()
    script = validate_script(llm_script(7), profile=p)
    assert [s.id for s in script.scenes] == [
        "hook",
        "what",
        "install",
        "usage",
        "architecture",
        "languages",
        "outro",
    ]
    assert script.tags == ["python", "csv"]
    usage = script.scenes[3].visual
    assert usage.kind == "code" and usage.data["code"] == p.usage.code
    commands = script.scenes[2].visual.data["commands"]
    assert commands[: len(p.install_commands)] == p.install_commands
    assert script.scenes[4].visual.data["lines"] == p.tree
    assert script.scenes[0].visual.data["title"] == p.name


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s["scenes"].__delitem__(slice(3, None)), "it has 3 scenes (need 6 to 9)"),
        (lambda s: s["scenes"].extend(copy.deepcopy(s["scenes"][:3])), "it has 10 scenes"),
        (lambda s: s["scenes"][2].update(narration="  "), "scene 3 has no narration"),
        (lambda s: s["scenes"][2].update(narration="```\ncode\n```"), "scene 3 has no speakable"),
        (lambda s: s["scenes"][1].update(narration="word " * 200), "scene 2 narration has"),
        (lambda s: s["scenes"][4].update(id="hook"), "scene 5 repeats the id 'hook'"),
        (lambda s: s["scenes"][4].pop("id"), "scene 5 has no id"),
        (
            lambda s: s["scenes"][3].update(visual={"kind": "chart"}),
            "scene 4 has visual kind 'chart'",
        ),
        (lambda s: s["scenes"][3].pop("visual"), "scene 4 has no visual kind"),
        (lambda s: s["scenes"][0].__setitem__("narration", 5), "scene 1 has no narration"),
        (lambda s: s.update(title=""), "title is missing"),
        (lambda s: s.update(title="x" * 101), "title has 101 characters"),
        (lambda s: s.update(tags="a,b"), "tags is not a list of strings"),
        (lambda s: s.update(scenes={}), "scenes is not a list"),
        (
            lambda s: [sc.update(narration="Short one.") for sc in s["scenes"]],
            "narration has 14 words in total (need 60 to 260)",
        ),
    ],
)
def test_first_problem_is_named_in_one_line(mutate, message: str) -> None:
    obj = llm_script(7)
    mutate(obj)
    with pytest.raises(ScriptError) as info:
        validate_script(obj, profile=profiles.python_cli())
    text = str(info.value)
    assert text.startswith("LLM script invalid: ")
    assert message in text
    assert "\n" not in text


def test_not_an_object_is_rejected() -> None:
    with pytest.raises(ScriptError, match="not a JSON object"):
        validate_script([1, 2], profile=profiles.python_cli())


def test_narration_is_cleaned_before_measuring() -> None:
    obj = llm_script(7)
    obj["scenes"][0]["narration"] = "**Meet** `csv_wrangler` at https://github.com/acme/x 🚀. " * 2
    script = validate_script(obj, profile=profiles.python_cli())
    assert script.scenes[0].narration == "Meet csv wrangler at GitHub. Meet csv wrangler at GitHub."


def test_lenient_visual_shapes_are_accepted() -> None:
    obj = llm_script(7)
    obj["scenes"][1]["visual"] = "overview"
    del obj["scenes"][2]["visual"]
    obj["scenes"][2]["kind"] = "Command"
    obj["scenes"][3].pop("title")
    script = validate_script(obj, profile=profiles.python_cli())
    assert script.scenes[1].visual.kind == "overview"
    assert script.scenes[2].visual.kind == "command"
    assert script.scenes[3].title == "Heading 4"


@pytest.mark.parametrize("kind", ALLOWED_KINDS)
def test_fill_visual_never_leaves_a_slide_empty(kind: str) -> None:
    for make in profiles.ALL.values():
        visual = fill_visual(kind, "Heading", make(), scene_id="x")
        assert visual.kind in ALLOWED_KINDS
        assert visual.data, (kind, make.__name__)
        json.dumps(visual.data)  # renderer and Dagster metadata need plain JSON


def test_fill_visual_falls_back_when_the_profile_lacks_data() -> None:
    empty = profiles.no_data_repo()
    assert fill_visual("code", "Code", empty).kind == "tree"  # top_level as the tree
    assert fill_visual("languages", "Langs", empty).kind == "stats"
    assert fill_visual("tree", "Tree", empty).data["lines"] == ["data.bin"]
    with pytest.raises(ScriptError, match="unknown slide layout"):
        fill_visual("chart", "x", empty)


def test_fill_visual_code_clips_long_snippets() -> None:
    p = profiles.python_cli()
    p.code_sample.code = "\n".join(f"line_{i} = {'x' * 200}" for i in range(40))
    data = fill_visual("code", "Code", p, scene_id="code").data
    lines = data["code"].split("\n")
    assert len(lines) == 17 and lines[-1] == "…"
    assert all(len(line) <= 100 for line in lines)


def test_json_round_trip() -> None:
    script = TemplateWriter().write(profiles.python_cli())
    data = script_to_json(script)
    assert json.loads(json.dumps(data)) == data
    assert script_from_json(data) == script


def test_malformed_stored_script() -> None:
    with pytest.raises(ScriptError, match="stored script is malformed"):
        script_from_json({"title": "x"})


def test_number_and_date_helpers() -> None:
    assert format_count(1234) == "1,234"
    assert format_count(12_345) == "about 12 thousand"
    assert format_count(1_540_000) == "about 1.5 million"
    assert format_count(2_000_000) == "about 2 million"
    assert format_count(12_345, approx=False) == "12,345"
    assert month_year("2021-03-14T10:00:00+00:00") == "March 2021"
    assert month_year("2019-11-02T00:00:00Z") == "November 2019"
    assert month_year("garbage") is None and month_year(None) is None
    assert normalise_tags([" Rust ", "rust", "#CLI", ""] + [f"t{i}" for i in range(20)]) == [
        "rust",
        "cli",
        *[f"t{i}" for i in range(13)],
    ]
