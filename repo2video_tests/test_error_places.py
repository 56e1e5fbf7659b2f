"""A fixable error names the fix for where it shows: a variable or flag in the terminal,
the launchpad key in the Dagster UI (where a variable needs a restart and flags do not exist)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from repo2video_dagster.lib.core.errors import CLI, UI, SourceError, UserError
from repo2video_dagster.lib.core.records import RepoSource
from repo2video_dagster.lib.source.checkout_limits import limit_error
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_dagster.resources import SourceResource
from repo2video_tests.repo_factory import make_repo

LAUNCHPAD_KEY = re.compile(r"resources\.source\.config\.(\w+)(?:: \S+)? in the launchpad")


def test_one_hint_serves_both_places_and_a_ui_hint_replaces_it_there() -> None:
    plain = UserError("no README.", hint="Add one")
    assert str(plain) == plain.line_for(CLI) == plain.line_for(UI) == "no README. Add one"
    placed = SourceError("ssh is off", hint="Set REPO2VIDEO_ALLOW_SSH=1", ui_hint="Set x: true")
    assert str(placed) == "ssh is off. Set REPO2VIDEO_ALLOW_SSH=1"
    assert placed.line_for(UI) == "ssh is off. Set x: true"
    assert UserError("bare").line_for(UI) == "bare"


def _refusal(target: str, policy: SourcePolicy) -> UserError:
    with pytest.raises(UserError) as info:
        parse_target(target, policy)
    return info.value


@pytest.mark.parametrize(
    ("target", "policy", "variable", "field"),
    [
        ("LOCAL", SourcePolicy(), "REPO2VIDEO_ALLOW_LOCAL=1", "allow_local"),
        (
            "ssh://git@github.com/o/n",
            SourcePolicy(),
            "REPO2VIDEO_ALLOW_SSH=1",
            "allow_ssh",
        ),
        (
            "https://gitlab.com/o/n",
            SourcePolicy(),
            "REPO2VIDEO_ALLOWED_HOSTS",
            "allowed_hosts",
        ),
    ],
)
def test_source_refusals_name_the_variable_or_the_launchpad_key(
    tmp_path: Path, target: str, policy: SourcePolicy, variable: str, field: str
) -> None:
    if target == "LOCAL":
        target = str(make_repo(tmp_path / "r", {"README.md": "# r\n"}))
    err = _refusal(target, policy)
    assert variable in err.line_for(CLI)
    ui = err.line_for(UI)
    assert "REPO2VIDEO_" not in ui and "--allow-local" not in ui
    match = LAUNCHPAD_KEY.search(ui)
    assert match and match.group(1) == field, ui
    # The key names a real field of the resource the launchpad configures.
    assert field in SourceResource.model_fields


def test_a_guessed_github_name_keeps_its_guess_in_both_places() -> None:
    err = _refusal("pallets/click", SourcePolicy())
    for place in (CLI, UI):
        assert "Did you mean https://github.com/pallets/click?" in err.line_for(place)
    assert "allow_local: true in the launchpad" in err.line_for(UI)


def test_limits_name_the_setting_to_raise() -> None:
    source = RepoSource(
        target="x", kind="github", url="u", key="o__n", name="n", owner="o", host="github.com"
    )
    err = limit_error(source, "60000 files", "files")
    assert "REPO2VIDEO_MAX_FILES" in err.line_for(CLI)
    assert "resources.source.config.max_files in the launchpad" in err.line_for(UI)
