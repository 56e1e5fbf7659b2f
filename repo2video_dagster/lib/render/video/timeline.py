"""The video as a timeline of still segments, cut from the scene spans and caption cues.

Each frame of the output is assigned a state (scene, cue, active word, crossfade
step), runs of equal states become one segment, and each segment's picture is
composed once. Counting in whole frames makes segment boundaries exact and the
video length equal to the narration length within one frame.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.core.records import SceneFrames, TimedWord
from repo2video_dagster.lib.render.theme import accent_marker, layout, rgb_to_hex
from repo2video_dagster.lib.render.video.frames import FrameRenderer, FrameState

CAPTION_HOLD_S = 0.4
"""A cue stays on screen this long after its end when the next one has not started,
so captions do not flicker off during short pauses."""


class CueLike(Protocol):
    """What the video needs of a caption cue (``subtitles.Cue`` satisfies it)."""

    start: float
    end: float
    words: Sequence[TimedWord]


@dataclass(frozen=True)
class Segment:
    state: FrameState
    start_frame: int
    frames: int

    def start_s(self, fps: int) -> float:
        return self.start_frame / fps

    def duration_s(self, fps: int) -> float:
        return self.frames / fps


@dataclass
class Timeline:
    """The video as still segments; both encoders consume it."""

    fmt: str
    fps: int
    width: int
    height: int
    total_frames: int
    segments: list[Segment]
    renderer: FrameRenderer
    transition_frames: int

    @property
    def duration_s(self) -> float:
        return self.total_frames / self.fps

    @property
    def frame_bytes(self) -> int:
        """Size of one raw yuv420p frame."""
        return self.width * self.height * 3 // 2

    def frame(self, segment: Segment) -> np.ndarray:
        """The I420 frame the encoder gets for ``segment`` (read-only)."""
        return self.renderer.render(segment.state)

    def rgb_frame(self, segment: Segment) -> np.ndarray:
        """The RGB picture of ``segment`` before conversion (for checks and quality numbers)."""
        return self.renderer.render_rgb(segment.state)

    def segment_at(self, t_s: float) -> Segment:
        """The segment shown at time ``t_s`` (for checks and tests)."""
        k = min(self.total_frames - 1, max(0, int(t_s * self.fps)))
        starts = [s.start_frame for s in self.segments]
        return self.segments[bisect.bisect_right(starts, k) - 1]


FrameSource = Callable[[Timeline], Iterator[np.ndarray]]
"""Where an encoder's frames come from: the timeline's frames, in order, one per output
frame (a still segment may repeat one array object)."""


def _load_backgrounds(fmt: str, scene_frames: Sequence[SceneFrames]) -> list[Image.Image]:
    lay = layout(fmt)
    images: list[Image.Image] = []
    for sf in scene_frames:
        path = Path(sf.reel_path if fmt == "reel" else sf.landscape_path)
        try:
            with Image.open(path) as img:
                rgb = img.convert("RGB")
        except OSError as exc:
            raise EngineError(f"Cannot read slide {path}: {exc}") from exc
        if rgb.size != lay.size:
            raise EngineError(
                f"Slide {path} is {rgb.size[0]}x{rgb.size[1]}, expected "
                f"{lay.width}x{lay.height} for the {fmt} video"
            )
        images.append(rgb)
    return images


def accent_from_slide(slide: Image.Image, fmt: str) -> str | None:
    """The accent a slide was drawn with, read from its chrome dot (``None``: not one of ours)."""
    pixel = slide.convert("RGB").getpixel(accent_marker(fmt))
    r, g, b = pixel[:3]  # type: ignore[index]
    if max(r, g, b) - min(r, g, b) < 40:  # grey: background or a foreign image
        return None
    return rgb_to_hex((r, g, b))


def _words_of(cue: Any) -> list[TimedWord]:
    return list(getattr(cue, "words", None) or [])


STEP_MIN_GAP_S = 0.35
"""Two motion steps of a scene happen at least this far apart."""
FIRST_STEP_MAX_S = 1.0
"""A scene's first step happens at most this long after the scene starts..."""
STEP_MAX_GAP_S = 2.5
"""...and each later one at most this long after the one before, named or not, so the
picture never waits on a word that comes late (no stretch over 4 s without a change)."""
STEP_FADE_S = 0.17
"""A motion step fades in over this long (5 frames at 30 fps)."""
_WORD_RE = re.compile(r"[a-z0-9]+")


def step_times(
    steps: Sequence[dict[str, Any]], words: Sequence[Any], start: float, end: float
) -> list[float]:
    """When each motion step of a scene happens, from the scene's word timings.

    A step happens when the narration first says one of its keywords (after the step
    before it); a step the narration never names is spaced evenly over the rest of the
    speech, so every item is shown while the voice is still on the scene. No step
    waits longer than :data:`FIRST_STEP_MAX_S` / :data:`STEP_MAX_GAP_S`.
    """
    if not steps:
        return []
    if all(step.get("kind") == "zoom" for step in steps):  # a slow, even zoom over the scene
        return [start + (end - start) * (k + 1) / (len(steps) + 1) for k in range(len(steps))]
    speech_end = max((float(w.end) for w in words), default=end)
    speech_end = min(max(speech_end, start), end)
    n = len(steps)
    times: list[float] = []
    prev = start
    for j, step in enumerate(steps):
        keys = set(step.get("keywords") or [])
        found = None
        for w in words:
            t = float(w.start)
            if t < prev + (STEP_MIN_GAP_S if times else 0.0) or t >= speech_end:
                continue
            if any(tok in keys for tok in _WORD_RE.findall(str(w.text).lower())):
                found = t
                break
        if found is None:
            remaining = n - j
            span = max(0.0, speech_end - prev)
            found = prev + span / (remaining + 1)
        found = min(found, prev + (STEP_MAX_GAP_S if times else FIRST_STEP_MAX_S))
        found = max(found, prev + (STEP_MIN_GAP_S if times else 0.0))
        times.append(min(found, end))
        prev = times[-1]
    return times


TAIL_STILL_S = 3.5
"""A scene whose picture would stand still longer than this after its last step..."""


def _tail_steps(
    steps: Sequence[dict[str, Any]], times: Sequence[float], start: float, end: float
) -> tuple[list[dict[str, Any]], list[float]]:
    """...gets a few more: the items it showed light up in turn, last first, while the
    voice finishes, so no picture stands still for more than :data:`TAIL_STILL_S`
    (a zoom moves on its own)."""
    if not steps or any(s.get("kind") == "zoom" for s in steps):
        return [], []
    last = times[-1] if times else start
    if end - last <= TAIL_STILL_S:
        return [], []
    count = min(6, math.ceil((end - last) / 3.0) - 1)
    gap = (end - last) / (count + 1)
    boxes = [list(s["box"]) for s in reversed(steps)]
    extra = [{"kind": "spot", "box": boxes[k % len(boxes)], "keywords": []} for k in range(count)]
    return extra, [last + gap * (k + 1) for k in range(count)]


def max_static_s(timeline: Timeline) -> float:
    """The longest run of identical frames, in seconds (a segment is a run of equal states)."""
    return max((s.frames for s in timeline.segments), default=0) / timeline.fps


def max_still_picture_s(timeline: Timeline) -> float:
    """The longest run with the same slide picture (scene and motion stage), captions
    ignored: how long the picture itself stands still."""
    longest = run = 0
    last = None
    for seg in timeline.segments:
        key = (seg.state.scene, seg.state.stage, seg.state.blend_from, seg.state.blend_step)
        run = run + seg.frames if key == last else seg.frames
        last = key
        longest = max(longest, run)
    return longest / timeline.fps


def _frame_states(
    total_frames: int,
    fps: int,
    scene_starts: list[float],
    scene_order: list[int],
    cues: Sequence[Any],
    transition_frames: int,
    scene_ids: list[str],
    stage_starts: list[list[float]] | None = None,
    stage_fades: list[bool] | None = None,
) -> list[FrameState]:
    """The state of every frame, evaluated at the frame's centre time.

    A cue is shown only over its own scene (when its words name one): a caption held
    past its end never spills onto the next slide, so a scene's frames depend on
    that scene alone, which is what lets an unchanged scene's video chunk be reused.
    """
    cue_starts = [float(c.start) for c in cues]
    word_starts = [[float(w.start) for w in _words_of(c)] for c in cues]
    known = set(scene_ids)
    cue_scenes = [
        getattr(words[0], "scene_id", None) if (words := _words_of(c)) else None for c in cues
    ]
    cue_scenes = [sid if sid in known else None for sid in cue_scenes]  # unknown: no rule
    states: list[FrameState] = []
    scene_first_frame: dict[int, int] = {}
    prev_scene_of: dict[int, int] = {}
    prev_stage_of: dict[int, int] = {}
    last_scene = None
    stage_starts = stage_starts or [[] for _ in scene_order]
    stage_fades = stage_fades or []
    fade_frames = max(1, round(STEP_FADE_S * fps))
    stage = 0
    stage_changed_at = -fade_frames
    prev_stage = 0
    for k in range(total_frames):
        t = (k + 0.5) / fps
        si = max(0, bisect.bisect_right(scene_starts, t) - 1)
        scene = scene_order[si]
        if scene != last_scene:
            scene_first_frame[scene] = k
            if last_scene is not None:
                prev_scene_of[scene] = last_scene
                prev_stage_of[scene] = stage
            last_scene = scene
            stage = prev_stage = 0
            stage_changed_at = -fade_frames
        new_stage = bisect.bisect_right(stage_starts[si], t)
        if new_stage != stage:
            prev_stage, stage = stage, new_stage
            if si >= len(stage_fades) or stage_fades[si]:
                stage_changed_at = k

        cue: int | None = None
        active: int | None = None
        ci = bisect.bisect_right(cue_starts, t) - 1
        if ci >= 0 and cue_scenes[ci] in (None, scene_ids[si]):
            c = cues[ci]
            next_start = cue_starts[ci + 1] if ci + 1 < len(cues) else float("inf")
            if t < float(c.end) or (t < float(c.end) + CAPTION_HOLD_S and t < next_start):
                cue = ci
                wi = bisect.bisect_right(word_starts[ci], t) - 1
                active = wi if wi >= 0 else None

        blend_from: int | None = None
        step = 0
        blend_stage = 0
        fade = 0
        since = k - scene_first_frame[scene]
        if scene in prev_scene_of and since < transition_frames:
            blend_from = prev_scene_of[scene]
            blend_stage = prev_stage_of[scene]
            step = since + 1
        elif k - stage_changed_at < fade_frames:
            blend_from, blend_stage = scene, prev_stage
            step, fade = k - stage_changed_at + 1, fade_frames
        states.append(FrameState(scene, cue, active, blend_from, step, stage, blend_stage, fade))
    return states


def build_segments(
    fmt: str,
    scene_frames: Sequence[SceneFrames],
    scene_spans: Sequence[tuple[str, float, float]],
    cues: Sequence[CueLike],
    *,
    duration_s: float,
    fps: int = 30,
    transition_s: float = 0.25,
    accent: str | None = None,
) -> Timeline:
    """Cut the video into still segments of whole frames.

    ``scene_spans`` are ``(scene_id, start_s, end_s)`` on the narration timeline;
    a scene is shown from its start until the next scene starts (the first from
    0, the last until the end). Within a cue the latest word that has started
    stays highlighted through pauses; a cue stays up to ``CAPTION_HOLD_S`` after
    its end while the next one has not started. Scene changes crossfade over
    ``transition_s`` (each blended frame is its own one-frame segment).
    """
    lay = layout(fmt)
    if not scene_frames:
        raise EngineError("Nothing to render: no slides were given")
    if duration_s <= 0:
        raise EngineError("Nothing to render: the narration is empty")
    index_of = {sf.scene_id: i for i, sf in enumerate(scene_frames)}
    spans = sorted(scene_spans, key=lambda s: float(s[1]))
    missing = [sid for sid, _, _ in spans if sid not in index_of]
    if missing:
        raise EngineError(f"No slide was rendered for scene {missing[0]!r}")
    if not spans:
        spans = [(scene_frames[0].scene_id, 0.0, duration_s)]
    scene_starts = [float(s[1]) for s in spans]
    scene_starts[0] = min(scene_starts[0], 0.0)
    scene_order = [index_of[s[0]] for s in spans]

    sorted_cues = sorted(cues, key=lambda c: float(c.start))
    cue_words = [tuple(str(w.text) for w in _words_of(c)) for c in sorted_cues]
    total_frames = max(1, round(duration_s * fps))
    transition_frames = max(0, round(transition_s * fps))

    scene_steps = [list(getattr(sf, f"{fmt}_steps", None) or []) for sf in scene_frames]
    words_by_scene: dict[str, list[Any]] = {}
    for c in sorted_cues:
        for w in _words_of(c):
            words_by_scene.setdefault(str(getattr(w, "scene_id", "")), []).append(w)
    ends = scene_starts[1:] + [duration_s]
    stage_starts = [
        step_times(
            scene_steps[index],
            words_by_scene.get(str(sid), []),
            # after the crossfade into the scene, so a step never hides in it
            start + transition_s,
            end,
        )
        for (sid, _, _), index, start, end in zip(
            spans, scene_order, scene_starts, ends, strict=True
        )
    ]
    for si, (index, start, end) in enumerate(zip(scene_order, scene_starts, ends, strict=True)):
        extra, when = _tail_steps(scene_steps[index], stage_starts[si], start + transition_s, end)
        if extra:
            scene_steps[index] = [*scene_steps[index], *extra]
            stage_starts[si] = [*stage_starts[si], *when]
    states = _frame_states(
        total_frames,
        fps,
        scene_starts,
        scene_order,
        sorted_cues,
        transition_frames,
        [str(s[0]) for s in spans],
        stage_starts,
        # a zoom moves in small increments, cut not faded (a fade per increment would
        # make every frame of the scene distinct)
        [not any(st.get("kind") == "zoom" for st in scene_steps[i]) for i in scene_order],
    )
    segments: list[Segment] = []
    for k, state in enumerate(states):
        if segments and segments[-1].state == state:
            last = segments[-1]
            segments[-1] = Segment(last.state, last.start_frame, last.frames + 1)
        else:
            segments.append(Segment(state, k, 1))

    backgrounds = _load_backgrounds(fmt, scene_frames)
    if accent is None:
        accent = accent_from_slide(backgrounds[0], fmt)
    renderer = FrameRenderer(fmt, backgrounds, cue_words, transition_frames, accent, scene_steps)
    return Timeline(
        fmt=fmt,
        fps=fps,
        width=lay.width,
        height=lay.height,
        total_frames=total_frames,
        segments=segments,
        renderer=renderer,
        transition_frames=transition_frames,
    )
