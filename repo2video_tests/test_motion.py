"""Motion synced to the narration: slide items appear (or light up) when they are spoken,
with short fades, and the longest still stretch is measured from the timeline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from repo2video_dagster.lib.core.records import SceneFrames, TimedWord, VisualSpec
from repo2video_dagster.lib.render import slides
from repo2video_dagster.lib.render.slides.canvas import render_background
from repo2video_dagster.lib.render.theme import hex_to_rgb
from repo2video_dagster.lib.render.video import (
    build_segments,
    chunk_key,
    max_static_s,
    max_still_picture_s,
    rgb_to_yuv420,
    scene_chunks,
    step_times,
)
from repo2video_dagster.lib.speech.subtitles import Cue

FPS = 30
ACCENT = "#34d399"
REPO = "acme/csv-wrangler"
BULLETS = ["Join files on any column", "Streaming for big files", "Plain CSV in and out"]
# scene "what" from 0 to 6 s; "streaming" is said at 2.6 s, "plain" at 4.1 s, "join" at 1.1 s
SPOKEN = [
    ("It", 0.5),
    ("can", 0.8),
    ("join", 1.1),
    ("files.", 1.4),
    ("It", 2.0),
    ("is", 2.3),
    ("streaming,", 2.6),
    ("too.", 3.0),
    ("And", 3.8),
    ("plain", 4.1),
    ("CSV.", 4.4),
]
DURATION = 6.0


def _words() -> list[TimedWord]:
    return [TimedWord(text, t, t + 0.25, "what", True) for text, t in SPOKEN]


def _cues(words: list[TimedWord]) -> list[Cue]:
    groups = [words[i : i + 4] for i in range(0, len(words), 4)]
    return [Cue(n + 1, g[0].start, g[-1].end, g) for n, g in enumerate(groups)]


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> SceneFrames:
    root = tmp_path_factory.mktemp("motion")
    spec = VisualSpec("overview", {"heading": "What it does", "bullets": BULLETS})
    paths, steps = {}, {}
    for fmt in ("reel", "landscape"):
        img, steps[fmt] = slides.render_slide_motion(
            spec, fmt, repo_name=REPO, scene_index=1, scene_count=3, accent=ACCENT
        )
        paths[fmt] = root / f"what-{fmt}.png"
        slides.save_png(img, str(paths[fmt]))
    return SceneFrames(
        "what", str(paths["reel"]), str(paths["landscape"]), steps["reel"], steps["landscape"]
    )


def _timeline(scene: SceneFrames, fmt: str = "reel"):
    words = _words()
    return build_segments(
        fmt, [scene], [("what", 0.0, DURATION)], _cues(words), duration_s=DURATION, fps=FPS
    )


def test_every_bullet_is_a_reveal_step_with_its_words(scene: SceneFrames) -> None:
    for steps in (scene.reel_steps, scene.landscape_steps):
        assert [s["kind"] for s in steps] == ["reveal"] * 3
        assert "join" in steps[0]["keywords"] and "streaming" in steps[1]["keywords"]
        tops = [s["box"][1] for s in steps]
        assert tops == sorted(tops), "cards are revealed top to bottom"


def test_step_times_follow_the_spoken_words(scene: SceneFrames) -> None:
    times = step_times(scene.reel_steps, _words(), 0.25, DURATION)
    assert times == pytest.approx([1.1, 2.6, 4.1])
    unnamed = [{"kind": "reveal", "box": [0, 0, 1, 1], "keywords": ["nowhere"]}] * 2
    spread = step_times(unnamed, _words(), 0.0, DURATION)
    assert 0.0 < spread[0] < spread[1] <= _words()[-1].end, spread
    assert spread[1] - spread[0] >= 0.35


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
def test_bullets_appear_when_spoken(scene: SceneFrames, fmt: str) -> None:
    timeline = _timeline(scene, fmt)
    steps = getattr(scene, f"{fmt}_steps")
    complete = np.asarray(timeline.renderer._images[0])
    background = np.asarray(render_background(complete.shape[1::-1], hex_to_rgb(ACCENT)))

    def region(t: float, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x0, y0, x1, y1 = steps[step]["box"]
        frame = timeline.rgb_frame(timeline.segment_at(t))
        return (
            frame[y0:y1, x0:x1],
            complete[y0:y1, x0:x1],
            background[y0:y1, x0:x1],
        )

    shown, full, empty = region(1.0, 0)  # just before "join"
    assert np.array_equal(shown, empty), "the first card is hidden until it is named"
    shown, full, empty = region(1.6, 0)  # after the fade
    assert np.array_equal(shown, full)
    shown, full, empty = region(2.4, 1)
    assert np.array_equal(shown, empty)
    shown, full, _ = region(5.0, 2)
    assert np.array_equal(shown, full)
    # a fade: the frames just after "streaming" are between the two pictures
    fade = timeline.segment_at(2.6 + 0.5 / FPS)
    assert fade.state.blend_from == 0 and fade.state.fade > 0 and fade.frames == 1


def test_static_stretch_is_measured_and_motion_shortens_it(scene: SceneFrames) -> None:
    moving = _timeline(scene)
    still = _timeline(replace(scene, reel_steps=[]))
    assert 0 < max_static_s(moving) <= 4.0
    # the picture alone (captions ignored) stands still far less with motion
    assert max_still_picture_s(still) == pytest.approx(DURATION, abs=0.05)
    assert max_still_picture_s(moving) < 2.0
    assert len(moving.segments) > len(still.segments)


def test_spotlight_tints_only_its_box(tmp_path: Path) -> None:
    spec = VisualSpec(
        "code",
        {
            "heading": "Inside",
            "code": "import csv\n\ndef join_rows(a, b):\n    return a + b\n",
            "language": "python",
            "source": "join.py",
        },
    )
    img, steps = slides.render_slide_motion(
        spec, "reel", repo_name=REPO, scene_index=0, scene_count=2, accent=ACCENT
    )
    assert {s["kind"] for s in steps} == {"spot"} and len(steps) == 3
    named = next(i for i, s in enumerate(steps) if "join" in s["keywords"])
    path = tmp_path / "code.png"
    slides.save_png(img, str(path))
    frames = SceneFrames("code", str(path), str(path), steps, steps)
    words = [TimedWord("It", 0.4, 0.6, "code", True), TimedWord("joins", 1.0, 1.3, "code", True)]
    words.append(TimedWord("join", 1.5, 1.8, "code", True))
    timeline = build_segments(
        "reel", [frames], [("code", 0.0, 3.0)], _cues(words), duration_s=3.0, fps=FPS
    )
    before = timeline.rgb_frame(timeline.segment_at(0.1))
    spoken = timeline.segment_at(1.72)
    assert spoken.state.stage == named + 1, "the line lights up when its name is said"
    after = timeline.rgb_frame(spoken)
    x0, y0, x1, y1 = steps[named]["box"]
    changed = np.any(before != after, axis=2)
    assert changed[y0:y1, x0:x1].mean() > 0.9
    outside = changed.copy()
    outside[y0:y1, x0:x1] = False
    cap = timeline.renderer.region
    outside[cap.y : cap.bottom, cap.x : cap.right] = False  # the karaoke caption moves too
    assert not outside.any()


def test_chunk_key_depends_on_the_motion(scene: SceneFrames) -> None:
    timeline = _timeline(scene)
    moved = [dict(s, box=[s["box"][0], s["box"][1] + 4, *s["box"][2:]]) for s in scene.reel_steps]
    other = _timeline(replace(scene, reel_steps=moved))
    key = chunk_key(scene_chunks(timeline)[0], ["slide"], "ultrafast", 23)
    assert key == chunk_key(scene_chunks(_timeline(scene))[0], ["slide"], "ultrafast", 23)
    assert key != chunk_key(scene_chunks(other)[0], ["slide"], "ultrafast", 23)


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
def test_stage_frames_convert_only_what_changed_but_equal_whole_conversion(
    scene: SceneFrames, fmt: str
) -> None:
    renderer = _timeline(scene, fmt).renderer
    steps = getattr(scene, f"{fmt}_steps")
    for stage in range(len(steps) + 1):
        whole = rgb_to_yuv420(renderer.picture(0, stage))
        assert np.array_equal(renderer.background_yuv(0, stage), whole), stage


def test_wrapped_card_lines_appear_as_they_are_read(tmp_path: Path) -> None:
    long = "Small shops pay monthly fees for hosted platforms they barely use every month"
    spec = VisualSpec("overview", {"heading": "The problem", "bullets": [long, "Short one"]})
    img, steps = slides.render_slide_motion(
        spec, "reel", repo_name=REPO, scene_index=1, scene_count=3, accent=ACCENT
    )
    lines = [s for s in steps if "fill" in s]
    assert lines and steps[0].get("fill") is None, "the card first, then its later lines"
    path = tmp_path / "problem.png"
    slides.save_png(img, str(path))
    frames = SceneFrames("problem", str(path), str(path), steps, steps)
    renderer = build_segments(
        "reel", [frames], [("problem", 0.0, 3.0)], [], duration_s=3.0, fps=FPS
    ).renderer
    card_only = np.asarray(renderer.picture(0, 1))
    x0, y0, x1, y1 = lines[0]["box"]
    assert (card_only[y0:y1, x0:x1] == lines[0]["fill"]).all(), "a later line waits in the card"
    cx0, cy0, cx1, cy1 = steps[0]["box"]
    hidden = np.asarray(renderer.picture(0, 0))
    assert not (hidden[cy0:cy1, cx0:cx1] == lines[0]["fill"]).all(axis=2).any(), "no card ghost"
    line_shown = np.asarray(renderer.picture(0, 2))
    assert np.array_equal(line_shown[y0:y1, x0:x1], np.asarray(img)[y0:y1, x0:x1])
    for stage in range(len(steps) + 1):
        whole = rgb_to_yuv420(renderer.picture(0, stage))
        assert np.array_equal(renderer.background_yuv(0, stage), whole), stage


def test_a_long_tail_gets_one_more_change(scene: SceneFrames) -> None:
    words = _words()  # the last word ends at 4.65 s; the scene runs to 12 s
    timeline = build_segments(
        "reel", [scene], [("what", 0.0, 12.0)], _cues(words), duration_s=12.0, fps=FPS
    )
    assert max_still_picture_s(timeline) <= 4.0
    last = timeline.segment_at(11.9).state
    tail = timeline.renderer.steps[0][len(scene.reel_steps) :]
    assert tail and {s["kind"] for s in tail} == {"spot"}
    assert last.stage == len(scene.reel_steps) + len(tail), "the tail steps happened"
    assert tail[0]["box"] == scene.reel_steps[-1]["box"], "the last item lights up first"
    assert len(scene.reel_steps) == 3, "the slide's own steps are not changed"


def test_blending_only_the_rows_that_differ_equals_blending_everything() -> None:
    """A step's fade changes one card: ``blend_frames`` computes only the differing rows
    of each I420 plane, and must give the bytes of the whole-frame blend."""
    from repo2video_dagster.lib.render.video.yuv import blend_frames

    def everything(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
        w = round(alpha * 256)
        acc = np.multiply(a, 256 - w, dtype=np.uint16) + np.multiply(b, w, dtype=np.uint16)
        return ((acc + 128) >> 8).astype(np.uint8)

    rng = np.random.default_rng(7)
    a = rng.integers(0, 256, (1920 * 3 // 2, 1080), dtype=np.uint8)
    card = a.copy()
    card[500:700, 100:900] = 40  # luma rows of a card
    card[1920 + 130 : 1920 + 170] = 90  # and rows of the U and V planes
    card[2400:2410, :540] = 200
    other = rng.integers(0, 256, a.shape, dtype=np.uint8)
    for b in (card, other, a):
        for alpha in (1 / 6, 0.5, 5 / 6):
            assert np.array_equal(blend_frames(a, b, alpha), everything(a, b, alpha))
