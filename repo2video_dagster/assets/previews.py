"""Results shown in the Dagster UI: a small copy of an image, shown in place, as a link.

The UI renders markdown metadata under 1,000 characters in place (longer markdown
only behind "[Show Markdown]"), and it shows an image at its own size: so a preview is
the address of a small JPEG next to the image, which the receiver serves
(``receiver/site.py``), not the image's data.
"""

import os
from pathlib import Path

from dagster import MetadataValue

from repo2video_dagster.lib.publish.links import PublicLinks, image_markdown


def image_link(
    links: PublicLinks,
    image: str | os.PathLike[str],
    *,
    width: int = 360,
    link_url: str | None = None,
    alt: str = "thumbnail",
) -> MetadataValue:
    """``image`` shown inline on the asset page, ``width`` pixels wide (a link when ``link_url``).

    The UI renders markdown metadata under 1,000 characters in place and longer
    markdown only behind "[Show Markdown]", and it shows an image at its own size: so
    the markdown holds the address of a small copy, which the receiver serves.
    """
    small = small_copy(Path(image), width)
    return MetadataValue.md(image_markdown(links.output_file(small, version=True), link_url, alt))


def small_copy(image: Path, width: int) -> Path:
    """A JPEG of ``image`` scaled to ``width`` pixels wide, next to it (written atomically)."""
    from PIL import Image

    small = image.with_name(f"{image.stem}.w{width}.jpg")
    with Image.open(image) as img:
        img = img.convert("RGB")
        img.thumbnail((width, width * 4))
        tmp = small.with_name(f"{small.stem}.tmp.jpg")
        img.save(tmp, format="JPEG", quality=85)
    tmp.replace(small)
    return small
