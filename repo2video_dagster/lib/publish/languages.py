"""The site's languages: a page per narrated language, and the main page's language list
and subtitle tracks.

Each narrated language gets its own post (``site/<key>/lang/<code>/index.html``, with
its videos, captions and transcript, written by :func:`~.blog.write_blog`); the
repository's main page (the default language's, written by ``blog_post``) gains a
list of those pages and a ``<track>`` per language, subtitle-only ones included. The
additions are marked, so writing them again replaces them instead of adding twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from repo2video_dagster.lib.core.errors import output_error
from repo2video_dagster.lib.core.records import (
    BlogPost,
    Captions,
    RenderedVideo,
    RepoProfile,
    VideoScript,
)
from repo2video_dagster.lib.publish.blog import (
    _atomic_write,
    _place_media,
    esc,
    site_key,
    write_blog,
)

__all__ = ["LanguageLink", "add_languages_to_page", "write_language_post"]

_MARK = "data-r2v-lang"


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    page: str | None
    """Relative link to the language's page (``None``: subtitles only)."""
    vtt: Path | None


def write_language_post(
    profile: RepoProfile,
    script: VideoScript,
    video: RenderedVideo,
    captions: Captions,
    *,
    key: str,
    code: str,
    site_dir: Path,
    out_dir: Path,
    commit: str,
    rendered_at: str,
    repo_url: str | None,
) -> BlogPost:
    return write_blog(
        profile,
        script,
        video,
        captions,
        out_dir=out_dir,
        site_dir=site_dir / site_key(key) / "lang",
        commit=commit,
        rendered_at=rendered_at,
        key=code,
        repo_url=repo_url,
    )


def _strip(html: str) -> str:
    html = re.sub(rf"<track [^>]*{_MARK}[^>]*>", "", html)
    return re.sub(rf'<nav {_MARK}="1"[^>]*>.*?</nav>', "", html, flags=re.S)


def add_languages_to_page(page: Path, links: list[LanguageLink]) -> None:
    """Add the language list and the subtitle tracks to the main page (idempotent)."""
    if not page.is_file():
        return
    try:
        html = _strip(page.read_text(encoding="utf-8"))
        tracks = ""
        for link in links:
            if link.vtt is None or not link.vtt.is_file():
                continue
            name = f"subtitles.{link.code}.vtt"
            _place_media(link.vtt, page.parent / name)
            tracks += (
                f'<track {_MARK}="1" kind="subtitles" src="{esc(name)}" '
                f'srclang="{esc(link.code)}" label="{esc(link.name)}">'
            )
        html = html.replace("</video>", f"{tracks}</video>")
        items = [
            f'<a href="{esc(link.page)}" hreflang="{esc(link.code)}">{esc(link.name)}</a>'
            if link.page
            else f"{esc(link.name)} (subtitles)"
            for link in links
        ]
        if items:
            nav = f'<nav {_MARK}="1" class="muted">Languages: {" · ".join(items)}</nav>'
            html = html.replace("</h1>", f"</h1>{nav}", 1)
        _atomic_write(page, html)
    except OSError as err:
        raise output_error(f"could not add the languages to {page}", err) from err
