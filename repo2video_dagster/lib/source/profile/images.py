"""The repository's own pictures: logos, screenshots and diagrams worth showing in the video.

Only files in the checkout count (nothing is downloaded): images the README
references (relative paths, or GitHub raw/blob addresses of this very repository),
then images kept in the repository whose names say what they are (screenshot,
demo, logo, diagram, architecture). Badges and tiny icons are not pictures of the
project: badge-like names and hosts, and rasters under :data:`MIN_SIDE` pixels on a
side (read from the header), are dropped. SVGs are rasterised when the slide is drawn
(``lib/render/slides/picture.py``, with ``rsvg-convert``); without that tool they are
skipped here, with a note, so the script never announces a picture it cannot show.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from collections.abc import Collection

from repo2video_dagster.lib.source.profile.files import CheckoutScan

__all__ = ["IMAGE_SUFFIXES", "MAX_IMAGES", "MAX_IMAGE_BYTES", "github_name", "repo_images"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
MAX_IMAGES = 3
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MIN_SIDE = 200

_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"'][^>]*>", re.I)
_HTML_ALT = re.compile(r"\balt\s*=\s*[\"']([^\"']*)[\"']", re.I)
_BADGE = re.compile(
    r"badge|shields?\.io|badgen|travis-ci|codecov|coveralls|circleci|/workflows/|"
    r"actions/workflow|sponsor|donate|buymeacoffee|ko-fi|discord|twitter|star-history",
    re.I,
)
_GITHUB_FILE = re.compile(
    r"^https?://(?:github\.com/([^/]+)/([^/]+)/(?:raw|blob)/[^/]+/|"
    r"raw\.githubusercontent\.com/([^/]+)/([^/]+)/[^/]+/)(.+?)(?:\?.*)?$",
    re.I,
)
_NAMED = re.compile(r"screen|demo|preview|logo|diagram|architecture|overview|example", re.I)


def _raster_size(path: str) -> tuple[int, int] | None:
    """Width and height from the file's header (Pillow reads no pixels for this)."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _readme_refs(readme_text: str) -> list[tuple[str, str]]:
    """``(target, alt)`` of every image in the README, in order."""
    refs: list[tuple[int, str, str]] = []
    for m in _MD_IMAGE.finditer(readme_text):
        refs.append((m.start(), m.group(2), m.group(1)))
    for m in _HTML_IMAGE.finditer(readme_text):
        alt = _HTML_ALT.search(m.group(0))
        refs.append((m.start(), m.group(1), alt.group(1) if alt else ""))
    return [(target, alt) for _, target, alt in sorted(refs)]


def github_name(url: str | None) -> str | None:
    """``owner/name`` of a ``https://github.com/owner/name`` address (a manifest's
    homepage or repository link), else None."""
    m = re.match(r"^https?://(?:www\.)?github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", url or "")
    return f"{m.group(1)}/{m.group(2)}" if m else None


def _local_path(target: str, readme_dir: str, own: Collection[str]) -> str | None:
    """The checkout path an image reference points at, or None (remote, or outside).

    ``own``: this repository's GitHub names (``owner/name``), whose raw/blob addresses
    are files of this checkout."""
    target = target.strip()
    if m := _GITHUB_FILE.match(target):
        owner, name = m.group(1) or m.group(3), m.group(2) or m.group(4)
        if f"{owner}/{name}".lower() not in {n.lower() for n in own}:
            return None
        target = "/" + m.group(5)
    elif re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
        return None
    target = target.split("#")[0].split("?")[0]
    if target.startswith("/"):
        path = posixpath.normpath(target.lstrip("/"))
    else:
        path = posixpath.normpath(posixpath.join(readme_dir, target))
    if path.startswith("../") or path in ("..", "."):
        return None
    return path


def repo_images(
    scan: CheckoutScan,
    readme_rel: str | None,
    readme_text: str | None,
    own: Collection[str],
    notes: list[str],
) -> list[tuple[str, str]]:
    """Up to :data:`MAX_IMAGES` ``(path, alt)`` pictures of the project, README ones first.

    ``own``: the repository's GitHub names (its own, and the one its manifest links to:
    a local clone of a GitHub project references its pictures by GitHub address)."""
    files = {f.rel: f for f in scan.files if not f.link and not f.skipped_dir}
    chosen: list[tuple[str, str]] = []

    def consider(path: str, alt: str, why: str) -> None:
        if len(chosen) >= MAX_IMAGES or any(path == p for p, _ in chosen):
            return
        f = files.get(path)
        if f is None or not path.lower().endswith(IMAGE_SUFFIXES):
            return
        if _BADGE.search(path) or _BADGE.search(alt):
            return
        if f.size > MAX_IMAGE_BYTES:
            notes.append(f"image {path} skipped: larger than {MAX_IMAGE_BYTES // 2**20} MB")
            return
        if "icon" in posixpath.basename(path).lower() and why == "repo":
            return
        if path.lower().endswith(".svg") and shutil.which("rsvg-convert") is None:
            notes.append(f"image {path} skipped: SVG pictures need rsvg-convert (librsvg2-bin)")
            return
        if not path.lower().endswith(".svg"):
            size = _raster_size(os.path.join(scan.root, path))
            if size is None:
                notes.append(f"image {path} skipped: not a readable picture")
                return
            if min(size) < MIN_SIDE:
                return  # an icon or a badge, not a picture of the project
        chosen.append((path, alt.strip()))

    if readme_text:
        readme_dir = posixpath.dirname(readme_rel or "")
        for target, alt in _readme_refs(readme_text):
            if _BADGE.search(target) or _BADGE.search(alt):
                continue
            path = _local_path(target, readme_dir, own)
            if path:
                consider(path, alt, "readme")
    named = sorted(
        (rel for rel in files if rel.lower().endswith(IMAGE_SUFFIXES) and _NAMED.search(rel)),
        key=lambda rel: (rel.count("/"), rel),
    )
    for rel in named:
        if not re.search(r"(^|/)(tests?|fixtures?|vendor|node_modules)/", rel):
            consider(rel, "", "repo")
    return chosen
