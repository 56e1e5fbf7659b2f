"""The storyboard: every scene's still in both formats on one sheet, labelled, in order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from repo2video_dagster.lib.core.records import SceneFrames, VisualSpec
from repo2video_dagster.lib.render import slides
from repo2video_dagster.lib.render.storyboard import (
    GAP,
    LABEL_H,
    LANDSCAPE_STILL,
    REEL_STILL,
    contact_sheet,
    still,
)

SPECS = [
    ("hook", VisualSpec("title", {"title": "mdtoc", "subtitle": "Tables of contents"})),
    ("what", VisualSpec("overview", {"heading": "What", "bullets": ["Reads headings"]})),
    ("outro", VisualSpec("outro", {"heading": "Try it", "lines": ["pip install mdtoc"]})),
]


def test_contact_sheet_has_each_scene_in_both_formats(tmp_path: Path) -> None:
    frames = []
    for i, (sid, spec) in enumerate(SPECS):
        paths = {}
        for fmt in ("reel", "landscape"):
            img = slides.render_slide(
                spec, fmt, repo_name="acme/mdtoc", scene_index=i, scene_count=len(SPECS)
            )
            paths[fmt] = tmp_path / f"{sid}-{fmt}.png"
            slides.save_png(img, str(paths[fmt]))
        frames.append(SceneFrames(sid, str(paths["reel"]), str(paths["landscape"])))
    out = contact_sheet(frames, ["Intro", "What", "Try it"], tmp_path / "sb.png", title="mdtoc")
    sheet = np.asarray(Image.open(out).convert("RGB"), dtype=np.int16)
    head = 56
    assert sheet.shape[1] == len(SPECS) * REEL_STILL[0] + (len(SPECS) + 1) * GAP
    for i, frame in enumerate(frames):
        x = GAP + i * (REEL_STILL[0] + GAP)
        cell = sheet[head : head + REEL_STILL[1], x : x + REEL_STILL[0]]
        with Image.open(frame.reel_path) as img:
            want = np.asarray(img.convert("RGB").resize(REEL_STILL), dtype=np.int16)
        assert np.abs(cell - want).mean() < 3, f"reel still {i} is scene {frame.scene_id}"
    top = head + REEL_STILL[1] + LABEL_H + GAP
    per_row = (sheet.shape[1] - GAP) // (LANDSCAPE_STILL[0] + GAP)
    for i, frame in enumerate(frames):
        row, col = divmod(i, per_row)
        x = GAP + col * (LANDSCAPE_STILL[0] + GAP)
        y = top + row * (LANDSCAPE_STILL[1] + LABEL_H + GAP)
        cell = sheet[y : y + LANDSCAPE_STILL[1], x : x + LANDSCAPE_STILL[0]]
        with Image.open(frame.landscape_path) as img:
            want = np.asarray(img.convert("RGB").resize(LANDSCAPE_STILL), dtype=np.int16)
        assert np.abs(cell - want).mean() < 3, f"landscape still {i}"
    # a label under each still: text pixels in the label strip
    label = sheet[head + REEL_STILL[1] + 4 : head + REEL_STILL[1] + LABEL_H, GAP : GAP + 120]
    assert (label.max(axis=2) > 100).any()


def test_stills_made_while_drawing_give_the_same_sheet(tmp_path: Path) -> None:
    """The visuals asset hands over stills made from the slides it just drew; the sheet
    must be the one made by reading the slide files back (PNG is lossless)."""
    frames, made = [], {}
    for i, (sid, spec) in enumerate(SPECS):
        paths = {}
        for fmt in ("reel", "landscape"):
            img = slides.render_slide(
                spec, fmt, repo_name="acme/mdtoc", scene_index=i, scene_count=len(SPECS)
            )
            paths[fmt] = str(tmp_path / f"{sid}-{fmt}.png")
            slides.save_png(img, paths[fmt])
            if i != 1:  # one scene "reused": its stills come from the files
                made[paths[fmt]] = still(img, fmt)
        frames.append(SceneFrames(sid, paths["reel"], paths["landscape"]))
    titles = ["Intro", "What", "Try it"]
    read = contact_sheet(frames, titles, tmp_path / "read.png", title="mdtoc")
    handed = contact_sheet(frames, titles, tmp_path / "handed.png", title="mdtoc", stills=made)
    with Image.open(read) as a, Image.open(handed) as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))
