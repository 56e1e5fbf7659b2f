"""Stage reuse keys: results are reused only while inputs and the code that made them are unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo2video_dagster.lib import memo


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


def test_real_modules_have_a_stable_version() -> None:
    assert memo.source_version("slides", "theme") == memo.source_version("slides", "theme")
    assert len(memo.source_version()) == 16
