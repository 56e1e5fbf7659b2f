"""What a shared link and a visitor see of a published video: Open Graph and Twitter
card tags, and the YouTube link, added to a video page the blog stage wrote.

The publication stage knows the YouTube addresses and the site's public URL, the blog
stage (which writes the page on every render) knows neither; so the publication adds
them, between marker comments, and adding them again replaces the old ones. The
inputs are kept next to the page (``social.json``) so ``repo2video site publish`` can
add them again after a re-render rewrote the page.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import asdict, dataclass
from pathlib import Path

from repo2video_dagster.lib.publish.blog import esc, safe_http_url

HEAD_MARK = ("<!-- repo2video:social -->", "<!-- /repo2video:social -->")
BODY_MARK = ("<!-- repo2video:links -->", "<!-- /repo2video:links -->")
SOCIAL_FILE = "social.json"


@dataclass(frozen=True)
class PageSocial:
    title: str
    description: str
    youtube: dict[str, str]
    """format -> YouTube URL (``landscape``, ``reel``)."""


def _strip(html: str, mark: tuple[str, str]) -> str:
    return re.sub(re.escape(mark[0]) + r".*?" + re.escape(mark[1]) + r"\n?", "", html, flags=re.S)


def _media(page_dir: Path, base: str | None, name: str) -> str | None:
    if base is None or not (page_dir / name).exists():
        return None
    return f"{base}{urllib.parse.quote(page_dir.name)}/{urllib.parse.quote(name)}"


def head_tags(page_dir: Path, social: PageSocial, site_url: str | None) -> str:
    base = site_url.rstrip("/") + "/" if safe_http_url(site_url) else None
    description = " ".join(social.description.split())[:300]
    tags = [
        ("property", "og:type", "video.other"),
        ("property", "og:title", social.title),
        ("property", "og:description", description),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", social.title),
        ("name", "twitter:description", description),
    ]
    if base:
        tags.append(("property", "og:url", f"{base}{urllib.parse.quote(page_dir.name)}/"))
    image = _media(page_dir, base, "thumbnail.png") or _media(page_dir, base, "thumbnail.jpg")
    if image:
        tags += [("property", "og:image", image), ("name", "twitter:image", image)]
    video = _media(page_dir, base, "landscape.mp4")
    if video:
        tags += [("property", "og:video", video), ("property", "og:video:type", "video/mp4")]
    lines = [f'<meta {kind}="{esc(name)}" content="{esc(value)}">' for kind, name, value in tags]
    lines.append(
        '<link rel="alternate" type="application/atom+xml" title="Repository videos" href="../feed.xml">'
    )
    return "\n".join([HEAD_MARK[0], *lines, HEAD_MARK[1]]) + "\n"


def youtube_links(social: PageSocial) -> str:
    names = {"landscape": "Watch on YouTube", "reel": "YouTube Short"}
    links = [
        f'<a class="youtube" href="{esc(url)}" rel="noopener noreferrer">{esc(names.get(fmt, fmt))}</a>'
        for fmt, url in sorted(social.youtube.items())
        if safe_http_url(url)
    ]
    if not links:
        return ""
    return f'{BODY_MARK[0]}<p class="youtube">{" · ".join(links)}</p>{BODY_MARK[1]}\n'


def annotate_page(
    page_dir: Path, social: PageSocial | None = None, site_url: str | None = None
) -> bool:
    """Add (or replace) the tags and links in ``page_dir/index.html``; False if no page.

    ``social`` None re-applies the stored ``social.json``.
    """
    page = page_dir / "index.html"
    stored = page_dir / SOCIAL_FILE
    if social is None:
        try:
            social = PageSocial(**json.loads(stored.read_text(encoding="utf-8")))
        except (FileNotFoundError, json.JSONDecodeError, TypeError):
            return False
    if not page.is_file():
        return False
    html = _strip(_strip(page.read_text(encoding="utf-8"), HEAD_MARK), BODY_MARK)
    html = html.replace("</title>\n", "</title>\n" + head_tags(page_dir, social, site_url), 1)
    links = youtube_links(social)
    if links:
        html = re.sub(r"(</h1>\n?)", lambda m: m.group(1) + links, html, count=1)
    tmp = page.with_name(".index.html.social.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.chmod(0o644)
    tmp.replace(page)
    stored.write_text(json.dumps(asdict(social), indent=2) + "\n", encoding="utf-8")
    return True


def refresh_site(site_dir: Path, site_url: str | None) -> int:
    """Before a site is published: every page's tags and links again (absolute URLs now
    that ``site_url`` is known) and the feed with permanent ids. Returns pages seen."""
    from repo2video_dagster.lib.publish.blog import META_FILE
    from repo2video_dagster.lib.publish.feed import write_feed

    entries = []
    for meta_path in sorted(site_dir.glob(f"*/{META_FILE}")):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(meta, dict) and (meta_path.parent / "index.html").is_file():
            annotate_page(meta_path.parent, None, site_url)
            entries.append((meta_path.parent.name, meta))
    entries.sort(key=lambda e: (str(e[1].get("rendered_at") or ""), e[0]), reverse=True)
    write_feed(site_dir, entries, site_url if safe_http_url(site_url) else None)
    return len(entries)
