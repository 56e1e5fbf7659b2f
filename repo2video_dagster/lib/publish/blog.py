"""Publish a rendered video: a markdown post, a standalone HTML page, a site index.

Everything a repository provides (name, description, README text, license,
topics, homepage) is attacker-controlled from the page's point of view, so it is
HTML-escaped wherever it lands, quoted as YAML in front matter, and links are
kept only when they are plain ``http(s)`` URLs. The page carries a
Content-Security-Policy that only lets its own inline script run, as a second
line of defence.

The site directory is self-contained: media are hard-linked (or copied) next to
each page and referenced by relative URLs, so it can be served by any static
file server or opened straight from disk, and it makes no external requests.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repo2video_dagster.lib.core.errors import output_error
from repo2video_dagster.lib.core.records import (
    BlogPost,
    Captions,
    RenderedVideo,
    RepoProfile,
    TimedWord,
    VideoScript,
    format_share,
)
from repo2video_dagster.lib.publish.feed import FEED_NAME, write_feed
from repo2video_dagster.lib.publish.page_style import _CSS, _SEEK_JS

logger = logging.getLogger(__name__)

__all__ = ["write_blog", "write_site_index", "site_key", "safe_http_url", "yaml_quote"]

META_FILE = "meta.json"
_KEY_RE = re.compile(r"[^A-Za-z0-9._-]+")


# --- small safe-output helpers ------------------------------------------------------


def esc(value: Any) -> str:
    """HTML-escape any value (text and attribute contexts alike)."""
    return html.escape("" if value is None else str(value), quote=True)


def safe_http_url(url: str | None) -> str | None:
    """The URL if it is a plain absolute http(s) URL, else None (drops ``javascript:``)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch in "<>\"'`\\" for ch in url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def yaml_quote(value: Any) -> str:
    """A YAML double-quoted scalar that parses back to exactly ``str(value)``."""
    out = ['"']
    for ch in str(value):
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif (
            code in (0x2028, 0x2029, 0xFEFF) or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)
        ):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~>])")


def md_escape(text: Any) -> str:
    """Repository text in markdown: no raw HTML, no link or emphasis syntax."""
    flat = " ".join(str(text or "").split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def _url_path(path: str) -> str:
    """A relative file path as a URL path (each segment percent-encoded)."""
    return "/".join(urllib.parse.quote(part) for part in path.replace(os.sep, "/").split("/"))


def timestamp(seconds: float) -> str:
    """``75.2`` -> ``1:15``; hours when needed (``1:02:03``)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def site_key(name: str) -> str:
    """A directory name for a repository: ``owner/name`` -> ``owner__name``."""
    key = _KEY_RE.sub("-", name.strip().replace("/", "__")).strip(".-")
    return key[:120] or "repository"


def _atomic_write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _place_media(src: Path, dest: Path) -> None:
    """Hard-link (same disk, no extra space) or copy ``src`` to ``dest`` atomically."""
    if dest.exists() and src.resolve() == dest.resolve():
        return
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copy2(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- inputs -------------------------------------------------------------------------


@dataclass
class _Media:
    """Files of one render as (source path, name inside the site directory)."""

    landscape: Path | None
    reel: Path | None
    thumbnail: Path | None
    vtt: Path | None
    srt: Path | None

    def items(self) -> list[tuple[str, Path, str]]:
        named = [
            ("landscape", self.landscape, "landscape"),
            ("reel", self.reel, "reel"),
            ("thumbnail", self.thumbnail, "thumbnail"),
            ("vtt", self.vtt, "captions"),
            ("srt", self.srt, "captions"),
        ]
        return [(role, p, f"{base}{p.suffix.lower()}") for role, p, base in named if p]


def _existing(path: str | Path | None, what: str) -> Path | None:
    if not path:
        return None
    p = Path(path)
    if not p.is_file():
        logger.warning("%s %s does not exist; the page will leave it out", what, p)
        return None
    return p


def _split_captions(
    captions: Captions | list[TimedWord] | str | None,
) -> tuple[list[TimedWord], str | None, str | None, str | None]:
    """Words, plain transcript text, VTT and SRT paths from whatever was passed."""
    if isinstance(captions, Captions):
        return captions.words, None, captions.vtt_path, captions.srt_path
    if isinstance(captions, str):
        return [], captions, None, None
    return list(captions or []), None, None, None


@dataclass
class _Section:
    title: str
    start_s: float | None
    text: str


def _transcript(
    script: VideoScript, video: RenderedVideo, words: list[TimedWord], text: str | None
) -> list[_Section]:
    """The narration by scene, with each scene's start time when it is known."""
    if text is not None and not words:
        return [_Section("Transcript", None, " ".join(text.split()))]
    by_scene: dict[str, list[TimedWord]] = {}
    for word in words:
        by_scene.setdefault(word.scene_id, []).append(word)
    chapters = video.chapters
    sections = []
    for i, scene in enumerate(script.scenes):
        spoken = by_scene.get(scene.id)
        if spoken:
            start: float | None = spoken[0].start
            body = " ".join(w.text for w in spoken)
        else:
            start = chapters[i].start_s if i < len(chapters) else None
            body = scene.narration
        sections.append(_Section(scene.title, start, body))
    return sections


# --- markdown -----------------------------------------------------------------------


def _markdown(
    profile: RepoProfile,
    script: VideoScript,
    video: RenderedVideo,
    sections: list[_Section],
    links: dict[str, str],
    repo_url: str | None,
    commit: str,
    rendered_at: str,
) -> str:
    front = [
        "---",
        f"title: {yaml_quote(script.title)}",
        f"date: {yaml_quote(rendered_at)}",
        f"repo: {yaml_quote(profile.full_name)}",
        f"commit: {yaml_quote(commit)}",
        "tags: [" + ", ".join(yaml_quote(t) for t in script.tags) + "]",
        f"video: {yaml_quote(links.get('landscape', ''))}",
        f"reel: {yaml_quote(links.get('reel', ''))}",
        f"thumbnail: {yaml_quote(links.get('thumbnail', ''))}",
        f"duration: {video.duration_s:.1f}",
    ]
    if repo_url:
        front.append(f"repo_url: {yaml_quote(repo_url)}")
    front.append("---")
    body = [f"# {md_escape(script.title)}", ""]
    if "landscape" in links:
        poster = f' poster="{esc(links["thumbnail"])}"' if "thumbnail" in links else ""
        track = (
            f'<track kind="captions" src="{esc(links["vtt"])}" srclang="en" label="English" default>'
            if "vtt" in links
            else ""
        )
        body += [
            f'<video controls preload="metadata" width="100%"{poster} '
            f'src="{esc(links["landscape"])}">{track}</video>',
            "",
        ]
    downloads = [
        f"[{label}](<{links[role]}>)"
        for role, label in (
            ("landscape", "Video 16:9"),
            ("reel", "Reel 9:16"),
            ("srt", "Subtitles SRT"),
            ("vtt", "Subtitles VTT"),
        )
        if role in links
    ]
    if downloads:
        body += [" · ".join(downloads), ""]
    for paragraph in script.description.split("\n\n"):
        if paragraph.strip():
            body += [md_escape(paragraph), ""]
    if video.chapters:
        body += ["## Chapters", ""]
        body += [f"- {timestamp(c.start_s)} {md_escape(c.title)}" for c in video.chapters]
        body.append("")
    body += ["## Transcript", ""]
    for section in sections:
        when = f"{timestamp(section.start_s)} · " if section.start_s is not None else ""
        body += [f"### {when}{md_escape(section.title)}", "", md_escape(section.text), ""]
    body += ["## Links", ""]
    if repo_url:
        body.append(f"- Repository: <{repo_url}>")
    homepage = safe_http_url(profile.homepage)
    if homepage and homepage != repo_url:
        body.append(f"- Homepage: <{homepage}>")
    body.append(f"- Commit: `{re.sub(r'[^0-9A-Za-z]', '', commit)[:40]}`")
    body.append(f"- Rendered: {md_escape(rendered_at)}")
    return "\n".join(front) + "\n\n" + "\n".join(body).rstrip() + "\n"


# --- HTML ---------------------------------------------------------------------------


def _page(title: str, body: str, *, nonce: str | None = None, head: str = "") -> str:
    script_src = f"'nonce-{nonce}'" if nonce else "'none'"
    csp = (
        f"script-src {script_src}; object-src 'none'; base-uri 'none'; "
        "form-action 'none'; frame-src 'none'; connect-src 'none'"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n'
        '<meta name="viewport" content="width=device-width,initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<link rel="icon" href="data:,">\n'  # no /favicon.ico request (a 404 in the console)
        f"<title>{esc(title)}</title>\n{head}<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def _facts(profile: RepoProfile, commit: str, rendered_at: str, duration_s: float) -> str:
    rows: list[tuple[str, str]] = [("Repository", profile.full_name)]
    if profile.languages:
        rows.append(
            (
                "Languages",
                ", ".join(
                    f"{lang.name} {format_share(lang.share)}" for lang in profile.languages[:5]
                ),
            )
        )
    rows.append(("License", profile.license or "none found"))
    if profile.stars is not None:
        rows.append(("Stars", f"{profile.stars:,}"))
    if profile.forks is not None:
        rows.append(("Forks", f"{profile.forks:,}"))
    rows.append(("Files", f"{profile.total_files:,}"))
    rows.append(("Lines", f"{profile.total_lines:,}"))
    history = profile.history
    plus = "+" if history.truncated else ""
    rows.append(("Commits", f"{history.commits:,}{plus}"))
    if history.people:
        rows.append(("Contributors", f"{history.people:,}{plus}"))
    rows.append(("Commit", commit[:12]))
    rows.append(("Duration", timestamp(duration_s)))
    rows.append(("Rendered", rendered_at))
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return f'<dl class="facts">{items}</dl>'


def _repo_html(
    profile: RepoProfile,
    script: VideoScript,
    video: RenderedVideo,
    sections: list[_Section],
    files: dict[str, str],
    repo_url: str | None,
    commit: str,
    rendered_at: str,
    nonce: str,
) -> str:
    def src(role: str) -> str:
        return esc(_url_path(files[role]))

    track = (
        f'<track kind="captions" src="{src("vtt")}" srclang="en" label="English" default>'
        if "vtt" in files
        else ""
    )
    poster = f' poster="{src("thumbnail")}"' if "thumbnail" in files else ""
    players = []
    if "landscape" in files:
        players.append(
            f'<video id="video" controls preload="metadata" playsinline{poster}>'
            f'<source src="{src("landscape")}" type="video/mp4">{track}</video>'
        )
    if "reel" in files:
        players.append(
            f'<video controls preload="metadata" playsinline{poster}>'
            f'<source src="{src("reel")}" type="video/mp4">{track}</video>'
        )
    parts = [
        f'<p class="muted">{esc(profile.full_name)}</p>',
        f"<h1>{esc(script.title)}</h1>",
    ]
    if players:
        parts.append(f'<div class="players">{"".join(players)}</div>')
    for paragraph in script.description.split("\n\n"):
        if paragraph.strip():
            parts.append(f"<p>{esc(' '.join(paragraph.split()))}</p>")
    if video.chapters:
        items = "".join(
            f'<li><a href="#t={c.start_s:.2f}" data-t="{c.start_s:.2f}">'
            f'<span class="ts">{esc(timestamp(c.start_s))}</span>'
            f"{esc(c.title)}</a></li>"
            for c in video.chapters
        )
        parts.append(f'<h2>Chapters</h2><ol class="chapters">{items}</ol>')
    transcript = []
    for section in sections:
        when = ""
        if section.start_s is not None:
            when = (
                f'<a class="ts" href="#t={section.start_s:.2f}" data-t="{section.start_s:.2f}">'
                f"{esc(timestamp(section.start_s))}</a>"
            )
        transcript.append(f"<h3>{when}{esc(section.title)}</h3><p>{esc(section.text)}</p>")
    parts.append(f'<h2>Transcript</h2><div class="card">{"".join(transcript)}</div>')
    parts.append(
        "<h2>Facts</h2>"
        + f'<div class="card">{_facts(profile, commit, rendered_at, video.duration_s)}</div>'
    )
    downloads = [
        f'<li><a href="{src(role)}" download>{esc(label)}</a></li>'
        for role, label in (
            ("landscape", "Video 16:9 (MP4)"),
            ("reel", "Reel 9:16 (MP4)"),
            ("srt", "Subtitles (SRT)"),
            ("vtt", "Subtitles (WebVTT)"),
            ("thumbnail", "Thumbnail"),
        )
        if role in files
    ]
    if downloads:
        parts.append(f'<h2>Downloads</h2><ul class="downloads">{"".join(downloads)}</ul>')
    links = ['<a href="../index.html">All videos</a>']
    if repo_url:
        links.append(f'<a href="{esc(repo_url)}" rel="noopener noreferrer nofollow">Repository</a>')
    homepage = safe_http_url(profile.homepage)
    if homepage and homepage != repo_url:
        links.append(f'<a href="{esc(homepage)}" rel="noopener noreferrer nofollow">Homepage</a>')
    parts.append(f'<p class="muted">{" · ".join(links)}</p>')
    parts.append(f'<script nonce="{esc(nonce)}">{_SEEK_JS}</script>')
    return _page(script.title, "\n".join(parts), nonce=nonce)


# --- public API ---------------------------------------------------------------------


def write_blog(
    profile: RepoProfile,
    script: VideoScript,
    video: RenderedVideo,
    captions_words: Captions | list[TimedWord] | str | None,
    *,
    out_dir: Path,
    site_dir: Path,
    commit: str,
    rendered_at: str,
    key: str | None = None,
    vtt_path: str | Path | None = None,
    srt_path: str | Path | None = None,
    repo_url: str | None = None,
) -> BlogPost:
    """Write ``out_dir/post.md``, ``site_dir/<key>/index.html`` and refresh the site index.

    ``captions_words`` may be the :class:`Captions` record (its VTT/SRT are then
    published too), the timed words, or a plain transcript. ``key`` defaults to
    the repository's full name made path-safe; ``repo_url`` defaults to the
    profile's homepage. Links that are not http(s) are dropped.
    """
    out_dir, site_dir = Path(out_dir), Path(site_dir)
    words, text, cap_vtt, cap_srt = _split_captions(captions_words)
    landscape, reel = video.video("landscape"), video.video("reel")
    media = _Media(
        landscape=_existing(landscape.path if landscape else None, "landscape video"),
        reel=_existing(reel.path if reel else None, "reel video"),
        thumbnail=_existing(video.thumbnail_path, "thumbnail"),
        vtt=_existing(vtt_path or cap_vtt, "VTT captions"),
        srt=_existing(srt_path or cap_srt, "SRT captions"),
    )
    key = site_key(key or profile.full_name)
    repo_url = safe_http_url(repo_url) or safe_http_url(profile.homepage)
    sections = _transcript(script, video, words, text)
    page_dir = site_dir / key
    try:
        page_dir.mkdir(parents=True, exist_ok=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        files: dict[str, str] = {}
        links: dict[str, str] = {}
        for role, src, name in media.items():
            _place_media(src, page_dir / name)
            files[role] = name
            links[role] = _url_path(os.path.relpath(src.resolve(), out_dir.resolve()))
        md_path = out_dir / "post.md"
        _atomic_write(
            md_path,
            _markdown(profile, script, video, sections, links, repo_url, commit, rendered_at),
        )
        html_path = page_dir / "index.html"
        nonce = secrets.token_urlsafe(16)
        _atomic_write(
            html_path,
            _repo_html(
                profile, script, video, sections, files, repo_url, commit, rendered_at, nonce
            ),
        )
        meta = {
            "key": key,
            "title": script.title,
            "repo": profile.full_name,
            "commit": commit,
            "rendered_at": rendered_at,
            "duration_s": round(video.duration_s, 2),
            "thumbnail": files.get("thumbnail"),
            "page": "index.html",
        }
        _atomic_write(page_dir / META_FILE, json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
        index_path = write_site_index(site_dir)
    except OSError as err:
        raise output_error(
            f"could not write the blog post for {profile.full_name}",
            err,
            hint=f"check free space and permissions of {site_dir} and {out_dir}",
        ) from err
    logger.info("blog post for %s: %s", profile.full_name, html_path)
    return BlogPost(
        markdown_path=str(md_path),
        html_path=str(html_path),
        index_path=str(index_path),
        url=html_path.resolve().as_uri(),
    )


def _read_meta(page_dir: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((page_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        logger.warning("skipping %s in the site index: %s", page_dir.name, err)
        return None
    return meta if isinstance(meta, dict) else None


def write_site_index(site_dir: Path) -> Path:
    """Rebuild ``site_dir/index.html`` from every ``*/meta.json``, newest first."""
    site_dir = Path(site_dir)
    entries = []
    for meta_path in sorted(site_dir.glob(f"*/{META_FILE}")):
        page_dir = meta_path.parent
        meta = _read_meta(page_dir)
        if meta is None or not (page_dir / "index.html").is_file():
            continue
        entries.append((page_dir.name, meta))
    entries.sort(key=lambda e: (str(e[1].get("rendered_at") or ""), e[0]), reverse=True)
    cards = []
    for dirname, meta in entries:
        base = urllib.parse.quote(dirname)
        thumb = meta.get("thumbnail")
        image = ""
        if isinstance(thumb, str) and re.fullmatch(r"[\w.-]+", thumb) and not thumb.startswith("."):
            image = (
                f'<img src="{esc(base)}/{esc(urllib.parse.quote(thumb))}" alt="" loading="lazy">'
            )
        try:
            duration = timestamp(float(meta.get("duration_s") or 0))
        except (TypeError, ValueError):
            duration = ""
        cards.append(
            f'<article><a href="{esc(base)}/index.html">{image}'
            f"<h2>{esc(meta.get('title') or dirname)}</h2></a>"
            f'<p class="muted">{esc(meta.get("repo") or "")} · {esc(duration)} · '
            f"{esc(str(meta.get('rendered_at') or '')[:10])}</p></article>"
        )
    count = len(cards)
    status = '<p><a href="status.html">Render status</a></p>'  # lib/publish/status_page.py
    body = (
        "<h1>Repository videos</h1>"
        f'<p class="muted">{count} repositor{"y" if count == 1 else "ies"}</p>'
        + (status if (site_dir / "status.html").is_file() else "")
        + (f'<div class="grid">{"".join(cards)}</div>' if cards else "<p>Nothing rendered yet.</p>")
    )
    index_path = site_dir / "index.html"
    feed = f'<link rel="alternate" type="application/atom+xml" title="Repository videos" href="{FEED_NAME}">\n'
    _atomic_write(index_path, _page("Repository videos", body, head=feed))
    write_feed(site_dir, entries)
    return index_path
