"""Scene chunks: each scene is encoded once and reused until its frames change."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.core.records import SceneFrames, VisualSpec
from repo2video_dagster.lib.render import media
from repo2video_dagster.lib.render.video import (
    AUDIO_RATE,
    CHUNK_PRUNE_AFTER_S,
    EncodeStats,
    Timeline,
    build_segments,
    chunk_key,
    encode_stats,
    render_from_frames,
    render_video,
    scene_chunks,
)
from repo2video_tests.test_compose import (
    ACCENT,
    BT709_TAGS,
    DURATION,
    FPS,
    Project,
    caption_region,
    colour_tags,
    decoded_md5,
    project,  # noqa: F401  (the fixture)
    scene_slides,
    timeline_of,
    word_time,
)


def test_chunks_split_the_timeline_at_scene_changes(project: Project) -> None:  # noqa: F811
    timeline = timeline_of(project, "reel")
    chunks = scene_chunks(timeline)
    assert [c.start_frame for c in chunks] == [0, round(DURATION / 2 * FPS)]
    assert sum(c.timeline.total_frames for c in chunks) == timeline.total_frames
    for chunk in chunks:
        scenes = {s.state.scene for s in chunk.timeline.segments}
        assert len(scenes) == 1
        assert chunk.timeline.segments[0].start_frame == 0
        assert sum(s.frames for s in chunk.timeline.segments) == chunk.timeline.total_frames
    # the second chunk opens with the crossfade from the first scene
    assert chunks[1].timeline.segments[0].state.blend_from == 0

    digests = ["a", "b"]
    keys = [chunk_key(c, digests, "ultrafast", 23) for c in chunks]
    assert len(set(keys)) == 2
    assert chunk_key(chunks[0], ["a", "changed"], "ultrafast", 23) == keys[0]
    assert chunk_key(chunks[1], ["changed", "b"], "ultrafast", 23) != keys[1]  # fade
    assert chunk_key(chunks[0], digests, "veryfast", 23) != keys[0]


def test_a_held_caption_never_spills_onto_the_next_scene(project: Project) -> None:  # noqa: F811
    from repo2video_dagster.lib.core.records import TimedWord
    from repo2video_dagster.lib.speech.subtitles import Cue

    last = TimedWord("hello", 1.5, 1.9, "hook", True)
    first = TimedWord("world", 2.3, 2.6, "what", True)
    cues = [Cue(1, 1.5, 1.9, [last]), Cue(2, 2.3, 2.6, [first])]
    tl = build_segments(
        "reel", project.frames, project.spans, cues, duration_s=DURATION, fps=FPS, accent=ACCENT
    )
    assert tl.segment_at(1.95).state.cue == 0  # held after its end, within its scene
    assert tl.segment_at(2.1).state.cue is None  # the next scene shows no old caption
    assert tl.segment_at(2.4).state.cue == 1


def _other_slide(base: Project, root: Path) -> list[SceneFrames]:
    """The same scenes with a different picture for the second one."""
    spec = VisualSpec("overview", {"heading": "Changed", "bullets": ["A new", "slide"]})
    return [base.frames[0], scene_slides(root, "what", spec, 1)]


def _render_reel(
    project: Project,  # noqa: F811
    out: Path,
    chunks_dir: Path,
    frames: list[SceneFrames] | None = None,
    progress=None,
    reuse: bool = True,
) -> EncodeStats:
    """The product's encode (scene chunks kept in ``chunks_dir``); its statistics."""
    render_video(
        "reel",
        frames or project.frames,
        project.spans,
        project.cues,
        project.wav,
        out,
        preset="ultrafast",
        accent=ACCENT,
        chunks_dir=chunks_dir,
        progress=progress,
        reuse_chunks=reuse,
    )
    stats = encode_stats()
    assert stats is not None
    return stats


@pytest.mark.slow
def test_chunks_are_joined_checked_and_reused(project: Project, tmp_path: Path) -> None:  # noqa: F811
    chunks_dir = tmp_path / "chunks"
    out = tmp_path / "out" / "reel.mp4"

    def render(frames: list[SceneFrames]) -> EncodeStats:
        seen: list[float] = []
        stats = _render_reel(project, out, chunks_dir, frames, progress=seen.append)
        assert seen and seen == sorted(seen) and seen[-1] == 1.0
        return stats

    first = render(project.frames)
    assert (first.chunks, first.chunks_reused) == (2, 0)
    assert first.frames_written == round(DURATION * FPS)
    info = media.video_info(out)
    assert info.vcodec == "h264" and info.acodec == "aac" and info.pix_fmt == "yuv420p"
    assert info.frame_count == round(DURATION * FPS)
    assert info.fps == pytest.approx(30.0)
    assert info.duration_s == pytest.approx(DURATION, abs=0.1)
    assert info.audio_sample_rate == AUDIO_RATE
    assert colour_tags(out) == BT709_TAGS
    assert [p.name for p in out.parent.iterdir()] == ["reel.mp4"]  # no temp files left
    assert len(list(chunks_dir.glob("*.mp4"))) == 2
    # the joined video shows the spoken word, as the single encode does
    tl = timeline_of(project, "reel")
    for k in (1, 9):  # a word in each scene
        t = word_time(project, k)
        got = caption_region(media.extract_frame(out, t), "reel")
        want = caption_region(tl.rgb_frame(tl.segment_at(t)), "reel")
        assert np.abs(got - want).mean() < 4.0, t

    decoded = decoded_md5(out)
    again = render(project.frames)
    assert (again.chunks, again.chunks_reused, again.frames_written) == (2, 2, 0)
    assert decoded_md5(out) == decoded
    assert len(list(chunks_dir.glob("audio-*.m4a"))) == 1  # the AAC narration, reused
    forced = _render_reel(project, out, chunks_dir, reuse=False)  # what --force asks for
    assert (forced.chunks_reused, forced.frames_written) == (0, round(DURATION * FPS))

    # a new picture for the second scene: only its chunk is encoded again
    changed = _other_slide(project, tmp_path)
    edit = render(changed)
    assert (edit.chunks, edit.chunks_reused) == (2, 1)
    assert edit.frames_written == round(DURATION / 2 * FPS)
    t = DURATION * 0.9
    new_tl = build_segments(
        "reel", changed, project.spans, project.cues, duration_s=DURATION, fps=FPS, accent=ACCENT
    )
    got = media.extract_frame(out, t).astype(int)
    want = new_tl.rgb_frame(new_tl.segment_at(t)).astype(int)
    before = tl.rgb_frame(tl.segment_at(t)).astype(int)
    assert np.abs(want - before).mean() > 1.0  # the two slides differ visibly
    assert np.abs(got - want).mean() < 0.5 * np.abs(got - before).mean()

    # the old chunk is kept for a while (a render elsewhere may use it), then pruned
    assert len(list(chunks_dir.glob("*.mp4"))) == 3
    old = time.time() - CHUNK_PRUNE_AFTER_S - 60
    for path in chunks_dir.glob("*.mp4"):
        os.utime(path, (old, old))
    render(changed)
    assert len(list(chunks_dir.glob("*.mp4"))) == 2


def test_a_failing_chunk_leaves_no_video_and_no_temp_files(
    project: Project,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The second scene's frames fail mid-way: the encoded first chunk is kept (it is
    complete and reusable), nothing else is, and the error is the frame source's."""
    chunks_dir = tmp_path / "chunks"
    out = tmp_path / "out" / "reel.mp4"
    scenes: list[int] = []

    def frames_of(timeline: Timeline):
        scene = timeline.segments[0].state.scene
        scenes.append(scene)
        for n, segment in enumerate(timeline.segments):
            if scene == 1 and n == 3:
                raise EngineError("frame source broke")
            frame = timeline.frame(segment)
            for _ in range(segment.frames):
                yield frame

    with pytest.raises(EngineError, match="frame source broke"):
        render_from_frames(
            "moviepy",
            frames_of,
            "reel",
            project.frames,
            project.spans,
            project.cues,
            project.wav,
            out,
            fps=FPS,
            preset="ultrafast",
            crf=23,
            threads=2,
            transition_s=0.25,
            progress=None,
            accent=ACCENT,
            chunks_dir=chunks_dir,
        )
    assert sorted(scenes) == [0, 1]
    assert list(out.parent.iterdir()) == []  # no video, no audio or list temp files
    assert len(list(chunks_dir.iterdir())) == 1  # the first scene's finished chunk


@pytest.mark.slow
def test_editing_one_scenes_text_re_encodes_only_that_scene(
    project: Project,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Narration (Piper), words (faster-whisper), alignment and the reel, as the assets
    chain them: after editing the middle scene's text, the scenes before and after it
    keep their audio, words and encoded chunks."""
    from repo2video_dagster.lib.speech.align import align_words
    from repo2video_dagster.lib.speech.asr import make_asr
    from repo2video_dagster.lib.speech.narrate import narrate
    from repo2video_dagster.lib.speech.scene_words import recognize_scenes
    from repo2video_dagster.lib.speech.subtitles import group_cues
    from repo2video_dagster.lib.speech.tts import PiperTts
    from repo2video_dagster.lib.speech.word_match import words_of
    from repo2video_tests.test_narrate import _scenes

    tts = PiperTts()
    asr = make_asr("faster-whisper", "tiny.en", device="cpu")
    third = SceneFrames("outro", project.frames[0].reel_path, project.frames[0].landscape_path)
    frames = [*project.frames, third]  # hook, what, outro (outro reuses hook's picture)
    out = tmp_path / "out" / "reel.mp4"

    def render(middle: str, name: str) -> tuple[EncodeStats, list[str]]:
        scenes = _scenes(middle)
        narration = narrate(
            scenes, tmp_path / name, tts, cache_dir=tmp_path / "tts", frame_rate=FPS
        )
        recognition = recognize_scenes(asr, narration, tmp_path / "words")
        spans = [(s.scene_id, s.offset_s, s.offset_s + s.duration_s) for s in narration.scenes]
        script_words = [(w, s.id) for s in scenes for w in words_of(s.narration)]
        timed, coverage = align_words(script_words, recognition.words, spans)
        assert coverage > 0.9
        render_video(
            "reel",
            frames,
            spans,
            group_cues(timed, track_end=narration.duration_s),
            Path(narration.track_path),
            out,
            fps=FPS,
            accent=ACCENT,
            chunks_dir=tmp_path / "chunks",
        )
        stats = encode_stats()
        assert stats is not None
        info = media.video_info(out)
        assert info.frame_count == round(narration.duration_s * FPS)
        return stats, recognition.recognized

    first, recognized = render("It reads the code and writes a script.", "a")
    assert (first.chunks, first.chunks_reused) == (3, 0)
    assert recognized == ["hook", "what", "outro"]
    edit, recognized = render("It now reads every file, twice over, then writes.", "b")
    assert recognized == ["what"]
    assert (edit.chunks, edit.chunks_reused) == (3, 2)
    assert 0 < edit.frames_written < first.frames_written


@pytest.mark.slow
def test_a_damaged_stored_chunk_fails_once_then_is_encoded_again(
    project: Project,  # noqa: F811
    tmp_path: Path,
) -> None:
    chunks_dir = tmp_path / "chunks"
    out = tmp_path / "out" / "reel.mp4"

    def render() -> EncodeStats:
        return _render_reel(project, out, chunks_dir)

    render()
    good = out.read_bytes()
    damaged = sorted(chunks_dir.glob("*.mp4"))[0]
    damaged.write_bytes(damaged.read_bytes()[:2000])  # cut short on disk
    with pytest.raises(EngineError) as failure:
        render()
    assert "\n" not in str(failure.value)
    assert out.read_bytes() == good  # the previous video is untouched
    again = render()
    assert again.chunks_reused == 0  # the stored chunks were dropped, so all are redone
    assert media.video_info(out).frame_count == round(DURATION * FPS)
