"""Stage reuse keys: results are reused only while inputs and the code that made them are unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo2video_dagster.lib import memo
from repo2video_dagster.lib.compose import ENCODE_SOURCES


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    lib = tmp_path / "pkg" / "lib"
    lib.mkdir(parents=True)
    (tmp_path / "pkg" / "assets").mkdir()
    (lib / "slides.py").write_text("WIDTH = 1080\n")
    (lib / "tts.py").write_text("VOICE = 'joe'\n")
    (tmp_path / "pkg" / "assets" / "render.py").write_text("X = 1\n")
    monkeypatch.setattr(memo, "_LIB_DIR", lib)
    monkeypatch.setattr(memo, "_PACKAGE_DIR", lib.parent)
    memo.source_version.cache_clear()
    yield lib.parent
    memo.source_version.cache_clear()


def test_source_version_follows_the_named_modules_only(fake_package: Path) -> None:
    slides, tts, everything = (
        memo.source_version("slides"),
        memo.source_version("tts"),
        memo.source_version(),
    )
    (fake_package / "lib" / "slides.py").write_text("WIDTH = 1088\n")
    memo.source_version.cache_clear()
    assert memo.source_version("slides") != slides
    assert memo.source_version("tts") == tts
    assert memo.source_version() != everything
    (fake_package / "assets" / "render.py").write_text("X = 2\n")
    before = memo.source_version.__wrapped__()
    assert before == memo.source_version.__wrapped__()
    (fake_package / "assets" / "render.py").write_text("X = 3\n")
    assert memo.source_version.__wrapped__() != before


def test_stage_versions_name_real_modules() -> None:
    """The module names the stages key their caches on exist (a typo would only fail at
    render time), and each stage's version differs from the whole renderer's."""
    memo.source_version.cache_clear()
    whole = memo.source_version()
    for names in (
        ("slides", "theme", "fonts"),
        ENCODE_SOURCES,
        ("asr", "scene_words", "align", "subtitles", "textnorm", "audio"),
        ("tts",),
    ):
        version = memo.source_version(*names)
        assert len(version) == 16 and version != whole
    with pytest.raises(FileNotFoundError):
        memo.source_version.__wrapped__("no_such_module")
