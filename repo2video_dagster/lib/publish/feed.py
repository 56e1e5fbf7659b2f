"""The site's Atom feed (RFC 4287): one entry per video page, newest first.

Written with the index (``blog.write_site_index``), so it always lists what the index
lists. Entry ids must be permanent IRIs: with the site's public URL known
(``REPO2VIDEO_SITE_URL``, used by the publication stage and ``repo2video site
publish``) they are the page addresses; without it, ``urn:repo2video:<page>:<commit>``
and links relative to the feed.
"""

from __future__ import annotations

import os
import tempfile
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

FEED_NAME = "feed.xml"
ATOM = "http://www.w3.org/2005/Atom"
FEED_TITLE = "Repository videos"


def _when(value: Any) -> str | None:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat(timespec="seconds")


def feed_xml(entries: Sequence[tuple[str, dict[str, Any]]], base_url: str | None = None) -> bytes:
    """The feed for ``(page directory, meta.json)`` pairs, already newest first."""
    ET.register_namespace("", ATOM)
    base = base_url.rstrip("/") + "/" if base_url else None
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = FEED_TITLE
    ET.SubElement(feed, f"{{{ATOM}}}id").text = base or "urn:repo2video:site"
    dated = [(d, m, _when(m.get("rendered_at"))) for d, m in entries]
    dated = [e for e in dated if e[2]]
    newest = max((w for _, _, w in dated), default=datetime.now(UTC).isoformat(timespec="seconds"))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = newest
    if base:
        ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=base + FEED_NAME)
    ET.SubElement(
        feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=(base or "") + "index.html"
    )
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = "repo2video"
    for dirname, meta, when in dated:
        page = f"{urllib.parse.quote(dirname)}/index.html"
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = str(meta.get("title") or dirname)
        commit = "".join(ch for ch in str(meta.get("commit") or "") if ch.isalnum())[:40]
        ET.SubElement(entry, f"{{{ATOM}}}id").text = (
            f"{base}{urllib.parse.quote(dirname)}/#{commit}"
            if base
            else f"urn:repo2video:{dirname}:{commit}"
        )
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = when
        ET.SubElement(
            entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=(base or "") + page
        )
        summary = " · ".join(
            str(v)
            for v in (meta.get("repo"), meta.get("duration_s") and f"{meta['duration_s']} s")
            if v
        )
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary or str(
            meta.get("title") or dirname
        )
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def write_feed(
    site_dir: Path, entries: Sequence[tuple[str, dict[str, Any]]], base_url: str | None = None
) -> Path:
    path = Path(site_dir) / FEED_NAME
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".feed-", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(feed_xml(entries, base_url))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path
