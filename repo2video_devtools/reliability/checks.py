"""Checks shared by the reliability runner and the tests: leaks, HTML safety, audit trails."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

# --------------------------------------------------------------------------- leaks


def find_leaks(roots: Iterable[Path], needles: Iterable[bytes]) -> list[str]:
    """``path: needle`` for every file under ``roots`` that contains one of ``needles``.

    Raw bytes are searched, so SQLite databases (run storage, event logs), WAL files,
    pickles and logs are all covered. Symbolic links are not followed: a link is a
    name, not content the service wrote.
    """
    wanted = [n for n in needles if n]
    hits: list[str] = []
    for root in roots:
        if not root.exists():
            continue
        for path in _files(root):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            hits += [f"{path}: {n.decode('utf-8', 'replace')}" for n in wanted if n in data]
    return hits


def _files(root: Path) -> Iterator[Path]:
    if root.is_file() and not root.is_symlink():
        yield root
        return
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                yield path


# --------------------------------------------------------------------------- HTML


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


_DANGEROUS_TAGS = {"iframe", "object", "embed", "form", "base", "meta", "svg", "math"}
_URL_ATTRS = {"href", "src", "poster", "action", "formaction", "srcset", "xlink:href"}


def html_problems(path: Path, marker: str) -> list[str]:
    """Ways repository text could act in a generated page; empty when all of it is inert.

    ``marker`` is a string the hostile README put in every attack: it may appear as
    text (escaped), never inside a script, an event handler, a URL or a tag name.
    """
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    problems: list[str] = []
    for tag, attrs in page.tags:
        if tag in _DANGEROUS_TAGS and tag != "meta":
            problems.append(f"<{tag}> element")
        for name, value in attrs.items():
            low = value.strip().lower()
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=...> event handler")
            # "data:," (empty) is the pages' own no-favicon link: it carries nothing
            dangerous = low.startswith(("javascript:", "data:", "vbscript:")) and low != "data:,"
            if name in _URL_ATTRS and dangerous:
                problems.append(f"<{tag} {name}={value[:40]!r}>")
            if marker in value:
                problems.append(f"repository text inside <{tag} {name}=...>")
    problems += [f"script runs repository text: {s[:60]!r}" for s in page.scripts if marker in s]
    for needle in ("<script>alert", "<img src=x", "<iframe", "onerror=", "<details"):
        if needle in text:
            problems.append(f"unescaped {needle!r}")
    return problems


# --------------------------------------------------------------------------- audit trail

_AUDIT_LOCK = threading.Lock()
_RECORDERS: list[list[tuple[str, tuple]]] = []
_INSTALLED = False
_EVENTS = frozenset(
    {
        "open",
        "os.listdir",
        "os.scandir",
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "socket.getaddrinfo",
        "socket.connect",
    }
)


def _hook(event: str, args: tuple) -> None:
    if _RECORDERS and event in _EVENTS:
        for rec in _RECORDERS:
            rec.append((event, args))


@contextmanager
def audit() -> Iterator[list[tuple[str, tuple]]]:
    """Record file opens, directory listings, process starts and DNS/connects in this process.

    Python audit hooks cannot be removed, so one hook is installed once and only
    records while a caller is inside this context.
    """
    global _INSTALLED
    with _AUDIT_LOCK:
        if not _INSTALLED:
            sys.addaudithook(_hook)
            _INSTALLED = True
    events: list[tuple[str, tuple]] = []
    _RECORDERS.append(events)
    try:
        yield events
    finally:
        _RECORDERS.remove(events)


def process_starts(events: Iterable[tuple[str, tuple]]) -> list[tuple]:
    """The args of every process start (``subprocess.Popen``: executable, args, cwd, env)."""
    kinds = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn")
    return [args for event, args in events if event in kinds]


def network_calls(events: Iterable[tuple[str, tuple]]) -> list[tuple]:
    return [args for event, args in events if event in ("socket.getaddrinfo", "socket.connect")]


def reads_outside(events: Iterable[tuple[str, tuple]], root: Path) -> list[str]:
    """Paths opened or listed outside ``root``, other than Python's own modules and locale data.

    What the profile stage reads must stay inside the checkout; the interpreter itself
    may still import modules lazily, so files under the Python installation and the
    virtual environment are allowed (they are never repository content).
    """
    base = os.path.realpath(root)
    allowed = {os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix} if p} | {
        "/usr/lib/python3",
        "/usr/share/zoneinfo",
        "/dev/null",
    }
    out: list[str] = []
    for event, args in events:
        if event not in ("open", "os.listdir", "os.scandir") or not args:
            continue
        raw = args[0]
        if isinstance(raw, int) or raw is None:
            continue  # an already-open descriptor: its open was recorded
        path = os.path.realpath(os.fsdecode(raw))
        if path == base or path.startswith(base + os.sep):
            continue
        if any(path == a or path.startswith(a + os.sep) for a in allowed):
            continue
        out.append(path)
    return sorted(set(out))
