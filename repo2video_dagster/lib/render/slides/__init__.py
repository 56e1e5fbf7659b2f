"""Slide images (one per scene and format) and the thumbnail, drawn with Pillow.

Every layout is filled from the repository's own content (names, README text,
real commands and code), so the renderer's job is to make arbitrary text fit:
names wrap at ``/ _ - .`` and camelCase, paragraphs shrink then end in "…",
code and trees pick the largest monospace size that fits. All text stays inside
:attr:`Layout.safe` and out of the caption band, which the compositor fills.

The package: :mod:`.scene` picks the layout for a scene's kind and draws it on the
:mod:`.canvas` (background, chrome strip); the layouts come in families,
:mod:`.title`, :mod:`.prose` (overview, outro), :mod:`.monospace` (command, code,
tree) and :mod:`.charts` (languages, stats), built on the text fitting of
:mod:`.text`; :mod:`.thumbnail` draws the cover image.
"""

from repo2video_dagster.lib.render.slides.canvas import render_background
from repo2video_dagster.lib.render.slides.monospace import highlight_lines
from repo2video_dagster.lib.render.slides.scene import render_slide, render_slide_motion, save_png
from repo2video_dagster.lib.render.slides.thumbnail import render_thumbnail
from repo2video_dagster.lib.render.slides.title import fit_name, name_tokens

__all__ = [
    "fit_name",
    "highlight_lines",
    "name_tokens",
    "render_background",
    "render_slide",
    "render_slide_motion",
    "render_thumbnail",
    "save_png",
]
