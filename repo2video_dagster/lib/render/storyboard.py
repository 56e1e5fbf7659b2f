"""The storyboard: one still per scene in both formats on one sheet, made before the encode.

A user checks the video's content (order, slides, what each scene shows) on the
asset page of ``visuals`` before paying for the encode. The stills are the complete
slides (every motion step shown), so the sheet shows what each scene ends on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from repo2video_dagster.lib.core.records import SceneFrames
from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.theme import BG_BOTTOM, MUTED, TEXT

__all__ = ["contact_sheet", "still"]

REEL_STILL = (180, 320)
LANDSCAPE_STILL = (320, 180)
GAP = 16
LABEL_H = 34
MAX_PER_ROW = 9


def still(img: Image.Image, fmt: str) -> Image.Image:
    """The sheet's still of a slide of ``fmt`` (``reel`` or ``landscape``).

    The ``visuals`` asset makes it right after drawing the slide, so a cold render's
    sheet does not decode every slide PNG again (18 decodes, about 0.6 s of CPU)."""
    size = REEL_STILL if fmt == "reel" else LANDSCAPE_STILL
    factor = max(1, min(img.width // size[0], img.height // size[1]))
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    small = rgb.reduce(factor) if factor > 1 else rgb
    return small.resize(size, Image.Resampling.BILINEAR)


def _still(path: str, fmt: str, stills: Mapping[str, Image.Image]) -> Image.Image:
    made = stills.get(path)
    if made is not None:
        return made
    with Image.open(path) as img:
        img.load()
        return still(img, fmt)


def contact_sheet(
    scenes: Sequence[SceneFrames],
    titles: Sequence[str],
    out_path: Path,
    *,
    title: str = "",
    stills: Mapping[str, Image.Image] | None = None,
) -> Path:
    """Write the sheet (PNG): a row of reel stills, then the landscape stills, each labelled
    with its number and chapter title. ``stills`` maps slide paths to stills already made
    (:func:`still`); other slides are read from their files. Returns ``out_path``."""
    made = stills or {}
    n = len(scenes)
    per_row = max(1, min(n, MAX_PER_ROW))
    reel_w = per_row * REEL_STILL[0] + (per_row + 1) * GAP
    land_per_row = max(1, min(n, (reel_w - GAP) // (LANDSCAPE_STILL[0] + GAP)))
    width = max(reel_w, land_per_row * LANDSCAPE_STILL[0] + (land_per_row + 1) * GAP)
    reel_rows = -(-n // per_row)
    land_rows = -(-n // land_per_row)
    head = 56 if title else GAP
    height = (
        head
        + reel_rows * (REEL_STILL[1] + LABEL_H + GAP)
        + land_rows * (LANDSCAPE_STILL[1] + LABEL_H + GAP)
        + GAP
    )
    sheet = Image.new("RGB", (width, height), BG_BOTTOM)
    draw = ImageDraw.Draw(sheet)
    if title:
        fonts.draw_text(
            draw, (GAP, 12), fonts.ellipsize(title, "bold", 28, width), "bold", 28, TEXT
        )

    def place(i: int, frame: SceneFrames, fmt: str, top: int, cols: int, size: tuple[int, int]):
        row, col = divmod(i, cols)
        x = GAP + col * (size[0] + GAP)
        y = top + row * (size[1] + LABEL_H + GAP)
        sheet.paste(_still(getattr(frame, f"{fmt}_path"), fmt, made), (x, y))
        label = f"{i + 1}. {titles[i] if i < len(titles) else frame.scene_id}"
        label = fonts.ellipsize(label, "sans", 18, size[0])
        fonts.draw_text(draw, (x, y + size[1] + 6), label, "sans", 18, MUTED)

    for i, frame in enumerate(scenes):
        place(i, frame, "reel", head, per_row, REEL_STILL)
    land_top = head + reel_rows * (REEL_STILL[1] + LABEL_H + GAP)
    for i, frame in enumerate(scenes):
        place(i, frame, "landscape", land_top, land_per_row, LANDSCAPE_STILL)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".tmp.png")
    sheet.save(tmp, format="PNG", compress_level=1)
    tmp.replace(out_path)
    return out_path
