"""Web addresses of a render's results, as the receiver serves them (``receiver/site.py``).

The Dagster UI shows ``MetadataValue.url`` entries as links and small markdown
inline, so results are one click away when each materialization carries their
addresses: the site page, the videos, the subtitles and the thumbnail. The
addresses start with a configured public base URL (``REPO2VIDEO_PUBLIC_URL``,
default the receiver of ``make dev``) and follow the two read-only routes:

- ``/site/<path>``: the static site (``site/index.html``, ``site/<key>/...``);
- ``/output/<key>/<path>``: one repository's outputs (videos, captions, thumbnail),
  there as soon as the stage that writes them has run, before the site page exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SITE_ROUTE = "/site"
OUTPUT_ROUTE = "/output"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8787"


@dataclass(frozen=True)
class PublicLinks:
    """Addresses under ``base`` (scheme, host, port and any path prefix, no trailing /)."""

    base: str
    output_root: Path
    """The data directory's ``output`` folder: files under it get ``/output/...`` links."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", self.base.strip().rstrip("/") or DEFAULT_PUBLIC_URL)

    def site_page(self, key: str, name: str = "index.html") -> str:
        """A file of repository ``key``'s site page (``site/<key>/<name>``)."""
        return f"{self.base}{SITE_ROUTE}/{_quoted(key)}/{_quoted(name)}"

    def site_index(self) -> str:
        return f"{self.base}{SITE_ROUTE}/index.html"

    def output_file(self, path: str | os.PathLike[str], *, version: bool = False) -> str:
        """The address of ``path``, a file under the output folder.

        ``version`` appends ``?v=<mtime>``, so a browser shows a re-rendered image, not
        the one it cached under the same address.
        """
        file = Path(path).resolve()
        relative = file.relative_to(self.output_root.resolve())
        url = f"{self.base}{OUTPUT_ROUTE}/{_quoted(relative.as_posix())}"
        if version:
            url += f"?v={file.stat().st_mtime_ns // 1_000_000}"
        return url


def _quoted(path: str) -> str:
    return "/".join(quote(part, safe="") for part in path.split("/"))


def image_markdown(image_url: str, link_url: str | None = None, alt: str = "thumbnail") -> str:
    """Markdown for an image, a link when ``link_url`` is given (the UI shows it inline)."""
    image = f"![{alt}]({image_url})"
    return f"[{image}]({link_url})" if link_url else image
