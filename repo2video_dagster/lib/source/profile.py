"""Profile a checkout: what the project is, how it is built, used and who made it.

Everything here is read from the checkout alone (no network), so profiles are
reproducible and cheap to recompute. The checkout is untrusted input: files are
opened only after checking that their real path is inside the checkout and with
``O_NOFOLLOW``, symbolic links are never followed out of it, binary, huge and
undecodable content is skipped or decoded with replacement characters, and
malformed manifests become notes instead of crashes.
"""

from __future__ import annotations

import ast
import configparser
import html
import json
import logging
import os
import re
import textwrap
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from repo2video_dagster.lib.core.errors import EmptyRepositoryError
from repo2video_dagster.lib.core.records import (
    CodeSnippet,
    Contributor,
    GitHistory,
    LanguageShare,
    RepoProfile,
    RepoSnapshot,
    dependency_name,
    format_share,
)
from repo2video_dagster.lib.source.gitsource import (
    GitCommandError,
    GitTimeoutError,
    SourcePolicy,
    is_lfs_pointer,
    run_git,
)

if TYPE_CHECKING:  # pandas is heavy; only languages_frame needs it
    import pandas

log = logging.getLogger(__name__)

MAX_WALK_FILES = 200_000
"""Hard stop for the walk, for checkouts that did not come through clone_snapshot."""

SNIPPET_LINES = 16
USAGE_LINES = 14
SNIPPET_COLS = 72

# --------------------------------------------------------------------------- languages

_CODE_EXT: dict[str, str] = {}
for _lang, _exts in {
    "Python": ".py .pyi .pyw .pyx",
    "JavaScript": ".js .mjs .cjs .jsx",
    "TypeScript": ".ts .tsx .mts .cts",
    "Go": ".go",
    "Rust": ".rs",
    "Java": ".java",
    "Kotlin": ".kt .kts",
    "Swift": ".swift",
    "C": ".c .h",
    "C++": ".cc .cpp .cxx .hpp .hh .hxx .c++ .h++ .ipp",
    "C#": ".cs",
    "Objective-C": ".m .mm",
    "Ruby": ".rb .rake .gemspec",
    "PHP": ".php",
    "Shell": ".sh .bash .zsh .fish",
    "PowerShell": ".ps1 .psm1",
    "HTML": ".html .htm",
    "CSS": ".css",
    "SCSS": ".scss .sass .less",
    "Vue": ".vue",
    "Svelte": ".svelte",
    "Scala": ".scala .sc",
    "Dart": ".dart",
    "Lua": ".lua",
    "R": ".r",
    "Julia": ".jl",
    "Haskell": ".hs",
    "Elixir": ".ex .exs",
    "Erlang": ".erl .hrl",
    "Clojure": ".clj .cljs .cljc",
    "OCaml": ".ml .mli",
    "F#": ".fs .fsx",
    "Perl": ".pl .pm",
    "Zig": ".zig",
    "Nim": ".nim",
    "SQL": ".sql",
    "Groovy": ".groovy .gradle",
    "Terraform": ".tf",
    "Solidity": ".sol",
    "CMake": ".cmake",
    "Makefile": ".mk",
    "Assembly": ".s .asm",
}.items():
    for _ext in _exts.split():
        _CODE_EXT[_ext] = _lang

_CODE_NAMES = {
    "makefile": "Makefile",
    "gnumakefile": "Makefile",
    "dockerfile": "Dockerfile",
    "containerfile": "Dockerfile",
    "cmakelists.txt": "CMake",
    "rakefile": "Ruby",
    "jenkinsfile": "Groovy",
}

_PYGMENTS = {
    "Python": "python",
    "JavaScript": "javascript",
    "TypeScript": "typescript",
    "Go": "go",
    "Rust": "rust",
    "Java": "java",
    "Kotlin": "kotlin",
    "Swift": "swift",
    "C": "c",
    "C++": "cpp",
    "C#": "csharp",
    "Objective-C": "objective-c",
    "Ruby": "ruby",
    "PHP": "php",
    "Shell": "bash",
    "PowerShell": "powershell",
    "HTML": "html",
    "CSS": "css",
    "SCSS": "scss",
    "Vue": "html",
    "Svelte": "html",
    "Scala": "scala",
    "Dart": "dart",
    "Lua": "lua",
    "R": "r",
    "Julia": "julia",
    "Haskell": "haskell",
    "Elixir": "elixir",
    "Erlang": "erlang",
    "Clojure": "clojure",
    "OCaml": "ocaml",
    "F#": "fsharp",
    "Perl": "perl",
    "Zig": "zig",
    "Nim": "nim",
    "SQL": "sql",
    "Groovy": "groovy",
    "Terraform": "terraform",
    "Solidity": "solidity",
    "CMake": "cmake",
    "Makefile": "make",
    "Dockerfile": "docker",
    "Assembly": "nasm",
}

_FENCE_ALIASES = {
    "py": "python",
    "python3": "python",
    "py3": "python",
    "pycon": "pycon",
    "sh": "bash",
    "shell": "bash",
    "zsh": "bash",
    "shellscript": "bash",
    "console": "console",
    "shell-session": "console",
    "terminal": "console",
    "cmd": "bash",
    "js": "javascript",
    "node": "javascript",
    "jsx": "jsx",
    "ts": "typescript",
    "tsx": "tsx",
    "rs": "rust",
    "golang": "go",
    "yml": "yaml",
    "c++": "cpp",
    "cs": "csharp",
    "c#": "csharp",
    "rb": "ruby",
    "kt": "kotlin",
    "ps1": "powershell",
    "dockerfile": "docker",
}

_SKIP_DIRS = {
    "node_modules",
    "vendor",
    "vendors",
    "dist",
    "build",
    ".venv",
    "venv",
    "third_party",
    "third-party",
    "thirdparty",
    "__pycache__",
    ".tox",
    ".nox",
    "site-packages",
    "bower_components",
    "target",
    ".next",
    ".nuxt",
    "coverage",
    "Pods",
    "Carthage",
    ".gradle",
    ".mypy_cache",
    ".pytest_cache",
}
"""Vendored, generated or build-output directories: listed, never counted as the project's code."""

_LOCK_FILES = {
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "npm-shrinkwrap.json",
    "cargo.lock",
    "poetry.lock",
    "pipfile.lock",
    "gemfile.lock",
    "composer.lock",
    "go.sum",
    "uv.lock",
    "pdm.lock",
    "bun.lockb",
    "mix.lock",
    "flake.lock",
}
_GENERATED_RE = re.compile(
    r"(\.min\.(js|css)$|\.map$|_pb2(_grpc)?\.py$|\.pb\.go$|\.generated\.\w+$|\.g\.dart$)", re.I
)

_README_RE = re.compile(r"^readme(\.[a-z0-9]+)?$", re.I)
_README_ORDER = {".md": 0, ".markdown": 1, ".rst": 2, ".txt": 3, "": 4}
_LICENSE_RE = re.compile(r"^(licen[cs]e|copying|unlicense)([.-].*)?$", re.I)
_TEST_PART = {"test", "tests", "testing", "spec", "specs", "__tests__", "testdata", "e2e"}
_DOC_PART = {"docs", "doc", "documentation", "examples", "example", "samples", "benchmarks"}

# --------------------------------------------------------------------------- records


@dataclass
class _File:
    rel: str
    """Relative path with ``/``, exactly as on disk (may hold surrogate escapes)."""
    size: int
    skipped_dir: bool
    link: bool = False
    language: str | None = None
    lines: int = 0
    text: bool = False

    @property
    def display(self) -> str:
        return _display(self.rel)

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.rel.split("/"))

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]


@dataclass
class _Scan:
    root: str
    files: list[_File]
    by_rel: dict[str, _File]
    notes: list[str] = field(default_factory=list)
    skipped_dirs: set[str] = field(default_factory=set)
    _totals: dict[tuple[str, ...], list[int]] | None = None
    _kids: dict[tuple[str, ...], tuple[set[str], list[_File]]] | None = None

    def totals(self, prefix: tuple[str, ...]) -> tuple[int, int]:
        """(code lines, files) under a directory prefix of depth 1 or 2; one pass, then cached."""
        if self._totals is None:
            self._index()
        lines, files = (self._totals or {}).get(prefix, (0, 0))
        return lines, files

    def children(self, prefix: tuple[str, ...]) -> tuple[set[str], list[_File]]:
        """Sub-directory names and files directly in ``prefix`` (depth 0 or 1)."""
        if self._kids is None:
            self._index()
        return (self._kids or {}).get(prefix, (set(), []))

    def _index(self) -> None:
        totals: dict[tuple[str, ...], list[int]] = {}
        kids: dict[tuple[str, ...], tuple[set[str], list[_File]]] = {}
        for f in self.files:
            parts = f.parts
            for depth in (1, 2):
                if len(parts) > depth:
                    entry = totals.setdefault(parts[:depth], [0, 0])
                    entry[0] += f.lines
                    entry[1] += 1
            for depth in (0, 1):
                if len(parts) > depth:
                    dirs, files = kids.setdefault(parts[:depth], (set(), []))
                    if len(parts) == depth + 1:
                        files.append(f)
                    else:
                        dirs.add(parts[depth])
        self._totals, self._kids = totals, kids


def _display(name: str) -> str:
    """A name safe to print and JSON-encode (undecodable bytes become U+FFFD)."""
    return os.fsencode(name).decode("utf-8", "replace")


# --------------------------------------------------------------------------- public API


def build_profile(
    snapshot: RepoSnapshot, *, max_file_bytes: int = 1_000_000, require_readme: bool = True
) -> RepoProfile:
    """Read the checkout and describe the project for the script and the slides."""
    root = os.path.realpath(snapshot.checkout_dir)
    scan = _walk(root)
    scan.notes.extend(snapshot.skipped)
    links = _git_symlinks(root) | {f.rel for f in scan.files if f.link}
    for f in scan.files:
        f.link = f.rel in links
    readme_rel, readme_text = _find_readme(scan, max_file_bytes)
    if readme_rel is None and require_readme:
        raise EmptyRepositoryError(
            f"{snapshot.source.display_name} has no README to describe it",
            hint="Add a README.md that says what the project does "
            "(or set REPO2VIDEO_REQUIRE_README=0)",
        )
    _scan_contents(scan, max_file_bytes)
    meaningful = [
        f
        for f in scan.files
        if f.text and not _README_RE.match(f.name) and not _LICENSE_RE.match(f.name)
    ]
    blocks = _md_blocks(readme_text or "")
    if not meaningful and not _readme_only(scan, blocks):
        raise EmptyRepositoryError(
            f"{snapshot.source.display_name} has no text files to describe (only binary files)",
            hint="Pick a repository with source code or documentation",
        )
    manifests = _Manifests(scan, max_file_bytes)
    languages = _languages(scan.files)
    primary = languages[0].name if languages else None
    description = _description(blocks)
    source = snapshot.source
    history = _history(root, snapshot, scan.notes)
    usage = _usage(blocks, scan, primary, max_file_bytes)
    # A local checkout's directory name is often meaningless ("repo", "src", a clone
    # path): the manifest's project name is what people call it. Remote repositories
    # keep their owner/name, which is how people find them.
    name = (
        _title_name(blocks) or manifests.project_name if source.kind == "local" else None
    ) or source.name
    profile = RepoProfile(
        name=name,
        full_name=name if source.kind == "local" else source.display_name,
        description=description,
        readme_path=_display(readme_rel) if readme_rel else None,
        readme_excerpt=_excerpt(blocks),
        languages=languages,
        total_files=len(scan.files),
        total_lines=sum(lang.lines for lang in languages),
        key_files=_key_files(scan, readme_rel, manifests),
        entry_points=manifests.entry_points(),
        dependencies=manifests.dependencies,
        license=_license(scan, manifests, max_file_bytes),
        top_level=_top_level(root),
        tree=_tree(scan),
        modules=_modules(scan),
        history=history,
        install_commands=_install_commands(blocks, manifests, snapshot),
        usage=usage,
        code_sample=_code_sample(scan, primary, max_file_bytes),
        homepage=manifests.homepage,
    )
    profile.notes = _dedupe(scan.notes + manifests.notes)
    return profile


_SECTION_WORDS = frozenset(
    {
        "about",
        "contents",
        "description",
        "documentation",
        "features",
        "getting started",
        "installation",
        "install",
        "introduction",
        "overview",
        "readme",
        "summary",
        "table of contents",
        "usage",
    }
)
_BADGE_RE = re.compile(r"\[?!\[[^\]]*\]\([^)]*\)(?:\]\([^)]*\))?")


def _title_name(blocks: list[_Block]) -> str | None:
    """The README's title when it reads as a name ("# mdtoc"), not a sentence or a section.

    Only a top heading that comes before any prose counts (logos, HTML and badge rows
    may precede it): a first ``# Overview`` after an introduction is a section, not
    the project's name.
    """
    for block in blocks:
        if block.kind == "heading" and block.level == 1:
            title = _plain(block.text).strip()
            if (
                title
                and len(title) <= 40
                and len(title.split()) <= 3
                and not title.endswith((".", "!", "?"))
                and title.lower() not in _SECTION_WORDS
            ):
                return title
            return None
        if block.kind == "html" or (
            block.kind == "para" and not _BADGE_RE.sub("", block.text).strip()
        ):
            continue
        if block.kind != "heading":
            return None
    return None


def _readme_only(scan: _Scan, blocks: list[_Block]) -> bool:
    """A repository of a README (and maybe a licence) alone is described from its README.

    Only when every file is text and the README has prose: a README next to binaries
    only is a data dump, not a project the video can explain.
    """
    return bool(_description(blocks)) and all(f.text for f in scan.files)


def languages_frame(profile: RepoProfile) -> pandas.DataFrame:
    """Languages as a table for Dagster metadata: share in percent, biggest first."""
    import pandas

    rows = [
        {
            "language": lang.name,
            "files": lang.files,
            "lines": lang.lines,
            "share": round(lang.share * 100, 1),
        }
        for lang in sorted(profile.languages, key=lambda lang: (-lang.lines, lang.name))
    ]
    return pandas.DataFrame(rows, columns=["language", "files", "lines", "share"])


def profile_summary_markdown(profile: RepoProfile) -> str:
    """A short markdown card of the profile, for the Dagster UI."""
    langs = ", ".join(f"{lang.name} {format_share(lang.share)}" for lang in profile.languages[:4])
    history = profile.history
    commits = f"{history.commits}{'+' if history.truncated else ''}"
    rows = [
        ("Language", langs or "none detected"),
        ("Files / code lines", f"{profile.total_files} / {profile.total_lines}"),
        ("License", profile.license or "not found"),
        ("Commits", f"{commits} by {history.people} contributor(s)"),
        ("Last commit", (history.last_commit or "")[:10] or "unknown"),
        ("Entry points", ", ".join(profile.entry_points[:4]) or "none found"),
    ]
    if profile.stars is not None:
        rows.append(("Stars", str(profile.stars)))
    lines = [f"### {_md_escape(profile.full_name)}", ""]
    if profile.description:
        lines += [_md_escape(profile.description), ""]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {label} | {_md_escape(value)} |" for label, value in rows]
    if profile.install_commands:
        lines += ["", "```bash", *profile.install_commands, "```"]
    if profile.notes:
        lines += ["", "Notes: " + "; ".join(_md_escape(n) for n in profile.notes[:5])]
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------- walking & reading


def _walk(root: str) -> _Scan:
    """All files under root except ``.git``, without following symlinks."""
    files: list[_File] = []
    scan = _Scan(root=root, files=files, by_rel={})
    stack: list[tuple[str, str, bool]] = [(root, "", False)]
    while stack:
        folder, prefix, skipped = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            scan.notes.append(f"could not read directory {_display(prefix) or '.'}: {exc.strerror}")
            continue
        for entry in entries:
            rel = f"{prefix}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                if entry.name == ".git":
                    continue
                skip_here = skipped or entry.name in _SKIP_DIRS
                if entry.name in _SKIP_DIRS and not skipped:
                    scan.skipped_dirs.add(entry.name)
                stack.append((entry.path, rel + "/", skip_here))
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if len(files) >= MAX_WALK_FILES:
                scan.notes.append(f"stopped listing files after {MAX_WALK_FILES}")
                stack.clear()
                break
            files.append(
                _File(rel=rel, size=st.st_size, skipped_dir=skipped, link=entry.is_symlink())
            )
    files.sort(key=lambda f: f.rel)
    scan.by_rel = {f.rel: f for f in files}
    if scan.skipped_dirs:
        names = ", ".join(f"{d}/" for d in sorted(scan.skipped_dirs)[:6])
        scan.notes.append(f"vendored or generated directories not counted: {names}")
    if any(_display(f.rel) != f.rel for f in files):
        scan.notes.append("some file names are not valid UTF-8; shown with replacement characters")
    return scan


def _inside(root: str, path: str) -> bool:
    try:
        return os.path.commonpath([root, path]) == root
    except ValueError:
        return False


def _read(root: str, rel: str, limit: int) -> bytes | None:
    """Read at most ``limit`` bytes of a file that really lies inside ``root``; never follow links."""
    full = os.path.join(root, rel)
    if not _inside(root, os.path.realpath(full)):
        return None
    try:
        fd = os.open(
            full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            if not os.path.isfile(full) or os.path.islink(full):
                return None
            return fh.read(limit)
        except OSError:
            return None


def _read_text(root: str, rel: str, limit: int) -> str | None:
    data = _read(root, rel, limit)
    return None if data is None else data.decode("utf-8", "replace")


def _git_symlinks(root: str) -> set[str]:
    """Paths git stores as symbolic links; with ``core.symlinks=false`` they are plain files
    holding the link text, which must not be mistaken for content."""
    if not os.path.isdir(os.path.join(root, ".git")):
        return set()
    try:
        out = run_git(["ls-files", "-s", "-z"], root, _OFFLINE, 30, offline=True)
    except (GitCommandError, GitTimeoutError, OSError):
        return set()
    links = set()
    for record in out.split(b"\0"):
        meta, _, path = record.partition(b"\t")
        if meta.startswith(b"120000"):
            links.add(os.fsdecode(path))
    return links


_OFFLINE = SourcePolicy(allowed_hosts=(), resolve_dns=False)


def _scan_contents(scan: _Scan, max_file_bytes: int) -> None:
    """Classify every file (text/binary, language) and count non-blank code lines."""
    huge: list[str] = []
    binary = lfs = links = 0
    for f in scan.files:
        if f.link:
            links += 1
            continue
        if f.skipped_dir or _hidden(f.parts[:-1]):
            continue
        if f.size > max_file_bytes:
            huge.append(f.display)
            continue
        data = _read(scan.root, f.rel, max_file_bytes)
        if data is None:
            continue
        if b"\0" in data[:8192]:
            binary += 1
            continue
        if is_lfs_pointer(data):
            lfs += 1
            continue
        f.text = True
        lang = _language_of(f.name)
        if lang is None or f.name.lower() in _LOCK_FILES or _GENERATED_RE.search(f.name):
            continue
        text = data.decode("utf-8", "replace")
        lines = sum(1 for line in text.splitlines() if line.strip())
        if lines and len(data) / lines > 300:  # minified or generated one-liners
            continue
        f.language, f.lines = lang, lines
    if huge:
        shown = ", ".join(huge[:3]) + (" …" if len(huge) > 3 else "")
        scan.notes.append(f"{len(huge)} file(s) over {max_file_bytes} bytes not read: {shown}")
    if lfs:
        scan.notes.append(f"{lfs} Git LFS pointer file(s) skipped")
    if links:
        scan.notes.append(f"{links} symbolic link(s) not followed")
    if binary:
        scan.notes.append(f"{binary} binary file(s) not counted")


def _hidden(parts: Iterable[str]) -> bool:
    return any(p.startswith(".") for p in parts)


def _language_of(name: str) -> str | None:
    low = name.lower()
    if low in _CODE_NAMES:
        return _CODE_NAMES[low]
    if low.endswith(".dockerfile"):
        return "Dockerfile"
    return _CODE_EXT.get(os.path.splitext(low)[1])


def _languages(files: list[_File]) -> list[LanguageShare]:
    """Languages the project is written in, by non-blank lines.

    Tests, docs and examples count only in languages the main code also uses:
    fixtures such as a syntax highlighter's sample files in twenty languages (or a
    vendored jquery.js used as a benchmark input) are not what the project is made of.
    """
    main = {
        f.language for f in files if f.language and f.lines and not _is_test(f) and not _is_doc(f)
    }
    lines: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for f in files:
        if f.language and f.lines and (not main or f.language in main):
            lines[f.language] += f.lines
            counts[f.language] += 1
    total = sum(lines.values())
    return [
        LanguageShare(name=name, files=counts[name], lines=n, share=round(n / total, 4))
        for name, n in sorted(lines.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _is_test(f: _File) -> bool:
    parts = [p.lower() for p in f.parts]
    name = parts[-1]
    return (
        any(p in _TEST_PART for p in parts[:-1])
        or name.startswith("test_")
        or name == "conftest.py"
        or bool(re.search(r"(_test\.go|_test\.py|\.(test|spec)\.[jt]sx?)$", name))
    )


def _is_doc(f: _File) -> bool:
    return any(p.lower() in _DOC_PART for p in f.parts[:-1])


# --------------------------------------------------------------------------- README


def _find_readme(scan: _Scan, limit: int) -> tuple[str | None, str | None]:
    """The README (top level, else docs/) as (relative path, text); links resolved inside only."""
    candidates = [
        f
        for f in scan.files
        if _README_RE.match(f.name)
        and (len(f.parts) == 1 or (len(f.parts) == 2 and f.parts[0].lower() == "docs"))
    ]
    candidates.sort(
        key=lambda f: (
            len(f.parts),
            _README_ORDER.get(os.path.splitext(f.name.lower())[1], 5),
            f.rel,
        )
    )
    for f in candidates:
        rel = f.rel
        if f.link:
            rel = _link_target(scan, f)
            if rel is None:
                scan.notes.append(
                    f"{f.display} is a symbolic link to outside the repository; not read"
                )
                continue
        text = _read_text(scan.root, rel, limit)
        if text is not None and text.strip():
            return rel, text
    return None, None


def _link_target(scan: _Scan, f: _File) -> str | None:
    """Where a link points, as a path inside the checkout, or None if it leaves it."""
    full = os.path.join(scan.root, f.rel)
    try:
        if os.path.islink(full):
            target = os.readlink(full)
        else:  # git symlink checked out as a plain file holding the target
            target = (_read(scan.root, f.rel, 4096) or b"").decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not target or target.startswith("/") or "\0" in target:
        return None
    rel = os.path.normpath(os.path.join(os.path.dirname(f.rel), target)).replace(os.sep, "/")
    if rel.startswith("../") or rel == ".." or rel not in scan.by_rel:
        return None
    if scan.by_rel[rel].link or not _inside(
        scan.root, os.path.realpath(os.path.join(scan.root, rel))
    ):
        return None
    return rel


@dataclass
class _Block:
    kind: str
    """heading, para, code, list, quote, table, html"""
    text: str
    level: int = 0
    info: str = ""


_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([^`\s{]*)")
_ATX_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT_RE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RST_UNDERLINE_RE = re.compile(r"^([=\-~^*+#\"'`:.])\1{2,}\s*$")
_LIST_RE = re.compile(r"^\s{0,3}([-*+]|\d+[.)])\s+")
_HTML_HEADING_RE = re.compile(r"^\s*<h([1-6])[^>]*>(.*?)</h\1>\s*$", re.I | re.S)
_RST_CODE_RE = re.compile(r"^\.\.\s+(?:code-block|code|sourcecode)::\s*(\S*)")


def _md_blocks(text: str) -> list[_Block]:
    """Split markdown (or simple reST) into blocks; enough structure to find sections."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[_Block] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if fence := _FENCE_RE.match(line):
            marker = fence.group(1)
            body: list[str] = []
            i += 1
            while i < n and not lines[i].strip().startswith(marker):
                body.append(lines[i])
                i += 1
            blocks.append(_Block("code", "\n".join(body), info=fence.group(2).lower()))
            i += 1
            continue
        if rst := _RST_CODE_RE.match(stripped):
            i += 1
            body, i = _indented(lines, i)
            blocks.append(_Block("code", body, info=rst.group(1).lower()))
            continue
        if atx := _ATX_RE.match(line):
            blocks.append(_Block("heading", atx.group(2), level=len(atx.group(1))))
            i += 1
            continue
        if i + 1 < n and not _LIST_RE.match(line):
            under = lines[i + 1]
            if _SETEXT_RE.match(under) and not stripped.startswith(("|", "<", ">")):
                blocks.append(_Block("heading", stripped, level=1 if "=" in under else 2))
                i += 2
                continue
            if _RST_UNDERLINE_RE.match(under.strip()) and len(under.strip()) >= len(stripped) > 0:
                blocks.append(_Block("heading", stripped, level=1 if "=" in under else 2))
                i += 2
                continue
        if (
            _RST_UNDERLINE_RE.match(stripped)
            and i + 2 < n
            and _RST_UNDERLINE_RE.match(lines[i + 2].strip())
        ):
            blocks.append(_Block("heading", lines[i + 1].strip(), level=1))  # over+underlined title
            i += 3
            continue
        para: list[str] = []
        while i < n and lines[i].strip():
            if para and (_FENCE_RE.match(lines[i]) or _ATX_RE.match(lines[i])):
                break
            if para and _LIST_RE.match(lines[i]) and not _LIST_RE.match(para[0]):
                break  # "Features:" followed directly by a list
            para.append(lines[i])
            i += 1
        blocks.extend(_classify_para(para))
        if para[-1].rstrip().endswith("::") and not para[-1].strip().startswith(".."):
            body, i = _indented(lines, i)
            if body:
                blocks.append(_Block("code", body))
    return blocks


def _indented(lines: list[str], i: int) -> tuple[str, int]:
    """Collect a reST indented literal block starting at ``i`` (after blank lines)."""
    n = len(lines)
    while i < n and not lines[i].strip():
        i += 1
    body: list[str] = []
    while i < n and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
        body.append(lines[i])
        i += 1
    return textwrap.dedent("\n".join(body)).strip("\n"), i


def _classify_para(para: list[str]) -> list[_Block]:
    first = para[0].strip()
    joined = "\n".join(para)
    if m := _HTML_HEADING_RE.match(joined):
        return [_Block("heading", _plain(m.group(2)), level=int(m.group(1)))]
    if first.startswith(">"):  # later lines may be lazy continuations without ">"
        return [_Block("quote", "\n".join(re.sub(r"^\s*>\s?", "", line) for line in para))]
    if first.startswith("|") or (len(para) > 1 and re.match(r"^\s*\|?\s*:?-{3,}", para[1])):
        return [_Block("table", joined)]
    if _LIST_RE.match(para[0]):
        return [_Block("list", joined)]
    if first.startswith("<"):
        # HTML header blocks often stack a logo, an <h1> title and a tagline line by line
        out: list[_Block] = []
        for line in para:
            if m := _HTML_HEADING_RE.match(line):
                out.append(_Block("heading", _plain(m.group(2)), level=int(m.group(1))))
            elif out and out[-1].kind == "html":
                out[-1].text += "\n" + line
            else:
                out.append(_Block("html", line))
        return out
    if first.startswith(".. "):
        return [_Block("html", joined)]  # reST directive / comment: not prose
    return [_Block("para", joined)]


_URL_PART = r"\((?:[^()]|\([^()]*\))*\)"  # (url), allowing one level of (parentheses) inside
_IMG_RE = re.compile(r"!\[[^\]]*\]" + _URL_PART + r"|!\[[^\]]*\]\[[^\]]*\]")
_LINK_RE = re.compile(r"\[([^\]]*)\]" + _URL_PART + r"|\[([^\]]*)\]\[[^\]]*\]")


def _plain(text: str) -> str:
    """Markdown/HTML/reST inline markup -> plain text, on one line."""
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    # script and style bodies are code, not prose to speak
    text = re.sub(r"<(script|style)\b[^>]*>.*?</\1\s*>", " ", text, flags=re.I | re.S)
    text = re.sub(r"<img\b[^>]*>", " ", text, flags=re.I)
    text = _IMG_RE.sub(" ", text)
    for _ in range(2):  # links whose text was an image become empty
        text = _LINK_RE.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text = re.sub(r"`([^`<]+?)\s*<[^>]+>`_+", r"\1", text)  # reST link
    text = re.sub(r"<(https?://[^>]+)>", " ", text)
    text = re.sub(r"</?[A-Za-z][^>]*>", " ", text)
    text = re.sub(r":[a-z:]+:`([^`]+)`", r"\1", text)  # reST role
    text = re.sub(r"`{1,2}([^`]+)`{1,2}", r"\1", text)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w])_(?=\S)(.+?)(?<=\S)_(?![\w])", r"\1", text)
    text = re.sub(r"~~(.+?)~~", r"\1", text)
    text = re.sub(r"^\s*\\?#+\s+", "", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!&<>|~])", r"\1", text)  # markdown escapes
    text = re.sub(r"(?<!\S):[a-z0-9_+-]+:(?!\S)", " ", text)  # emoji shortcodes like :wink:
    text = html.unescape(text)
    return re.sub(r"\s+", " ", text).strip()


def _prose(block: _Block) -> str | None:
    """Plain text of a block if it reads like prose (not a badge row, link list or TOC)."""
    if block.kind not in ("para", "quote", "html"):
        return None
    text = _plain(block.text)
    words = re.findall(r"[A-Za-z\u00c0-\uffff]{2,}", text)
    if len(text) < 25 or len(words) < 4:
        return None
    if _linky(block.text, text):
        return None  # a navigation bar, a table of contents or a list of links
    if re.match(r"^(table of contents|contents|toc)\b", text, re.I):
        return None
    return text


def _linky(raw: str, text: str) -> bool:
    """Whether a block is mostly links (navigation, TOC) rather than sentences."""
    links = re.findall(r"\[([^\]]*)\]\([^)]*\)|<a\b[^>]*>(.*?)</a>", raw, re.I | re.S)
    linked = sum(len(_plain(a or b)) for a, b in links)
    if len(links) >= 3 and linked > 0.5 * len(text):
        return True
    return len(re.findall(r"\s[•|·]\s", text)) >= 3


def _description(blocks: list[_Block]) -> str:
    for block in blocks:
        if text := _prose(block):
            return _sentences(text, 2, 300)
    return ""


def _sentences(text: str, count: int, limit: int) -> str:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])", text)
    out = ""
    for part in parts[:count]:
        candidate = f"{out} {part}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    return out or _cut(parts[0], limit)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


_EXCERPT_STOP = re.compile(
    r"install|usage|example|licen[cs]e|contribut|changelog|build|develop|test|api|document", re.I
)


def _excerpt(blocks: list[_Block], limit: int = 1000) -> str:
    """Opening prose of the README, stopping at the first how-to section once there is some."""
    paras: list[str] = []
    size = 0
    for block in blocks:
        if block.kind == "heading" and paras and _EXCERPT_STOP.search(_plain(block.text)):
            break
        if block.kind == "para" and block.text.rstrip().endswith(":"):
            continue  # "Install it with:" introduces a code block that is not in the excerpt
        if block.kind == "list":
            items = [_plain(_LIST_RE.sub("", line)) for line in block.text.splitlines()]
            items = [item for item in items if item]
            text = "" if _linky(block.text, " ".join(items)) else "\n".join(f"- {i}" for i in items)
        else:
            text = _prose(block) or ""
        if not text:
            continue
        paras.append(text)
        size += len(text) + 2
        if size >= limit:
            break
    return _cut("\n\n".join(paras), limit)


def _sections(blocks: list[_Block], pattern: re.Pattern[str]) -> list[list[_Block]]:
    """Blocks under each heading matching ``pattern`` (until the next heading of that level)."""
    found = []
    for i, block in enumerate(blocks):
        if block.kind == "heading" and pattern.search(_plain(block.text)):
            body = []
            for nxt in blocks[i + 1 :]:
                if nxt.kind == "heading" and nxt.level <= block.level:
                    break
                body.append(nxt)
            found.append(body)
    return found


# --------------------------------------------------------------------------- install & usage

_INSTALL_HEAD = re.compile(r"install|getting started|get started|set ?up|quick ?start", re.I)
_USAGE_HEAD = re.compile(r"usage|example|how to use|tutorial|demo|basic use|hello world", re.I)
_USAGE_HEAD_WEAK = re.compile(r"quick ?start|getting started|get started|\brun|\busing\b", re.I)
_INSTALL_CMD = re.compile(
    r"^(?:sudo\s+)?(?:python3?\s+-m\s+)?"
    r"(pip3?|pipx|uv|poetry|npm|yarn|pnpm|bun|cargo|go|brew|apt|apt-get|gem|composer|conda|"
    r"mamba|docker|dnf|yum|pacman|snap|git|deno|dotnet)\s+"
    r"(?:tool\s+|pip\s+|global\s+)?(install|add|get|i|pull|require|clone)\b"
)
_PROMPT = re.compile(r"^\s*(?:\$|%|>|PS>|❯)\s+")


def _command_lines(code: str) -> list[str]:
    lines = []
    for raw in code.splitlines():
        line = _PROMPT.sub("", raw).strip()
        if line and not line.startswith("#") and not line.endswith("\\"):
            lines.append(line)
    return lines


def _install_lines(code: str) -> list[str]:
    return [line for line in _command_lines(code) if _INSTALL_CMD.match(line) and len(line) <= 80]


def _install_commands(
    blocks: list[_Block], manifests: _Manifests, snapshot: RepoSnapshot
) -> list[str]:
    found: list[str] = []
    for section in _sections(blocks, _INSTALL_HEAD):
        for block in section:
            if block.kind == "code":
                found += _install_lines(block.text)
    if not found:
        for block in blocks:
            if block.kind == "code":
                found += _install_lines(block.text)
    if not found:
        found = manifests.install_guess()
        if not found and snapshot.source.kind != "local":
            web = snapshot.source.web_url or snapshot.source.url
            found = [f"git clone {web}"]
    return [line for line in _dedupe(found) if len(line) <= 80][:3]


def _lead_in(blocks: list[_Block], index: int) -> str:
    """The short paragraph right before a README code block that introduces it, if there is one.

    Only a sentence that reads as an introduction (one sentence ending in a colon, at
    most 20 words) is kept: it tells the viewer what the example does in the
    project's own words.
    """
    if index <= 0 or blocks[index - 1].kind != "para":
        return ""
    text = " ".join(_plain(blocks[index - 1].text).split())
    if not text.endswith(":") or len(text.split()) > 20 or ". " in text:
        return ""
    return text[:-1].rstrip() + "."


def _usage(
    blocks: list[_Block], scan: _Scan, primary: str | None, limit: int
) -> CodeSnippet | None:
    def usable(block: _Block) -> bool:
        if block.kind != "code" or not block.text.strip():
            return False
        commands = _command_lines(block.text)
        installs = [c for c in commands if _INSTALL_CMD.match(c)]
        return not commands or len(installs) < len(commands)

    # Score every usable block: a usage/example section beats a quick-start one,
    # a "hero" example above the first section counts too, and real code (a
    # language other than shell, a few lines long) beats a one-line command.
    scored: list[tuple[int, int, _Block, str]] = []
    stack: list[tuple[int, str]] = []
    in_sections = False
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            stack = [h for h in stack if h[0] < block.level] + [(block.level, _plain(block.text))]
            in_sections = in_sections or block.level >= 2 or index > 0
            continue
        if not usable(block):
            continue
        titles = " ".join(title for _, title in stack[1:] or stack)
        score = 0
        if _USAGE_HEAD.search(titles):
            score += 3
        elif _USAGE_HEAD_WEAK.search(titles):
            score += 2
        elif not in_sections or not stack or stack[-1][0] == 1:
            score += 1
        language = _fence_language(block.info, block.text)
        lines = sum(1 for line in block.text.splitlines() if line.strip())
        if language not in ("bash", "console", "text", "powershell") and lines >= 2:
            score += 2
        if lines >= 3:
            score += 1
        scored.append((score, -index, block, language))
    if scored:
        _, neg_index, block, language = max(scored, key=lambda item: (item[0], item[1]))
        return CodeSnippet(
            code=_trim_code(block.text, USAGE_LINES),
            language=language,
            source=_readme_name(scan),
            start_line=1,
            lead=_lead_in(blocks, -neg_index),
        )
    examples = [
        f
        for f in scan.files
        if f.language and f.parts[0].lower() in ("examples", "example") and not f.skipped_dir
    ]
    examples.sort(key=lambda f: (f.language != primary, len(f.parts), f.rel))
    for f in examples:
        text = _read_text(scan.root, f.rel, limit)
        if text and text.strip():
            code, start = _skip_header(text)
            return CodeSnippet(
                code=_trim_code(code, USAGE_LINES),
                language=_PYGMENTS.get(f.language or "", "text"),
                source=f.display,
                start_line=start,
            )
    return None


def _readme_name(scan: _Scan) -> str:
    return next((f.display for f in scan.files if _README_RE.match(f.name)), "README")


def _fence_language(info: str, code: str) -> str:
    alias = _FENCE_ALIASES.get(info, info)
    if not alias:
        lines = [ln for ln in code.splitlines() if ln.strip()]
        if (
            lines
            and all(_PROMPT.match(ln) or not ln.startswith(" ") for ln in lines[:1])
            and any(_PROMPT.match(ln) for ln in lines)
        ):
            return "console"
        if lines and all(_INSTALL_CMD.match(_PROMPT.sub("", ln).strip()) for ln in lines):
            return "bash"
        return "text"
    return alias if _pygments_knows(alias) else "text"


def _pygments_knows(alias: str) -> bool:
    try:
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound
    except ImportError:  # pragma: no cover - pygments is a dependency
        return True
    try:
        get_lexer_by_name(alias)
    except ClassNotFound:
        return False
    return True


def _trim_code(code: str, max_lines: int, max_cols: int = SNIPPET_COLS) -> str:
    """Fit code on a slide: dedent, drop blank edges, cap lines and columns (marking cuts)."""
    lines = textwrap.dedent(code.expandtabs(4)).splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    lines = [line.rstrip() for line in lines[:max_lines]]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(
        line if len(line) <= max_cols else line[: max_cols - 1] + "…" for line in lines
    )


def _skip_header(text: str) -> tuple[str, int]:
    """Drop a leading shebang/license comment block so an excerpt starts with code."""
    lines = text.splitlines()
    i = 0
    while i < len(lines) and (
        not lines[i].strip() or lines[i].lstrip().startswith(("#!", "#", "//", "/*", "*", "*/"))
    ):
        i += 1
    if i >= len(lines):
        i = 0
    return "\n".join(lines[i:]), i + 1


# --------------------------------------------------------------------------- manifests

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def _req_name(spec: str) -> str | None:
    spec = spec.strip()
    if not spec or spec.startswith(("-", "#", ".", "/")) or "://" in spec.split("@")[0]:
        return None
    m = _REQ_NAME.match(spec)
    return m.group(1) if m else None


class _Manifests:
    """Parsed manifests at the top level and one directory down."""

    _NAMES = (
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
        "package.json",
        "cargo.toml",
        "go.mod",
        "gemfile",
        "composer.json",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
    )

    def __init__(self, scan: _Scan, limit: int) -> None:
        self.scan = scan
        self.limit = limit
        self.notes: list[str] = []
        self.dependencies: dict[str, list[str]] = {}
        self.homepage: str | None = None
        self.license: str | None = None
        self.data: dict[str, Any] = {}
        self.project_name: str | None = None
        """The name the top-level manifest gives the project (pyproject, package.json, Cargo)."""
        self._entry: list[str] = []
        self._guess: list[str] = []
        files = [
            f
            for f in scan.files
            if len(f.parts) <= 2
            and not f.skipped_dir
            and not f.link
            and not _hidden(f.parts[:-1])
            and (f.name.lower() in self._NAMES or re.match(r"requirements.*\.txt$", f.name, re.I))
            and f.size <= limit
        ]
        files.sort(key=lambda f: (len(f.parts), f.rel))
        for f in files[:12]:
            text = _read_text(scan.root, f.rel, limit)
            if text is None:
                continue
            parser = getattr(self, "_" + re.sub(r"\W", "_", f.name.lower()), None)
            if f.name.lower().startswith("requirements"):
                parser = self._requirements
            try:
                deps = parser(text, f) if parser else []
            except (ValueError, TypeError, KeyError, AttributeError, configparser.Error) as exc:
                reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
                self.notes.append(f"could not parse {f.display}: {reason}")
                continue
            deps = _dedupe([d for d in deps if d])
            if deps:
                self.dependencies[f.display] = deps

    # -- python
    def _pyproject_toml(self, text: str, f: _File) -> list[str]:
        data = tomllib.loads(text)
        project = data.get("project", {}) or {}
        poetry = data.get("tool", {}).get("poetry", {}) or {}
        top = len(f.parts) == 1
        deps = [_req_name(d) for d in project.get("dependencies", []) or []]
        for extra in (project.get("optional-dependencies", {}) or {}).values():
            deps += [_req_name(d) for d in extra or []]
        # PEP 735 dependency groups and poetry dev groups are tooling (linters, docs
        # builders), not what the project builds on; they would crowd out real dependencies.
        poetry_deps = poetry.get("dependencies", {}) or {}
        deps += [name for name in poetry_deps if name.lower() != "python"]
        if top:
            name = project.get("name") or poetry.get("name")
            self._set_project_name(name)
            scripts = {**(poetry.get("scripts", {}) or {}), **(project.get("scripts", {}) or {})}
            self._entry += list(scripts)
            if name:
                self._guess.append(f"pip install {name}")
            lic = project.get("license") or poetry.get("license")
            if isinstance(lic, dict):
                lic = lic.get("text") or lic.get("file")
            self._set_license(lic)
            urls = project.get("urls", {}) or {}
            lowered = {str(k).lower(): v for k, v in urls.items()}
            self._set_homepage(
                lowered.get("homepage")
                or poetry.get("homepage")
                or lowered.get("documentation")
                or poetry.get("documentation")
            )
        return deps

    def _setup_cfg(self, text: str, f: _File) -> list[str]:
        cfg = configparser.ConfigParser(interpolation=None, strict=False)
        cfg.read_string(text)
        deps = [
            _req_name(line)
            for line in cfg.get("options", "install_requires", fallback="").splitlines()
        ]
        if cfg.has_section("options.extras_require"):
            for _, value in cfg.items("options.extras_require"):
                deps += [_req_name(line) for line in value.splitlines()]
        if len(f.parts) == 1:
            scripts = cfg.get("options.entry_points", "console_scripts", fallback="")
            self._entry += [
                line.split("=")[0].strip() for line in scripts.splitlines() if "=" in line
            ]
            if name := cfg.get("metadata", "name", fallback=""):
                self._guess.append(f"pip install {name}")
            self._set_license(cfg.get("metadata", "license", fallback=None))
            self._set_homepage(cfg.get("metadata", "url", fallback=None))
        return deps

    def _setup_py(self, text: str, f: _File) -> list[str]:
        m = re.search(r"install_requires\s*=\s*\[([^\]]*)\]", text, re.S)
        deps = [_req_name(s) for s in re.findall(r"['\"]([^'\"]+)['\"]", m.group(1))] if m else []
        if len(f.parts) == 1 and (
            scripts := re.search(r"console_scripts['\"]\s*:\s*\[([^\]]*)\]", text)
        ):
            self._entry += [
                s.split("=")[0].strip()
                for s in re.findall(r"['\"]([^'\"]+)['\"]", scripts.group(1))
            ]
        return deps

    def _requirements(self, text: str, f: _File) -> list[str]:
        return [_req_name(line.split("#")[0]) for line in text.splitlines()]

    # -- javascript
    def _package_json(self, text: str, f: _File) -> list[str]:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        deps = list(data.get("dependencies", {}) or {}) + list(
            data.get("devDependencies", {}) or {}
        )
        if len(f.parts) == 1:
            name = data.get("name")
            self._set_project_name(name)
            binary = data.get("bin")
            if isinstance(binary, str) and name:
                self._entry.append(str(name).split("/")[-1])
            elif isinstance(binary, dict):
                self._entry += [str(k) for k in binary]
            if isinstance(data.get("main"), str):
                self._entry.append(os.path.normpath(data["main"]))
            if isinstance(data.get("scripts"), dict) and "start" in data["scripts"]:
                self._entry.append("npm start")
            if name and not data.get("private"):
                self._guess.append(f"npm install {name}")
            lic = data.get("license")
            self._set_license(lic if isinstance(lic, str) else None)
            self._set_homepage(data.get("homepage"))
        return [str(d) for d in deps]

    # -- rust
    def _cargo_toml(self, text: str, f: _File) -> list[str]:
        data = tomllib.loads(text)
        deps: list[str] = []
        tables = [
            data.get(k, {}) for k in ("dependencies", "dev-dependencies", "build-dependencies")
        ]
        tables.append(data.get("workspace", {}).get("dependencies", {}))
        tables += [t.get("dependencies", {}) for t in (data.get("target", {}) or {}).values()]
        for table in tables:
            deps += list(table or {})
        package = data.get("package", {}) or {}
        if len(f.parts) == 1:
            bins = [b.get("name") for b in data.get("bin", []) or [] if isinstance(b, dict)]
            name = package.get("name")
            self._set_project_name(name)
            if name and "src/main.rs" in self.scan.by_rel:
                bins = bins or [name]
            for g in self.scan.files:  # binaries cargo discovers by itself
                if g.parts[:2] == ("src", "bin") and len(g.parts) == 3 and g.name.endswith(".rs"):
                    bins.append(g.name[:-3])
                elif g.parts[:2] == ("src", "bin") and len(g.parts) == 4 and g.name == "main.rs":
                    bins.append(g.parts[2])
            self._entry += [b for b in bins if b]
            if name:
                self._guess.append(f"cargo install {name}" if bins else f"cargo add {name}")
            lic = package.get("license")
            self._set_license(lic if isinstance(lic, str) else None)
            self._set_homepage(package.get("homepage") or package.get("documentation"))
        return deps

    # -- go
    def _go_mod(self, text: str, f: _File) -> list[str]:
        deps = []
        module = None
        in_block = False
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("module "):
                module = line.split()[1]
            if line.startswith("require ("):
                in_block = True
                continue
            if in_block and line.startswith(")"):
                in_block = False
                continue
            spec = (
                line[len("require ") :] if line.startswith("require ") else line if in_block else ""
            )
            if spec and "// indirect" not in spec and not spec.startswith("//"):
                deps.append(spec.split()[0])
        if module and len(f.parts) == 1:
            self._set_project_name(dependency_name(module))
            mains = sorted(
                {
                    "/".join(x.parts[:2])
                    for x in self.scan.files
                    if len(x.parts) == 3 and x.parts[0] == "cmd" and x.name.endswith(".go")
                }
            )
            if mains:
                self._guess.append(f"go install {module}/{mains[0]}@latest")
            elif "main.go" in self.scan.by_rel:
                self._guess.append(f"go install {module}@latest")
            else:
                self._guess.append(f"go get {module}")
        return deps

    # -- others
    def _gemfile(self, text: str, f: _File) -> list[str]:
        return re.findall(r"^\s*gem\s+['\"]([^'\"]+)['\"]", text, re.M)

    def _composer_json(self, text: str, f: _File) -> list[str]:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        names = list(data.get("require", {}) or {}) + list(data.get("require-dev", {}) or {})
        if len(f.parts) == 1 and isinstance(data.get("license"), str):
            self._set_license(data["license"])
        return [n for n in names if n != "php" and not n.startswith(("ext-", "lib-"))]

    def _pom_xml(self, text: str, f: _File) -> list[str]:
        # A regex, not an XML parser: the file is untrusted and entity tricks are not worth the risk.
        blocks = re.findall(r"<dependency>(.*?)</dependency>", text, re.S)
        return [
            m.group(1).strip()
            for b in blocks
            if (m := re.search(r"<artifactId>([^<]+)</artifactId>", b))
        ]

    def _build_gradle(self, text: str, f: _File) -> list[str]:
        pattern = (
            r"\b(?:implementation|api|compile|compileOnly|runtimeOnly|testImplementation|"
            r"testCompile|annotationProcessor|kapt|testRuntimeOnly|developmentOnly)\s*\(?\s*"
            r"['\"]([^'\":\s]+):([^'\":\s]+)"
        )
        return [m.group(2) for m in re.finditer(pattern, text)]

    _build_gradle_kts = _build_gradle

    def _set_project_name(self, value: object) -> None:
        if self.project_name is None and isinstance(value, str) and value.strip():
            self.project_name = value.strip().split("/")[-1][:80]

    def _set_license(self, value: object) -> None:
        if isinstance(value, str) and value.strip() and not self.license and len(value) < 80:
            self.license = value.strip()

    def _set_homepage(self, value: object) -> None:
        if isinstance(value, str) and value.startswith("https://") and not self.homepage:
            self.homepage = value

    def install_guess(self) -> list[str]:
        return self._guess[:1]

    def entry_points(self) -> list[str]:
        entries = list(self._entry)
        files = self.scan.files
        for f in files:
            if f.name == "__main__.py" and not f.skipped_dir and not _is_test(f):
                package = f.parts[-2] if len(f.parts) >= 2 else None
                if package and (len(f.parts) == 2 or (len(f.parts) == 3 and f.parts[0] == "src")):
                    entries.append(f"python -m {_display(package)}")
        cmd_dirs = sorted(
            {
                f.parts[1]
                for f in files
                if len(f.parts) == 3 and f.parts[0] == "cmd" and f.name.endswith(".go")
            }
        )
        entries += [f"go run ./cmd/{_display(d)}" for d in cmd_dirs]
        if "main.go" in self.scan.by_rel:
            entries.append("go run .")
        for candidate in ("src/main.rs", "main.py", "app.py", "manage.py"):
            if candidate in self.scan.by_rel:
                entries.append(candidate)
        entries += [
            f.display for f in files if len(f.parts) == 2 and f.parts[0] == "bin" and not f.link
        ]
        return _dedupe(entries)[:8]


# --------------------------------------------------------------------------- license

_LICENSES = [
    ("AGPL-3.0", r"GNU AFFERO GENERAL PUBLIC LICENSE"),
    ("LGPL-3.0", r"GNU LESSER GENERAL PUBLIC LICENSE\s+Version 3"),
    ("LGPL-2.1", r"GNU LESSER GENERAL PUBLIC LICENSE\s+Version 2\.1|GNU LIBRARY GENERAL PUBLIC"),
    ("LGPL", r"GNU LESSER GENERAL PUBLIC LICENSE"),
    ("GPL-3.0", r"GNU GENERAL PUBLIC LICENSE\s+Version 3"),
    ("GPL-2.0", r"GNU GENERAL PUBLIC LICENSE\s+Version 2"),
    ("GPL", r"GNU GENERAL PUBLIC LICENSE"),
    ("Apache-2.0", r"Apache License,?\s+Version 2\.0|Licensed under the Apache License"),
    ("MPL-2.0", r"Mozilla Public License,?\s+(Version|v\.?)\s*2\.0"),
    ("Unlicense", r"This is free and unencumbered software released into the public domain"),
    ("ISC", r"Permission to use, copy, modify, and(/or)? distribute this software for any"),
    ("MIT", r"Permission is hereby granted, free of charge, to any person|\bMIT License\b"),
    ("BSD-3-Clause", r"Redistribution and use in source and binary forms(?=.*Neither the name)"),
    ("BSD-2-Clause", r"Redistribution and use in source and binary forms"),
    ("CC0-1.0", r"CC0 1\.0|Creative Commons Zero"),
    ("BSL-1.0", r"Boost Software License"),
]


def _license(scan: _Scan, manifests: _Manifests, limit: int) -> str | None:
    found: list[str] = []
    for f in scan.files:
        if len(f.parts) != 1 or f.link or not _LICENSE_RE.match(f.name):
            continue
        text = _read_text(scan.root, f.rel, min(limit, 200_000))
        if not text:
            continue
        flat = re.sub(r"\s+", " ", text)
        for spdx, pattern in _LICENSES:
            if re.search(pattern, flat, re.I | re.S):
                found.append(spdx)
                break
    found = _dedupe(found)
    if found:
        return " OR ".join(found[:2])
    return manifests.license


# --------------------------------------------------------------------------- structure


def _top_level(root: str) -> list[str]:
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    dirs, files = [], []
    for entry in entries:
        if entry.name == ".git" or (entry.name.startswith(".") and entry.name != ".github"):
            continue
        if entry.is_dir(follow_symlinks=False):
            dirs.append(_display(entry.name) + "/")
        else:
            files.append(_display(entry.name))
    return sorted(dirs, key=str.lower) + sorted(files, key=str.lower)


_KEY_FILE_NAMES = [
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements.txt",
    "pipfile",
    "environment.yml",
    "package.json",
    "tsconfig.json",
    "deno.json",
    "cargo.toml",
    "go.mod",
    "gemfile",
    "composer.json",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "package.swift",
    "mix.exs",
    "cmakelists.txt",
    "meson.build",
    "makefile",
    "dockerfile",
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yaml",
    ".gitlab-ci.yml",
    ".travis.yml",
    "azure-pipelines.yml",
    "jenkinsfile",
    "contributing.md",
    "changelog.md",
]


def _key_files(scan: _Scan, readme_rel: str | None, manifests: _Manifests) -> list[str]:
    out: list[str] = []
    if readme_rel:
        out.append(_display(readme_rel))
    top = {f.name.lower(): f for f in scan.files if len(f.parts) == 1}
    out += [f.display for name, f in sorted(top.items()) if _LICENSE_RE.match(name)]
    out += [top[name].display for name in _KEY_FILE_NAMES if name in top]
    out += [
        f.display
        for f in scan.files
        if len(f.parts) == 2 and re.match(r"requirements.+\.txt$", f.name, re.I)
    ]
    out += [
        f.display
        for f in scan.files
        if f.parts[:2] == (".github", "workflows") and f.name.endswith((".yml", ".yaml"))
    ][:2]
    if ".circleci/config.yml" in scan.by_rel:
        out.append(".circleci/config.yml")
    mains = [
        f
        for f in scan.files
        if not f.skipped_dir
        and not _is_test(f)
        and not _is_doc(f)
        and (
            f.name
            in (
                "__main__.py",
                "main.go",
                "main.rs",
                "lib.rs",
                "index.js",
                "index.ts",
                "main.py",
                "app.py",
                "cli.py",
            )
        )
        and len(f.parts) <= 3
    ]
    out += [f.display for f in sorted(mains, key=lambda f: (len(f.parts), f.rel))]
    return _dedupe(out)[:16]


def _dir_weight(scan: _Scan, prefix: tuple[str, ...]) -> float:
    lines, files = scan.totals(prefix)
    weight = lines + files * 0.5
    name = prefix[-1].lower()
    if name in _SKIP_DIRS or name.startswith("."):
        return -1.0 + weight * 1e-9
    if name in _TEST_PART or name in _DOC_PART:
        weight *= 0.25
    if name in ("src", "lib", "app", "cmd", "pkg", "internal", "crates", "packages"):
        weight = weight * 1.5 + 1
    return weight


def _children(scan: _Scan, prefix: tuple[str, ...]) -> tuple[list[str], list[_File]]:
    dirs, files = scan.children(prefix)
    return sorted(dirs), list(files)


def _tree(scan: _Scan, max_lines: int = 14) -> list[str]:
    """An indented tree two levels deep, most important entries first, elisions marked with …."""
    top_dirs, top_files = _children(scan, ())
    top_dirs = [d for d in top_dirs if not d.startswith(".")]
    top_dirs.sort(key=lambda d: (-_dir_weight(scan, (d,)), d.lower()))
    top_files = [f for f in top_files if not f.name.startswith(".")]
    top_files.sort(key=lambda f: (_file_rank(f), f.rel.lower()))
    sub: dict[str, list[str]] = {}
    for d in top_dirs:
        child_dirs, child_files = _children(scan, (d,))
        child_dirs.sort(key=lambda c: (-_dir_weight(scan, (d, c)), c.lower()))
        child_files.sort(key=lambda f: (-f.lines, f.rel.lower()))
        sub[d] = [_display(c) + "/" for c in child_dirs if not c.startswith(".")] + [
            _display(f.name) for f in child_files
        ]
    for per_dir in (3, 2, 1, 0):
        lines: list[str] = []
        shown_dirs = top_dirs[:6]
        for d in shown_dirs:
            lines.append(_display(d) + "/")
            kids = sub[d]
            if d in _SKIP_DIRS:
                continue
            lines += [f"  {k}" for k in kids[:per_dir]]
            if len(kids) > per_dir and per_dir:
                lines.append(f"  … {len(kids) - per_dir} more")
        room = max_lines - len(lines)
        rest = len(top_dirs) - len(shown_dirs) + len(top_files)
        if room >= 1 and (per_dir == 0 or room >= min(len(top_files), 4) + 1 or rest <= room):
            if rest <= room:
                lines += [f.display for f in top_files]
                if len(top_dirs) > len(shown_dirs):
                    lines.append(f"… {len(top_dirs) - len(shown_dirs)} more")
            else:
                take = max(room - 1, 0)
                lines += [f.display for f in top_files[:take]]
                lines.append(f"… {rest - take} more")
            if len(lines) <= max_lines:
                return lines
    return lines[: max_lines - 1] + ["…"]


def _file_rank(f: _File) -> int:
    low = f.name.lower()
    if _README_RE.match(low):
        return 0
    if low in _KEY_FILE_NAMES[:20]:
        return 1
    if _LICENSE_RE.match(low):
        return 2
    return 3


def _modules(scan: _Scan) -> list[str]:
    """Main packages and source directories (most code first), then the biggest modules."""
    weights: dict[tuple[str, ...], int] = {}

    def add(prefix: tuple[str, ...]) -> None:
        if prefix not in weights:
            weights[prefix] = scan.totals(prefix)[0]

    for f in scan.files:
        if f.skipped_dir or _is_test(f) or _is_doc(f) or _hidden(f.parts[:-1]) or f.link:
            continue
        p = f.parts
        if f.name == "__init__.py" and (len(p) == 2 or (len(p) == 3 and p[0] == "src")):
            add(p[:-1])
        elif len(p) >= 3 and p[0] in ("cmd", "internal", "pkg", "crates", "packages", "apps"):
            add(p[:2])
        elif len(p) >= 2 and p[0] in ("src", "lib", "app") and f.language:
            add(p[:2] if len(p) >= 3 and p[0] == "src" and f.language not in ("Rust",) else p[:1])
    ranked = sorted((k for k, v in weights.items() if v > 0), key=lambda k: (-weights[k], k))
    out = [_display("/".join(k)) + "/" for k in ranked]
    if not out:
        dirs = {
            f.parts[0]
            for f in scan.files
            if len(f.parts) > 1
            and f.language
            and not f.skipped_dir
            and not _is_test(f)
            and not _is_doc(f)
            and not _hidden(f.parts[:1])
        }
        for d in dirs:
            add((d,))
        out = [
            _display(d) + "/"
            for (d,) in sorted(
                (k for k in weights if len(k) == 1 and weights[k] > 0),
                key=lambda k: (-weights[k], k),
            )
        ]
    if len(out) < 3:
        main = ranked[0] if ranked else ()
        code = [
            f
            for f in scan.files
            if f.language
            and f.lines
            and f.parts[: len(main)] == main
            and not f.skipped_dir
            and not _is_test(f)
            and not _is_doc(f)
            and not _hidden(f.parts[:-1])
            and f.name not in ("__init__.py", "__main__.py", "setup.py", "conftest.py")
        ]
        code.sort(key=lambda f: (-f.lines, f.rel))
        out += [f.display for f in code[: 6 - len(out)]]
    return out[:8]


# --------------------------------------------------------------------------- history


def _history(root: str, snapshot: RepoSnapshot, notes: list[str]) -> GitHistory:
    if not os.path.exists(os.path.join(root, ".git")):
        notes.append("no git metadata in the checkout: history unknown")
        return GitHistory(commits=0, contributors=[], first_commit=None, last_commit=None)
    try:
        out = run_git(
            ["log", "--no-color", "--format=%an%x1f%aI%x1f%s%x1e", "-n", "200000", "HEAD", "--"],
            root,
            _OFFLINE,
            120,
            offline=True,
        )
    except (GitCommandError, GitTimeoutError, OSError) as exc:
        notes.append(f"could not read git history: {exc}")
        return GitHistory(commits=0, contributors=[], first_commit=None, last_commit=None)
    records = []
    for raw in out.decode("utf-8", "replace").split("\x1e"):
        fields = raw.strip("\n").split("\x1f")
        if len(fields) == 3:
            records.append(fields)
    authors = Counter(name.strip() or "unknown" for name, _, _ in records)
    people = [(n, c) for n, c in authors.items() if not _is_bot(n)]  # dependabot is no author
    contributors = [
        Contributor(name=name, commits=count)
        for name, count in sorted(people, key=lambda kv: (-kv[1], kv[0].lower()))[:10]
    ]
    shallow = os.path.exists(os.path.join(root, ".git", "shallow"))
    depth = snapshot.history_depth
    truncated = shallow or bool(depth and len(records) >= depth)
    if truncated:
        notes.append(
            f"history is shallow ({len(records)} most recent commits): counts are lower bounds"
        )
    return GitHistory(
        commits=len(records),
        contributors=contributors,
        first_commit=records[-1][1] if records else None,
        last_commit=records[0][1] if records else None,
        truncated=truncated,
        recent_subjects=[subject.strip()[:120] for _, _, subject in records[:5]],
        contributor_count=len(people),
    )


# --------------------------------------------------------------------------- code sample

_MAIN_NAMES = {"core", "main", "app", "lib", "cli", "server", "index", "api", "engine", "client"}
_DEF_PATTERNS = {
    "JavaScript": r"^(export\s+)?(default\s+)?(async\s+)?(function\b|class\b)|^(export\s+)?const\s+\w+\s*=\s*(async\s*)?(\(|function)",
    "TypeScript": r"^(export\s+)?(default\s+)?(async\s+)?(function\b|class\b|interface\b)|^(export\s+)?const\s+\w+\s*=\s*(async\s*)?(\(|function)",
    "Go": r"^func\s+(\([^)]*\)\s*)?[A-Z]|^type\s+[A-Z]\w*\s+(struct|interface)",
    "Rust": r"^\s*pub\s+(async\s+)?(fn|struct|enum|trait)\b",
    "Java": r"^\s*public\s+.*\b(class|interface|record|enum)\b|^\s*public\s+.*\(",
    "Kotlin": r"^\s*(public\s+|internal\s+)?(fun|class|object|data class)\b",
    "C#": r"^\s*public\s+.*\b(class|interface|record|struct)\b|^\s*public\s+.*\(",
    "C": r"^[A-Za-z_][\w \t\*]*\b\w+\s*\([^;]*\)\s*\{?\s*$",
    "C++": r"^[A-Za-z_][\w \t\*:<>,&]*\b\w+\s*\([^;]*\)\s*(const\s*)?\{?\s*$|^class\s+\w+",
    "Ruby": r"^\s*(def|class|module)\s",
    "PHP": r"^\s*(public\s+|final\s+|abstract\s+)?(function|class)\s",
    "Shell": r"^\w+\s*\(\)\s*\{|^function\s+\w+",
    "Swift": r"^\s*(public\s+)?(func|class|struct|enum|protocol)\b",
}
_FALLBACK_DEF = r"^\s*(def|fn|func|function|class|pub fn)\b"


def _code_sample(scan: _Scan, primary: str | None, limit: int) -> CodeSnippet | None:
    candidates = [
        f
        for f in scan.files
        if f.language
        and f.lines >= 3
        and not f.skipped_dir
        and not _is_test(f)
        and not _is_doc(f)
        and not _hidden(f.parts[:-1])
        and f.language not in ("HTML", "CSS", "SCSS", "Makefile", "Dockerfile", "CMake", "SQL")
    ]

    def rank(f: _File) -> tuple[int, float, str]:
        stem = os.path.splitext(f.name)[0].lower()
        bonus = 150 if stem in _MAIN_NAMES else 0
        if f.name in ("__init__.py", "setup.py", "__main__.py", "conftest.py"):
            bonus -= 1000
        size = min(f.lines, 600)
        return (0 if f.language == primary else 1, -(size + bonus), f.rel)

    candidates.sort(key=rank)
    best: tuple[float, CodeSnippet] | None = None
    for f in candidates[:6]:
        text = _read_text(scan.root, f.rel, limit)
        if not text:
            continue
        found = (
            _python_defs(text) if f.language == "Python" else _regex_defs(text, f.language or "")
        )
        for score, start, end in found[:12]:
            lines = text.splitlines()[start - 1 : end]
            code = _trim_code("\n".join(lines), SNIPPET_LINES)
            if not code.strip():
                continue
            fits = all(len(line) <= SNIPPET_COLS for line in lines[:SNIPPET_LINES])
            total = score + (1 if fits else 0) - (0.5 * candidates.index(f))
            snippet = CodeSnippet(
                code=code,
                language=_PYGMENTS.get(f.language or "", "text"),
                source=f.display,
                start_line=start,
            )
            if best is None or total > best[0]:
                best = (total, snippet)
        if best is None:  # no definitions found: show the start of the code
            body, start = _skip_header(text)
            code = _trim_code(body, SNIPPET_LINES)
            if code.strip():
                best = (
                    -10,
                    CodeSnippet(code, _PYGMENTS.get(f.language or "", "text"), f.display, start),
                )
    return best[1] if best else None


def _python_defs(text: str) -> list[tuple[float, int, int]]:
    """(score, start, end) of public top-level functions/classes; docstrings score higher."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return _regex_defs(text, "Python")
    out = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if node.name.startswith("_"):
            continue
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        end = node.end_lineno or node.lineno
        score = 2.0 if ast.get_docstring(node) else 0.0
        score += 2.0 if end - start + 1 <= SNIPPET_LINES else 0.0
        score += 1.0 if end - start >= 3 else 0.0
        out.append((score - 0.01 * len(out), start, min(end, start + SNIPPET_LINES - 1)))
    return out


def _regex_defs(text: str, language: str) -> list[tuple[float, int, int]]:
    pattern = re.compile(_DEF_PATTERNS.get(language, _FALLBACK_DEF))
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if not pattern.search(line):
            continue
        start = i
        while start > 0 and re.match(r"^\s*(//|///|/\*\*|\*|#(?!include|!)|--)", lines[start - 1]):
            start -= 1
            if i - start >= 6:
                break
        end = min(len(lines), start + SNIPPET_LINES)
        for j in range(i + 1, min(len(lines), start + SNIPPET_LINES)):
            if lines[j].rstrip() in ("}", "};", "end") or (
                language == "Python" and lines[j][:1].strip()
            ):
                end = j + 1 if lines[j].rstrip() in ("}", "};", "end") else j
                break
        score = 2.0 if start < i else 0.0
        score += 2.0 if end - start <= SNIPPET_LINES and end > i + 1 else 0.0
        score += 1.0 if end - start >= 4 else 0.0
        out.append((score - 0.01 * len(out), start + 1, end))
        if len(out) >= 12:
            break
    return out


# --------------------------------------------------------------------------- helpers


def _is_bot(name: str) -> bool:
    low = name.lower()
    return low.endswith(("[bot]", "-bot", " bot")) or low in (
        "dependabot",
        "renovate",
        "github-actions",
    )


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


__all__ = ["build_profile", "languages_frame", "profile_summary_markdown"]
