"""Timeline building and real encodes (moviepy and bare ffmpeg) of short videos."""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from repo2video_dagster.lib.core.errors import (
    EngineCrashError,
    EngineError,
    OutputError,
    is_transient,
)
from repo2video_dagster.lib.core.records import SceneFrames, TimedWord, VisualSpec
from repo2video_dagster.lib.render import media, slides
from repo2video_dagster.lib.render.caption_bands import caption_box
from repo2video_dagster.lib.render.theme import layout
from repo2video_dagster.lib.render.video import (
    AUDIO_RATE,
    EncodeStats,
    Timeline,
    accent_from_slide,
    build_segments,
    clip_durations,
    encode_frames,
    encode_stats,
    moviepy_frames,
    prepare_output_dir,
    render_video,
    rgb_to_yuv420,
    yuv420_to_rgb,
    yuv_planes,
)
from repo2video_dagster.lib.speech.subtitles import Cue
from repo2video_devtools.bench.encode_baseline import render_frames_ffmpeg_baseline, timeline_frames
from repo2video_devtools.reliability.engine_faults import ffmpeg_killed_once

FPS = 30
DURATION = 4.0
REPO = "octo-org/hello-world"
ACCENT = "#fbbf24"
TEXT = [
    "Hello",
    "world",
    "is",
    "a",
    "tiny",
    "program",
    "that",
    "prints",
    "a",
    "greeting",
    "and",
    "exits",
    "with",
    "status",
    "zero",
]


def _write_tone(path: Path, seconds: float, sr: int = 22050) -> Path:
    t = np.arange(round(seconds * sr)) / sr
    pcm = (0.25 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return path


@dataclass
class Project:
    root: Path
    wav: Path
    frames: list[SceneFrames]
    spans: list[tuple[str, float, float]]
    words: list[TimedWord]
    cues: list[Cue]


def _words(duration: float) -> list[TimedWord]:
    """A word every 0.3 s starting at 0.1 s; scene ``hook`` then ``what`` at half time."""
    words, t, i = [], 0.1, 0
    while t + 0.3 <= duration:
        scene = "hook" if t < duration / 2 else "what"
        words.append(TimedWord(TEXT[i % len(TEXT)], t, t + 0.25, scene, True))
        t, i = t + 0.3, i + 1
    return words


def _cues(words: list[TimedWord]) -> list[Cue]:
    groups = [words[i : i + 4] for i in range(0, len(words), 4)]
    return [Cue(n + 1, g[0].start, g[-1].end, g) for n, g in enumerate(groups)]


def scene_slides(root: Path, scene_id: str, spec: VisualSpec, index: int) -> SceneFrames:
    """A real slide in both formats for scene ``index`` of two, as PNG files in ``root``."""
    paths = {}
    for fmt in ("reel", "landscape"):
        img = slides.render_slide(
            spec, fmt, repo_name=REPO, scene_index=index, scene_count=2, accent=ACCENT
        )
        paths[fmt] = root / f"{scene_id}-{fmt}.png"
        slides.save_png(img, str(paths[fmt]))
    return SceneFrames(scene_id, str(paths["reel"]), str(paths["landscape"]))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("compose")
    specs = [
        ("hook", VisualSpec("title", {"title": REPO, "subtitle": "Says hello", "badges": ["C"]})),
        ("what", VisualSpec("overview", {"heading": "What", "bullets": ["Prints", "Exits"]})),
    ]
    frames = [scene_slides(root, sid, spec, i) for i, (sid, spec) in enumerate(specs)]
    words = _words(DURATION)
    return Project(
        root=root,
        wav=_write_tone(root / "narration.wav", DURATION),
        frames=frames,
        spans=[("hook", 0.0, DURATION / 2), ("what", DURATION / 2, DURATION)],
        words=words,
        cues=_cues(words),
    )


def timeline_of(p: Project, fmt: str, duration: float = DURATION) -> Timeline:
    return build_segments(
        fmt, p.frames, p.spans, p.cues, duration_s=duration, fps=FPS, accent=ACCENT
    )


def word_time(p: Project, k: int) -> float:
    """A time well inside word ``k`` (and before the next one starts)."""
    return p.words[k].start + 0.15


def _word_time_of(words: list[TimedWord], k: int) -> float:
    return words[k].start + 0.15


def _cue_position(p: Project, k: int) -> tuple[int, int]:
    for ci, cue in enumerate(p.cues):
        for wi, w in enumerate(cue.words):
            if w is p.words[k]:
                return ci, wi
    raise AssertionError("word not in any cue")


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
def test_segments_are_whole_frames_and_follow_the_words(project: Project, fmt: str) -> None:
    tl = timeline_of(project, fmt)
    assert tl.total_frames == 120 and (tl.width, tl.height) == layout(fmt).size
    assert sum(s.frames for s in tl.segments) == tl.total_frames
    position = 0
    for seg in tl.segments:
        assert seg.start_frame == position and seg.frames >= 1
        position += seg.frames
    blended = [s for s in tl.segments if s.state.blend_step > 0]
    assert len(blended) == tl.transition_frames == round(0.25 * FPS)
    assert all(s.frames == 1 and s.state.blend_from == 0 for s in blended)
    assert blended[0].start_frame == round(DURATION / 2 * FPS)
    assert tl.segment_at(1.0).state.scene == 0 and tl.segment_at(3.0).state.scene == 1
    for k in (1, 2, 5, 9):
        state = tl.segment_at(word_time(project, k)).state
        assert (state.cue, state.active) == _cue_position(project, k)
    # between words of a cue the last spoken word stays highlighted
    gap = project.words[2].end + 0.02
    assert tl.segment_at(gap).state.active == _cue_position(project, 2)[1]
    # before the first word there is no caption
    assert tl.segment_at(0.0).state.cue is None


def test_frame_count_rounds_to_the_nearest_frame(project: Project) -> None:
    assert timeline_of(project, "landscape", 4.01).total_frames == 120
    assert timeline_of(project, "landscape", 4.02).total_frames == 121


def test_moviepy_clip_durations_select_exact_frames(project: Project) -> None:
    """Replays moviepy's chain lookup (max i with start_i <= t) over every frame time."""
    tl = timeline_of(project, "reel")
    durations = clip_durations(tl)
    starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    assert int(sum(durations) * FPS) == tl.total_frames
    for seg_index, seg in enumerate(tl.segments):
        for k in range(seg.start_frame, seg.start_frame + seg.frames):
            t = k / FPS
            chosen = max(i for i, s in enumerate(starts) if s <= t)
            assert chosen == seg_index, f"frame {k}"


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
def test_caption_is_composited_only_inside_its_box(project: Project, fmt: str) -> None:
    tl = timeline_of(project, fmt)
    seg = tl.segment_at(word_time(project, 1))
    frame = tl.rgb_frame(seg)
    bg = np.asarray(Image.open(getattr(project.frames[0], f"{fmt}_path")).convert("RGB"))
    diff = np.any(frame != bg, axis=2)
    box = caption_box(fmt)
    assert diff[box.y : box.bottom, box.x : box.right].sum() > 1000
    diff[box.y : box.bottom, box.x : box.right] = False
    assert not diff.any()

    # the encoder's frame: only the (even-aligned) band region differs from the slide's
    yuv = yuv_planes(tl.frame(seg), tl.width, tl.height)
    plain = yuv_planes(tl.renderer.background_yuv(0), tl.width, tl.height)
    r = tl.renderer.region
    assert r.x % 2 == r.y % 2 == r.w % 2 == r.h % 2 == 0 and r.contains(box)
    for k, (got, want) in enumerate(zip(yuv, plain, strict=True)):
        s = 1 if k == 0 else 2
        changed = got != want
        assert changed[r.y // s : r.bottom // s, r.x // s : r.right // s].sum() > 1000 // s**2
        changed[r.y // s : r.bottom // s, r.x // s : r.right // s] = False
        assert not changed.any()


def test_rgb_to_yuv420_is_bt709_limited_range() -> None:
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    frame = rgb_to_yuv420(Image.fromarray(rgb))
    assert frame.shape == (72, 64) and frame.dtype == np.uint8
    y, u, v = (p.astype(float) for p in yuv_planes(frame, 64, 48))
    r, g, b = (rgb[:, :, i].astype(float) for i in range(3))
    luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
    want_y = 16 + 219 / 255 * luma
    want_u = 128 + 224 / 255 * (b - luma) / 1.8556
    want_v = 128 + 224 / 255 * (r - luma) / 1.5748
    assert np.abs(y - want_y).max() <= 0.51
    for got, want in ((u, want_u), (v, want_v)):  # 2x2 box-averaged chroma
        want = want.reshape(24, 2, 32, 2).mean(axis=(1, 3))
        assert np.abs(got - want).max() <= 1.0
    assert y.min() >= 16 and y.max() <= 235
    # and back: flat colours survive the round trip
    for colour in [(0, 0, 0), (255, 255, 255), (251, 191, 36), (255, 0, 0), (30, 41, 59)]:
        flat = Image.new("RGB", (8, 6), colour)
        back = yuv420_to_rgb(rgb_to_yuv420(flat), 8, 6)
        assert np.abs(back.astype(int) - colour).max() <= 2, colour
    with pytest.raises(EngineError, match="even size"):
        rgb_to_yuv420(Image.new("RGB", (7, 6)))


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
def test_yuv_frames_are_the_composed_pictures_converted(project: Project, fmt: str) -> None:
    """Converting a region (or only the highlight's box) gives the same bytes as converting
    the whole composed picture; crossfades blended in YUV are within rounding of it."""
    tl = timeline_of(project, fmt)
    blends = 0
    for seg in tl.segments:
        want = rgb_to_yuv420(Image.fromarray(tl.rgb_frame(seg))).astype(int)
        got = tl.frame(seg).astype(int)
        if seg.state.blend_step:
            blends += 1
            assert np.abs(got - want).max() <= 2
        else:
            assert np.array_equal(got, want), seg
    assert blends == tl.transition_frames
    # a crossfade step lies between the two slides
    mid = next(s for s in tl.segments if s.state.blend_step == tl.transition_frames // 2)
    a = tl.renderer.background_yuv(0)[: tl.height].astype(int)
    b = tl.renderer.background_yuv(1)[: tl.height].astype(int)
    got = tl.frame(mid)[: tl.height].astype(int)
    far = np.abs(a - b) > 40
    assert far.sum() > 1000
    assert np.all((got[far] - np.minimum(a, b)[far] > 5) & (np.maximum(a, b)[far] - got[far] > 5))


def test_moviepy_yields_the_baseline_frames_without_copies(project: Project) -> None:
    """moviepy's frame iteration gives the plain loop's frames, in order; a still segment is
    the same array object for each of its frames (written from one buffer view)."""
    tl = timeline_of(project, "reel")
    runs: list[tuple[int, bytes]] = []  # (frames, picture) per run of one object
    last = None
    for frame in moviepy_frames(tl):
        if frame is last:
            runs[-1] = (runs[-1][0] + 1, runs[-1][1])
        else:
            runs.append((1, hashlib.sha1(frame.data).digest()))
            last = frame
    assert [n for n, _ in runs] == [s.frames for s in tl.segments]
    baseline = []
    last = None
    for frame in timeline_frames(tl):
        if frame is not last:
            baseline.append(hashlib.sha1(frame.data).digest())
            last = frame
    assert [h for _, h in runs] == baseline


def caption_region(frame: np.ndarray, fmt: str) -> np.ndarray:
    box = caption_box(fmt)
    return frame[box.y : box.bottom, box.x : box.right].astype(int)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["reel", "landscape"])
def test_render_video_encodes_a_checked_mp4(project: Project, fmt: str) -> None:
    out_dir = project.root / f"out-{fmt}"
    out = out_dir / f"{fmt}.mp4"
    seen: list[float] = []
    video = render_video(
        fmt,
        project.frames,
        project.spans,
        project.cues,
        project.wav,
        out,
        preset="ultrafast",
        progress=seen.append,
        accent=ACCENT,
    )
    info = media.video_info(out)
    width, height = layout(fmt).size
    assert (video.width, video.height, video.path) == (width, height, str(out))
    assert (info.width, info.height) == (width, height)
    assert info.vcodec == "h264" and info.acodec == "aac" and info.pix_fmt == "yuv420p"
    assert info.fps == pytest.approx(30.0)
    assert info.duration_s == pytest.approx(DURATION, abs=0.1)
    assert info.video_duration_s == pytest.approx(DURATION, abs=1 / FPS + 1e-6)
    assert info.frame_count == round(DURATION * FPS)
    assert video.size_bytes == out.stat().st_size > 10_000
    assert info.audio_sample_rate == AUDIO_RATE
    assert colour_tags(out) == BT709_TAGS
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert sorted(p.name for p in out_dir.iterdir()) == [out.name]  # no temp files left
    stats = encode_stats()
    assert stats is not None and (stats.pipeline, stats.preset) == ("moviepy", "ultrafast")
    assert stats.frames_written == info.frame_count
    assert stats.distinct_frames == len(timeline_of(project, fmt).segments)
    assert 0 < stats.prepare_s < stats.total_s and 0 < stats.ffmpeg_wall_s < stats.total_s

    # the decoded frame shows the word that is being spoken
    tl = timeline_of(project, fmt)
    t1, t2 = word_time(project, 1), word_time(project, 2)
    got1 = caption_region(media.extract_frame(out, t1), fmt)
    got2 = caption_region(media.extract_frame(out, t2), fmt)
    want1 = caption_region(tl.rgb_frame(tl.segment_at(t1)), fmt)
    want2 = caption_region(tl.rgb_frame(tl.segment_at(t2)), fmt)
    assert np.abs(got1 - got2).mean() > 1.0  # the highlight moved
    assert np.abs(got1 - want1).mean() < np.abs(got1 - want2).mean()
    assert np.abs(got2 - want2).mean() < np.abs(got2 - want1).mean()
    assert np.abs(got1 - want1).mean() < 4.0  # close to the composited frame (lossy codec)


def decoded_md5(path: Path) -> str:
    """MD5 of the decoded video stream (raw yuv420p of every frame)."""
    cmd = [media.ffmpeg_path(), "-loglevel", "error", "-i", str(path), "-map", "0:v:0"]
    out = subprocess.run([*cmd, "-f", "md5", "-"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def colour_tags(path: Path) -> tuple[str, ...]:
    stream = next(s for s in media.probe(path)["streams"] if s["codec_type"] == "video")
    keys = ("color_space", "color_primaries", "color_transfer", "color_range")
    return tuple(str(stream.get(k)) for k in keys)


BT709_TAGS = ("bt709", "bt709", "bt709", "tv")


@pytest.mark.slow
def test_bare_ffmpeg_baseline_encodes_the_same_video(project: Project) -> None:
    """Same frames (same yuv420p bytes), same command: the decoded videos are identical."""
    out = project.root / "baseline" / "reel.mp4"
    video = render_frames_ffmpeg_baseline(
        "reel",
        project.frames,
        project.spans,
        project.cues,
        project.wav,
        out,
        preset="ultrafast",
        accent=ACCENT,
    )
    stats = encode_stats()
    assert stats is not None and stats.pipeline == "ffmpeg"
    assert stats.frames_written == round(DURATION * FPS)
    info = media.video_info(out)
    assert (video.width, video.height) == (1080, 1920)
    assert info.vcodec == "h264" and info.acodec == "aac" and info.pix_fmt == "yuv420p"
    assert info.frame_count == round(DURATION * FPS)
    assert info.duration_s == pytest.approx(DURATION, abs=0.1)
    assert colour_tags(out) == BT709_TAGS
    tl = timeline_of(project, "reel")
    t = word_time(project, 5)
    got = media.extract_frame(out, t).astype(int)
    want = tl.rgb_frame(tl.segment_at(t)).astype(int)
    assert np.abs(got - want).mean() < 3.0

    via_moviepy = render_video(
        "reel",
        project.frames,
        project.spans,
        project.cues,
        project.wav,
        project.root / "via-moviepy" / "reel.mp4",
        preset="ultrafast",
        accent=ACCENT,
    )
    assert decoded_md5(Path(via_moviepy.path)) == decoded_md5(out)


COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (251, 191, 36), (240, 240, 240), (30, 41, 59)]


@pytest.mark.slow
def test_decoded_colours_match_the_slide(tmp_path: Path) -> None:
    """Saturated flat colours, text and the caption survive conversion, encoding, tagging
    and decoding (a BT.601/BT.709 mix-up is off by up to ~25 levels on pure red)."""
    width, height = layout("reel").size
    slide = Image.new("RGB", (width, height), (18, 20, 28))
    draw = ImageDraw.Draw(slide)
    for i, colour in enumerate(COLOURS):
        draw.rectangle(
            (60 + (i % 3) * 320, 200 + (i // 3) * 320, 340 + (i % 3) * 320, 480 + (i // 3) * 320),
            fill=colour,
        )
    draw.rectangle((60, 900, 1020, 1200), fill=(255, 255, 255))
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 120)
    draw.text((90, 960), "Hello 42", font=font, fill=(0, 0, 0))
    path = tmp_path / "colours.png"
    slide.save(path)
    frames = [SceneFrames("c", str(path), str(path))]
    words = _words(1.0)
    wav = _write_tone(tmp_path / "n.wav", 1.0)
    out = tmp_path / "reel.mp4"
    render_video(
        "reel", frames, [("c", 0.0, 1.0)], _cues(words), wav, out, preset="ultrafast", accent=ACCENT
    )
    assert colour_tags(out) == BT709_TAGS
    t = _word_time_of(words, 1)
    got = media.extract_frame(out, t).astype(int)
    for i, colour in enumerate(COLOURS):
        x, y = 60 + (i % 3) * 320, 200 + (i // 3) * 320
        block = got[y + 20 : y + 260, x + 20 : x + 260]
        assert np.abs(block - colour).mean() < 6, colour
    text, source = got[900:1200, 60:1020], np.asarray(slide)[900:1200, 60:1020].astype(int)
    assert np.abs(text - source).mean() < 6
    assert np.corrcoef(text.ravel(), source.ravel())[0, 1] > 0.97
    tl = build_segments(
        "reel", frames, [("c", 0.0, 1.0)], _cues(words), duration_s=1.0, fps=FPS, accent=ACCENT
    )
    want = caption_region(tl.rgb_frame(tl.segment_at(t)), "reel")
    band = caption_region(got, "reel")
    assert np.abs(band - want).mean() < 4.0
    pill = np.all(np.abs(want - np.array([0xFB, 0xBF, 0x24])) < 2, axis=2)
    assert pill.sum() > 300
    assert np.abs(np.median(band[pill], axis=0) - [0xFB, 0xBF, 0x24]).max() < 6


def test_failing_frame_source_stops_ffmpeg_and_leaves_nothing(
    project: Project, tmp_path: Path
) -> None:
    tl = timeline_of(project, "reel")

    def frames():
        yield from itertools.islice(timeline_frames(tl), 5)
        raise RuntimeError("slide renderer crashed")

    out = tmp_path / "reel.mp4"
    stats = EncodeStats("ffmpeg", "ultrafast", 23)
    # a bug in the frame source is not an engine failure: it keeps its type and traceback
    with pytest.raises(RuntimeError, match="slide renderer crashed"):
        encode_frames(
            frames(), tl, project.wav, out, audio_s=DURATION, stats=stats, threads=1, progress=None
        )
    assert not any(tmp_path.iterdir())
    wrong = iter([np.zeros((10, 10), np.uint8)])
    with pytest.raises(EngineError, match="is not a 1080x1920 yuv420p frame"):
        encode_frames(
            wrong, tl, project.wav, out, audio_s=DURATION, stats=stats, threads=1, progress=None
        )
    assert not any(tmp_path.iterdir())


def test_unwritable_output_location_is_an_output_error(project: Project, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the output directory should be")
    out = blocker / "videos" / "reel.mp4"
    with pytest.raises(OutputError, match="Cannot create the output directory") as err:
        render_video("reel", project.frames, project.spans, project.cues, project.wav, out)
    assert "\n" not in str(err.value)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-dir"]


def test_bad_slide_keeps_the_previous_video(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "reel.mp4"
    out.write_bytes(b"previous good video")
    wrong = [SceneFrames(f.scene_id, f.landscape_path, f.landscape_path) for f in project.frames]
    with pytest.raises(EngineError, match="expected 1080x1920"):
        render_video("reel", wrong, project.spans, project.cues, project.wav, out)
    assert out.read_bytes() == b"previous good video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reel.mp4"]


def test_unknown_scene_in_spans_is_an_engine_error(project: Project) -> None:
    with pytest.raises(EngineError, match="No slide was rendered for scene 'nope'"):
        build_segments("reel", project.frames, [("nope", 0.0, 1.0)], [], duration_s=1.0, fps=FPS)


@pytest.mark.slow
def test_failure_after_encoding_leaves_no_partial_file(tmp_path: Path, project: Project) -> None:
    """The move into place fails (out_path is a directory): no temp file may remain."""
    wav = _write_tone(tmp_path / "short.wav", 1.0)
    words = _words(1.0)
    out = tmp_path / "landscape.mp4"
    out.mkdir()
    with pytest.raises(OutputError, match="Cannot move the video into place"):
        render_video(
            "landscape",
            project.frames,
            [("hook", 0.0, 0.5), ("what", 0.5, 1.0)],
            _cues(words),
            wav,
            out,
            preset="ultrafast",
        )
    assert out.is_dir() and not any(out.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["landscape.mp4", "short.wav"]


def test_encoder_failure_is_one_clear_line_and_leaves_nothing(
    project: Project, tmp_path: Path
) -> None:
    out = tmp_path / "reel.mp4"
    for encode in (render_video, render_frames_ffmpeg_baseline):
        with pytest.raises(EngineError, match="invalid preset 'bogus'") as err:
            encode(
                "reel",
                project.frames,
                project.spans,
                project.cues,
                project.wav,
                out,
                preset="bogus",
            )
        assert "\n" not in str(err.value)
        assert not any(tmp_path.iterdir())


def test_encoder_killed_by_a_signal_is_transient_and_leaves_nothing(
    project: Project, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "reel.mp4"
    with ffmpeg_killed_once(tmp_path / "wrapper") as fault:
        with pytest.raises(EngineCrashError, match="was killed by SIGKILL") as err:
            render_video("reel", project.frames, project.spans, project.cues, project.wav, out)
        assert fault.fired and is_transient(err.value)
        assert not any(out.parent.iterdir())
        video = render_video("reel", project.frames, project.spans, project.cues, project.wav, out)
    assert video.path == str(out) and media.video_info(out).vcodec == "h264"


def test_caption_accent_defaults_to_the_slides_accent(project: Project) -> None:
    tl = build_segments(
        "reel", project.frames, project.spans, project.cues, duration_s=DURATION, fps=FPS
    )
    frame = tl.rgb_frame(tl.segment_at(word_time(project, 1)))
    pill = np.all(np.abs(caption_region(frame, "reel") - np.array([0xFB, 0xBF, 0x24])) < 8, axis=2)
    assert pill.sum() > 300
    assert accent_from_slide(Image.new("RGB", (1080, 1920), (9, 9, 9)), "reel") is None


def test_parts_left_by_dead_encoders_are_removed_but_live_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "reel.mp4"
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".reel.{dead.pid}-deadbeef.part.mp4"
    live = tmp_path / f".reel.{os.getpid()}-cafef00d.part.mp4"
    other = tmp_path / f".landscape.{dead.pid}-deadbeef.part.mp4"
    for path in (stale, live, other):
        path.write_bytes(b"partial")
    prepare_output_dir(out)
    assert not stale.exists()
    assert live.exists() and other.exists()
