"""What the ``languages`` stage hands on: per language, where its files are and how well
its words were heard. Kept apart from :mod:`.records` so a language adds no field to
the default language's records (their paths and pickles stay as they were)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LanguageVersion:
    code: str
    name: str
    mode: str
    """``spoken`` (voice, captions, videos, page) or ``subtitles`` (SRT/VTT only)."""
    voice: str = ""
    videos: dict[str, str] = field(default_factory=dict)
    """Format -> mp4 path."""
    srt_path: str = ""
    vtt_path: str = ""
    thumbnail_path: str = ""
    page_path: str = ""
    duration_s: float = 0.0
    wer: float | None = None
    coverage: float | None = None
    seconds: float = 0.0
    """Wall seconds this language took in this run."""


@dataclass
class LanguageVersions:
    plan: str
    """The languages setting in force (``en,es,fr:subtitles``)."""
    versions: list[LanguageVersion] = field(default_factory=list)
