"""The repository's own pictures: found from the README and the tree (badges, icons and
remote images left out), told by the template writer, and shown with a slow zoom."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from repo2video_dagster.lib.core.records import (
    RepoSnapshot,
    RepoSource,
    SceneFrames,
    TimedWord,
    VisualSpec,
)
from repo2video_dagster.lib.render import slides
from repo2video_dagster.lib.render.slides.picture import ZOOM_STEPS, load_picture
from repo2video_dagster.lib.render.video import build_segments, max_still_picture_s
from repo2video_dagster.lib.script.template.writer import TemplateWriter
from repo2video_dagster.lib.source.profile import build_profile
from repo2video_dagster.lib.source.profile.images import _local_path
from repo2video_dagster.lib.speech.subtitles import Cue

README = """# proj

A tool that turns CSV files into charts you can share with your team.

![build](https://img.shields.io/badge/build-passing-green.svg)
![coverage](docs/coverage-badge.png)
![Report page with two charts](docs/screen.png)
<img src="docs/icon.png" alt="tiny icon">
![remote](https://example.com/remote.png)
![demo](docs/demo.gif)

## Install

    pip install proj
"""


def _png(size: tuple[int, int], colour: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img = Image.new("RGB", size, colour)
    # a second colour band so a zoom visibly moves content
    img.paste((255, 255, 255), (0, size[1] // 2, size[0], size[1] // 2 + 20))
    img.save(buf, format=fmt)
    return buf.getvalue()


def _gif() -> bytes:
    frames = [Image.new("RGB", (400, 300), c) for c in ((200, 30, 30), (30, 200, 30))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return buf.getvalue()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("images") / "proj"
    files: dict[str, bytes] = {
        "README.md": README.encode(),
        "docs/screen.png": _png((900, 560), (20, 90, 200)),
        "docs/coverage-badge.png": _png((600, 300), (0, 0, 0)),
        "docs/icon.png": _png((32, 32), (250, 0, 0)),
        "docs/demo.gif": _gif(),
        "assets/architecture-diagram.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "proj/__init__.py": b"def main():\n    return 1\n",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _snapshot(root: Path) -> RepoSnapshot:
    source = RepoSource(target=str(root), kind="local", url=str(root), key="local__p", name="proj")
    return RepoSnapshot(source, str(root), "0" * 40, "main", "2024-01-01T00:00:00+00:00", 0, 0)


def test_profile_keeps_pictures_and_drops_badges_icons_and_remote(checkout: Path) -> None:
    profile = build_profile(_snapshot(checkout))
    paths = [i.path for i in profile.images]
    assert paths == ["docs/screen.png", "docs/demo.gif", "assets/architecture-diagram.svg"]
    assert profile.images[0].alt == "Report page with two charts"


def test_a_local_clone_finds_pictures_its_readme_gives_by_github_address(
    tmp_path: Path,
) -> None:
    """A local clone of a GitHub project (its README links pictures by raw GitHub address,
    as rich's does): the manifest's homepage names the repository, so those are files."""
    root = tmp_path / "clone"
    (root / "imgs").mkdir(parents=True)
    (root / "imgs" / "features.png").write_bytes(_png((900, 560), (20, 90, 200)))
    (root / "README.md").write_text(
        "# clone\n\nA library for pretty terminal output in Python programs.\n\n"
        "![Features](https://github.com/acme/clone/raw/master/imgs/features.png)\n"
        "![Other](https://github.com/someone/else/raw/master/imgs/features.png)\n",
        encoding="utf-8",
    )
    (root / "pyproject.toml").write_text(
        '[project]\nname = "clone"\nversion = "1"\n'
        'urls = {Homepage = "https://github.com/Acme/clone"}\n',
        encoding="utf-8",
    )
    (root / "clone").mkdir()
    (root / "clone" / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    source = RepoSource(target=str(root), kind="local", url=str(root), key="local__c", name="clone")
    snap = RepoSnapshot(source, str(root), "0" * 40, "main", "2024-01-01T00:00:00+00:00", 0, 0)
    profile = build_profile(snap)
    assert [(i.path, i.alt) for i in profile.images] == [("imgs/features.png", "Features")]


def test_github_addresses_of_the_same_repository_are_checkout_files() -> None:
    url = "https://raw.githubusercontent.com/acme/proj/main/docs/shot.png"
    assert _local_path(url, "", {"acme/proj"}) == "docs/shot.png"
    assert _local_path("https://github.com/acme/proj/blob/v1/a/b.png?raw=true", "", {"acme/proj"})
    assert _local_path(url, "", {"other/repo"}) is None
    assert _local_path("../outside.png", "", {"acme/proj"}) is None
    assert _local_path("img/x.png", "docs", {"acme/proj"}) == "docs/img/x.png"


def test_first_frame_of_a_gif_and_unusable_svg(checkout: Path) -> None:
    first = load_picture(checkout / "docs/demo.gif")
    assert first is not None and first.getpixel((10, 10)) == (200, 30, 30)
    assert load_picture(checkout / "docs/icon.png") is None, "icons are not pictures"


def test_picture_scene_is_told_and_shown_with_a_slow_zoom(checkout: Path, tmp_path: Path) -> None:
    profile = build_profile(_snapshot(checkout))
    script = TemplateWriter().write(profile)
    scene = next(s for s in script.scenes if s.id == "picture")
    assert scene.visual.kind == "image" and scene.visual.data["image"] == "docs/screen.png"
    assert "Report page with two charts" in scene.narration
    data = {**scene.visual.data, "image_file": str(checkout / "docs/screen.png")}
    img, steps = slides.render_slide_motion(
        VisualSpec("image", data), "reel", repo_name="proj", scene_index=2, scene_count=8
    )
    assert len(steps) == ZOOM_STEPS and {s["kind"] for s in steps} == {"zoom"}
    x0, y0, x1, y1 = steps[0]["box"]
    assert x1 - x0 > 800, "the picture is shown large"
    path = tmp_path / "picture.png"
    slides.save_png(img, str(path))
    frames = SceneFrames("picture", str(path), str(path), steps, steps)
    words = [
        TimedWord(w, 0.3 + 0.4 * i, 0.6 + 0.4 * i, "picture", True)
        for i, w in enumerate(["Here", "it", "is", "in", "a", "picture"])
    ]
    timeline = build_segments(
        "reel",
        [frames],
        [("picture", 0.0, 5.0)],
        [Cue(1, words[0].start, words[-1].end, words)],
        duration_s=5.0,
        fps=30,
    )
    early = timeline.rgb_frame(timeline.segment_at(0.1))
    late = timeline.rgb_frame(timeline.segment_at(4.9))
    blue = np.all(early[y0:y1, x0:x1] == (20, 90, 200), axis=2).mean()
    assert blue > 0.8, "the repository's picture is in the video"
    moved = np.any(early != late, axis=2)
    assert moved[y0:y1, x0:x1].any(), "the picture zooms"
    assert max_still_picture_s(timeline) < 0.5, "the zoom keeps the picture moving"
