"""Records passed between pipeline stages.

Each stage takes the records of the stages before it and returns one of these.
They are plain dataclasses (picklable by Dagster's default IO manager, and
convertible to JSON with :func:`to_jsonable`) so that every stage can run and be
tested without Dagster. Paths are stored as strings so the records stay portable
across processes.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

SourceKind = Literal["github", "git", "local"]


@dataclass(frozen=True)
class RepoSource:
    """Where a repository comes from, and the partition key derived from it."""

    target: str
    """What the user typed (URL or path), for messages."""
    kind: SourceKind
    url: str
    """Normalised clone URL (``https://github.com/owner/name.git``) or absolute path."""
    key: str
    """Dynamic partition key: no ``/`` or ``,`` (``owner__name``, ``local__name-1a2b3c4d``)."""
    name: str
    """Repository name (``name`` in ``owner/name``)."""
    owner: str | None = None
    host: str | None = None

    @property
    def display_name(self) -> str:
        return f"{self.owner}/{self.name}" if self.owner else self.name

    @property
    def web_url(self) -> str | None:
        if self.kind == "github" and self.owner:
            return f"https://github.com/{self.owner}/{self.name}"
        return None


@dataclass
class RepoSnapshot:
    """A checkout of one commit of a repository, inside the workspace."""

    source: RepoSource
    checkout_dir: str
    commit: str
    branch: str | None
    commit_date: str
    """ISO-8601 date of the commit."""
    file_count: int
    size_bytes: int
    history_depth: int | None = None
    """Commits fetched, when the clone was shallow (``None``: full history)."""
    skipped: list[str] = field(default_factory=list)
    """Notes on what was left out (huge files, LFS pointers, submodules)."""


@dataclass
class LanguageShare:
    name: str
    files: int
    lines: int
    share: float
    """Fraction of all counted code lines, 0..1."""


@dataclass
class CodeSnippet:
    """A real excerpt of the repository, shown on screen."""

    code: str
    language: str
    """Pygments lexer alias (``python``, ``bash``, ``text`` ...)."""
    source: str
    """Where it came from: a relative path, or ``README.md``."""
    start_line: int = 1
    lead: str = ""
    """The README's own sentence introducing the example ("Next, include X in your app:"), if any."""


@dataclass
class Contributor:
    name: str
    commits: int


@dataclass
class GitHistory:
    commits: int
    contributors: list[Contributor]
    first_commit: str | None
    """ISO-8601 date."""
    last_commit: str | None
    truncated: bool = False
    """True when history was cut short by a shallow clone: counts are lower bounds."""
    recent_subjects: list[str] = field(default_factory=list)
    contributor_count: int | None = None
    """Distinct (non-bot) authors; ``contributors`` keeps only the top ten."""

    @property
    def people(self) -> int:
        """How many people wrote the history (not just the top ten listed)."""
        return (
            self.contributor_count if self.contributor_count is not None else len(self.contributors)
        )


@dataclass
class RepoImage:
    """A picture kept in the repository: its checkout path and the README's alt text."""

    path: str
    alt: str = ""


@dataclass
class RepoProfile:
    """Everything the script and the slides need, read from the checkout alone."""

    name: str
    full_name: str
    description: str
    """One or two sentences, from the README (or GitHub when enriched)."""
    readme_path: str | None
    readme_excerpt: str
    """Plain text of the README's opening paragraphs (markdown removed)."""
    languages: list[LanguageShare]
    total_files: int
    total_lines: int
    key_files: list[str]
    entry_points: list[str]
    """Commands or files a user runs (console scripts, bin/, main modules)."""
    dependencies: dict[str, list[str]]
    """Manifest path -> dependency names."""
    license: str | None
    top_level: list[str]
    """Top-level entries; directories end with ``/``."""
    tree: list[str]
    """A short indented directory tree, one line per entry."""
    modules: list[str]
    """Main packages / modules / source directories, most important first."""
    history: GitHistory
    install_commands: list[str]
    usage: CodeSnippet | None
    """A usage example from the README or examples/."""
    code_sample: CodeSnippet | None
    """An interesting excerpt of real source code."""
    homepage: str | None = None
    stars: int | None = None
    forks: int | None = None
    topics: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Things skipped or truncated during analysis."""
    problem: str = ""
    """The problem the project solves, in the README's own words ("Why", "Motivation")."""
    features: list[str] = field(default_factory=list)
    """Items of the README's "Features" list (short, at most five)."""
    images: list[RepoImage] = field(default_factory=list)
    architecture: dict[str, Any] = field(default_factory=dict)
    """The main package's parts and the imports between them (``profile/imports.py``)."""
    """The project's own pictures in the checkout (README-referenced first), at most three."""

    @property
    def primary_language(self) -> str | None:
        return self.languages[0].name if self.languages else None


VisualKind = Literal[
    "title", "overview", "command", "code", "tree", "languages", "stats", "outro", "image", "graph"
]


@dataclass
class VisualSpec:
    """What a scene shows. ``kind`` picks the slide layout; ``data`` fills it.

    Layouts and their ``data`` keys:
    - ``title``: ``title``, ``subtitle``, ``badges`` (list of short strings)
    - ``overview``: ``heading``, ``bullets`` (list of str)
    - ``command``: ``heading``, ``commands`` (list of shell lines)
    - ``code``: ``heading``, ``code``, ``language``, ``source``
    - ``tree``: ``heading``, ``lines`` (tree lines), ``highlights`` (list of str)
    - ``languages``: ``heading``, ``languages`` (list of {name, share, lines})
    - ``stats``: ``heading``, ``stats`` (list of {label, value})
    - ``outro``: ``heading``, ``lines`` (list of str), ``url``
    - ``graph``: ``heading``, ``root``, ``nodes`` (names), ``edges`` ([from, to]: imports)
    - ``image``: ``heading``, ``image`` (checkout path of one of the repository's pictures),
      ``alt``
    """

    kind: VisualKind
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scene:
    id: str
    """Stable identifier (``hook``, ``what``, ``install``, ``usage``, ``architecture``,
    ``activity``, ``outro``); used for chapter titles and caching."""
    title: str
    """Chapter title."""
    narration: str
    """Text to speak, already cleaned for speech (no markdown, URLs or symbols)."""
    visual: VisualSpec


@dataclass
class VideoScript:
    title: str
    description: str
    """Video description, without chapters (they need timings: see :class:`RenderedVideo`)."""
    tags: list[str]
    scenes: list[Scene]
    writer: str
    """``template`` or ``llm:<model>``."""

    @property
    def word_count(self) -> int:
        return sum(len(s.narration.split()) for s in self.scenes)


@dataclass
class SceneAudio:
    scene_id: str
    wav_path: str
    offset_s: float
    """Start of this scene in the full track."""
    duration_s: float
    speech_key: str = ""
    """What shaped this scene's speech (text, engine, voice): equal keys, equal speech, so
    recognised words can be reused even when the track's loudness gain changed."""


@dataclass
class Narration:
    track_path: str
    """Full narration WAV (mono, 16-bit), loudness-normalised."""
    sample_rate: int
    duration_s: float
    scenes: list[SceneAudio]
    loudness_lufs: float
    peak_dbfs: float
    engine: str
    voice: str
    synthesized: int = 0
    """Scenes synthesized in this run (the rest came from the per-scene cache)."""


@dataclass
class TimedWord:
    """One word of the script with its time on the narration track."""

    text: str
    """Exactly as written in the script's narration (punctuation kept)."""
    start: float
    end: float
    scene_id: str
    aligned: bool
    """True when the time came from a recognised word; False when interpolated."""


@dataclass
class Captions:
    words: list[TimedWord]
    srt_path: str
    vtt_path: str
    words_json_path: str
    wer: float
    """Word error rate of the raw recognition against the script (normalised text)."""
    coverage: float
    """Fraction of script words whose timing came from a recognised word."""
    engine: str
    model: str
    device: str


@dataclass
class SceneFrames:
    """Pre-rendered slides of one scene: one background image per format."""

    scene_id: str
    reel_path: str
    """1080x1920 PNG."""
    landscape_path: str
    """1920x1080 PNG."""
    reel_steps: list[dict[str, Any]] = field(default_factory=list)
    """Motion steps of the reel slide: ``{"kind": "reveal"|"spot", "box": [x0, y0, x1, y1],
    "keywords": [...]}``, in the order the narration reaches them."""
    landscape_steps: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Visuals:
    scenes: list[SceneFrames]
    thumbnail_path: str
    """1280x720 PNG."""


@dataclass
class Chapter:
    start_s: float
    title: str


@dataclass
class VideoFile:
    format: Literal["reel", "landscape"]
    path: str
    width: int
    height: int
    duration_s: float
    size_bytes: int


@dataclass
class RenderedVideo:
    videos: list[VideoFile]
    thumbnail_path: str
    chapters: list[Chapter]
    duration_s: float

    def video(self, fmt: str) -> VideoFile | None:
        return next((v for v in self.videos if v.format == fmt), None)


@dataclass
class BlogPost:
    markdown_path: str
    html_path: str
    index_path: str
    url: str
    """file:// URL (or published URL) of the HTML page."""


def to_jsonable(value: Any) -> Any:
    """Convert records (nested dataclasses, paths) to JSON-compatible values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def format_share(share: float) -> str:
    """A language share for people: "62%", "4.5%", "<0.1%"; never "0%" for something present."""
    pct = share * 100
    if pct >= 10:
        return f"{pct:.0f}%"
    if pct >= 0.1:
        return f"{pct:.1f}%"
    return "<0.1%" if pct > 0 else "0%"


def dependency_name(dep: str) -> str:
    """What people call a package or module: ``github.com/spf13/pflag`` and ``…/go-md2man/v2`` are
    ``pflag`` and ``go-md2man``; ``@scope/pkg`` is ``pkg``. Module paths overflow a slide
    and read badly aloud."""
    parts = [p for p in dep.split("/") if p and not re.fullmatch(r"v\d+", p)]
    name = parts[-1] if parts else dep
    return name.lstrip("@") or dep
