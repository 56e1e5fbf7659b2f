"""Secrets from a variable or from the file a variable names (lib/core/secrets.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo2video_dagster.lib.core.errors import UserError
from repo2video_dagster.lib.core.secrets import read_secret
from repo2video_dagster.receiver.access import load_token
from repo2video_dagster.receiver.serve import load_secret


def test_the_variable_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s"
    path.write_text("from-file\n")
    env = {"V": "from-var", "F": str(path)}
    assert read_secret("V", "F", "thing", env) == b"from-var"
    assert read_secret("V", "F", "thing", {"F": str(path)}) == b"from-file"
    assert read_secret("V", "F", "thing", {}) is None


def test_a_webhook_secret_keeps_its_blanks_a_token_does_not(tmp_path: Path) -> None:
    path = tmp_path / "s"
    path.write_bytes(b"  two words  \r\n")
    assert load_secret({"REPO2VIDEO_WEBHOOK_SECRET_FILE": str(path)}) == b"  two words  "
    assert load_token({"REPO2VIDEO_API_TOKEN_FILE": str(path)}) == b"two words"


@pytest.mark.parametrize("content", [None, b"\n"])
def test_a_missing_or_empty_file_is_one_line_naming_the_variables(
    tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "secret"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError) as caught:
        read_secret("THE_VALUE", "THE_FILE", "signing key", {"THE_FILE": str(path)})
    line = str(caught.value)
    assert "\n" not in line and str(path) in line and "signing key" in line
    assert ("THE_FILE" in line) if content is None else ("Put the signing key in it" in line)
