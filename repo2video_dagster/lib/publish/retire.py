"""Remove what a repository left on disk when it is retired.

Its outputs (videos, captions, post), its checkout, and its page on the static site;
the site index is rebuilt without it. Content-addressed caches are shared between
repositories and stay (they are only reused when the same content comes again).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from repo2video_dagster.lib.core.settings import DataLayout
from repo2video_dagster.lib.publish.blog import site_key, write_site_index


def retire_files(layout: DataLayout, key: str) -> list[Path]:
    """Delete the outputs, checkout and site page of partition ``key``; return what went."""
    if not key or "/" in key or "\\" in key or key.startswith("."):
        raise ValueError(f"invalid partition key {key!r}")
    removed: list[Path] = []
    page = layout.site / site_key(key)
    for folder in (layout.output(key), layout.workspace / key, page):
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
            removed.append(folder)
    if page in removed and layout.site.is_dir():
        write_site_index(layout.site)
    return removed
