"""Stage reuse keys: results are reused only while inputs and the code that made them are unchanged."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from repo2video_dagster.lib.core import reuse
from repo2video_dagster.lib.render import fonts, slides, theme, video
from repo2video_dagster.lib.speech import align, asr, audio, scene_words, subtitles, tts, word_match


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"fake_{path.stem}_{id(path)}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_source_version_follows_the_given_modules_only(tmp_path: Path) -> None:
    (tmp_path / "slides.py").write_text("WIDTH = 1080\n")
    (tmp_path / "tts.py").write_text("VOICE = 'joe'\n")
    fake_slides, fake_tts = _load(tmp_path / "slides.py"), _load(tmp_path / "tts.py")
    before_slides = reuse.source_version.__wrapped__(fake_slides)
    before_tts = reuse.source_version.__wrapped__(fake_tts)
    (tmp_path / "slides.py").write_text("WIDTH = 1088\n")
    assert reuse.source_version.__wrapped__(fake_slides) != before_slides
    assert reuse.source_version.__wrapped__(fake_tts) == before_tts


def test_a_package_counts_every_module_below_it(tmp_path: Path, monkeypatch) -> None:
    pkg = tmp_path / "fakepkg"
    (pkg / "inner").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "inner" / "__init__.py").write_text("")
    (pkg / "inner" / "deep.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import fakepkg  # type: ignore[import-not-found]

    before = reuse.source_version.__wrapped__(fakepkg)
    (pkg / "inner" / "deep.py").write_text("X = 2\n")
    assert reuse.source_version.__wrapped__(fakepkg) != before
    sys.modules.pop("fakepkg", None)


def test_stage_versions_are_distinct_from_the_whole_renderer() -> None:
    """Each stage's version differs from the whole renderer's and from each other."""
    whole = reuse.source_version()
    versions = {
        reuse.source_version(*group)
        for group in (
            (slides, theme, fonts),
            video.ENCODE_SOURCES,
            (asr, scene_words, align, subtitles, word_match, audio),
            (tts,),
        )
    }
    assert len(versions) == 4
    assert all(len(v) == 16 and v != whole for v in versions)
    assert video in video.ENCODE_SOURCES
