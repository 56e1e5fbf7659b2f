"""Compose slides, karaoke captions and narration into an mp4 (reel or landscape).

A narrated slide video changes picture only when the spoken word, the cue or
the scene changes, so the timeline is a short list of still segments rather than
per-frame compositing: each frame of the output is assigned a state (scene,
cue, active word, crossfade step), runs of equal states become one segment,
and each segment's picture is composited once. Counting in whole frames makes
segment boundaries exact and the video length equal to the narration length
within one frame.

Frames are prepared in the encoder's own format, planar YUV 4:2:0 (BT.709,
limited range), so ffmpeg only compresses:

* each slide is converted to YUV once;
* a cue alpha-blends its RGBA band (no word highlighted) over the slide's band
  region in RGB (878x260 on a reel, not the 1080x1920 frame), converts just
  that region and pastes it into the Y/U/V planes, once per cue and scene;
  each spoken word then redoes only the box of its highlight pill. Regions are
  aligned to even coordinates, so their chroma samples line up with the
  frame's and the bytes equal those of converting the whole picture;
* a crossfade step blends the two scenes' YUV frames, captions included
  (compositing and conversion are affine, so this equals converting the
  blended RGB picture, up to rounding).

Why moviepy's own writer is not used: moviepy 2.2.1's ``FFMPEG_VideoWriter``
hard-codes ``-pix_fmt rgb24`` for its input (its ``pixel_format`` argument is
ignored), so ffmpeg converts RGB to YUV for EVERY output frame, 30 times a
second, although the picture changes a few times a second; and the pipe carries
twice the bytes. Measured with x264 on 900 identical 1080x1920 frames: rgb24
input 10.4 s (veryfast) / 6.7 s (ultrafast), yuv420p input 7.85 s / 4.8 s, i.e.
about 2.8 ms per frame, ~4.7 s per minute of reel, spent converting pictures
that did not change. moviepy also encodes the audio to a temporary file first.
So the timeline is still built from moviepy clips (one still clip per segment,
chained) and its frames are still produced by moviepy's ``iter_frames``, but they
go to our own ffmpeg process, which reads raw yuv420p and the narration WAV
directly. ``render_frames_ffmpeg_baseline`` feeds the very same frames (same
bytes) to the same ffmpeg command from a plain loop, so the benchmark's ratio
between the two measures what moviepy itself costs.

The product encodes each scene to its own chunk (:class:`SceneChunk`), two
encoders at a time, and joins the chunks by stream copy; a later render reuses
every chunk whose frames did not change. The baseline encodes the whole
timeline in one process.

Still segments hand the encoder the same array object for each of their frames,
written to the pipe as a buffer view (no per-frame copy). Only the latest
composed frame is kept: a minute of video has a few hundred segments and a
1080x1920 frame is 3 MB.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
from PIL import Image

from repo2video_dagster.lib.core.errors import EngineError, OutputError
from repo2video_dagster.lib.core.records import SceneFrames, TimedWord, VideoFile
from repo2video_dagster.lib.core.reuse import file_digest, fingerprint, source_version
from repo2video_dagster.lib.render import caption_bands, fonts, media, theme
from repo2video_dagster.lib.render.caption_bands import (
    caption_box,
    highlight_patch,
    render_caption_band,
)
from repo2video_dagster.lib.render.media import audio_duration, ffmpeg_path, video_info
from repo2video_dagster.lib.render.theme import Box, accent_marker, layout, rgb_to_hex

log = logging.getLogger(__name__)

CAPTION_HOLD_S = 0.4
"""A cue stays on screen this long after its end when the next one has not started,
so captions do not flicker off during short pauses."""
DURATION_TOLERANCE_S = 0.2
AUDIO_BITRATE = "160k"
AUDIO_RATE = 48000
"""Narration is synthesised at 22.05 kHz; 48 kHz is what video players and platforms expect."""
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EROFS, errno.EDQUOT}
ENCODE_SOURCES = (sys.modules[__name__], caption_bands, theme, fonts, media)
"""The ``lib`` modules whose code decides an encoded video's bytes (part of reuse keys)."""
AAC_OPTIONS = ("-c:a", "aac", "-aac_coder", "fast", "-b:a", AUDIO_BITRATE, "-ar", str(AUDIO_RATE))
"""ffmpeg's "fast" AAC coder: 2.2x quicker than the default two-loop search on our speech
(0.62 s against 1.41 s for 33 s of narration), which is CPU the video encoder gets."""


# --------------------------------------------------------------------------- colour

_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB
_Y_SCALE, _C_SCALE = 219 / 255, 224 / 255
RGB_TO_YCBCR = (
    _Y_SCALE * _KR,
    _Y_SCALE * _KG,
    _Y_SCALE * _KB,
    16.0,
    -_C_SCALE * _KR / (2 * (1 - _KB)),
    -_C_SCALE * _KG / (2 * (1 - _KB)),
    _C_SCALE / 2,
    128.0,
    _C_SCALE / 2,
    -_C_SCALE * _KG / (2 * (1 - _KR)),
    -_C_SCALE * _KB / (2 * (1 - _KR)),
    128.0,
)
"""sRGB (8 bit) to BT.709 limited-range Y'CbCr, as a Pillow ``convert`` matrix (C path).

BT.709 is the matrix players assume for HD video; the stream is also tagged
(``COLOR_TAGS``) so none has to guess."""
COLOR_TAGS = (
    "-colorspace",
    "bt709",
    "-color_primaries",
    "bt709",
    "-color_trc",
    "bt709",
    "-color_range",
    "tv",
)
"""Given for the raw input too: tagging only the output makes ffmpeg insert a conversion
from "unknown" (the bytes change), and an untagged HD stream is decoded as BT.601 by
ffmpeg but as BT.709 by browsers."""


def yuv_planes(frame: np.ndarray, width: int, height: int) -> tuple[np.ndarray, ...]:
    """Y, U and V views into an I420 frame (``(height * 3 // 2, width)`` uint8)."""
    flat = frame.reshape(-1)
    n = width * height
    q = n // 4
    return (
        flat[:n].reshape(height, width),
        flat[n : n + q].reshape(height // 2, width // 2),
        flat[n + q : n + 2 * q].reshape(height // 2, width // 2),
    )


def _convert_into(rgb: Image.Image, planes: tuple[np.ndarray, ...], x: int, y: int) -> None:
    """Write ``rgb`` (even size) as YUV 4:2:0 at the even position ``(x, y)`` of ``planes``.

    Chroma is the 2x2 box average (``Image.reduce``), computed per region exactly
    as for a whole frame, so a pasted region meets its surroundings seamlessly.
    """
    w, h = rgb.size
    luma, cb, cr = rgb.convert("RGB", RGB_TO_YCBCR).split()
    planes[0][y : y + h, x : x + w] = np.asarray(luma)
    hx, hy, hw, hh = x // 2, y // 2, w // 2, h // 2
    planes[1][hy : hy + hh, hx : hx + hw] = np.asarray(cb.reduce(2))
    planes[2][hy : hy + hh, hx : hx + hw] = np.asarray(cr.reduce(2))


def rgb_to_yuv420(rgb: Image.Image) -> np.ndarray:
    """An RGB picture (even width and height) as an I420 frame (BT.709, limited range)."""
    w, h = rgb.size
    if w % 2 or h % 2:
        raise EngineError(f"Frames must have an even size for yuv420p, got {w}x{h}")
    frame = np.empty((h * 3 // 2, w), dtype=np.uint8)
    _convert_into(rgb.convert("RGB"), yuv_planes(frame, w, h), 0, 0)
    return frame


def yuv420_to_rgb(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """The RGB picture (HxWx3 uint8) an I420 frame shows, for checks and quality numbers."""
    y, u, v = (p.astype(np.float32) for p in yuv_planes(frame, width, height))
    u = np.repeat(np.repeat(u, 2, axis=0), 2, axis=1) - 128.0
    v = np.repeat(np.repeat(v, 2, axis=0), 2, axis=1) - 128.0
    luma = (y - 16.0) / _Y_SCALE
    r = luma + v * (2 * (1 - _KR)) / _C_SCALE
    b = luma + u * (2 * (1 - _KB)) / _C_SCALE
    g = (luma - _KR * r - _KB * b) / _KG
    return np.clip(np.rint(np.stack([r, g, b], axis=2)), 0, 255).astype(np.uint8)


def _blend(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """``(1 - alpha) * a + alpha * b`` for uint8 frames, in 8.8 fixed point.

    numpy on uint16 (3 ms per 1080x1920 frame) rather than ``Image.blend``:
    Pillow blends as fast, but handing its result back to numpy costs another
    4-5 ms of copies.
    """
    weight = round(alpha * 256)
    acc = np.multiply(a, 256 - weight, dtype=np.uint16)
    acc += np.multiply(b, weight, dtype=np.uint16)
    acc += 128  # at most 255 * 256 + 128: no overflow
    acc >>= 8
    return acc.astype(np.uint8)


def _even_box(box: Box, width: int, height: int) -> Box:
    """``box`` grown to even coordinates (and clipped to the frame), so that it covers
    whole chroma samples: converting it alone gives the same bytes as the whole frame."""
    x0, y0 = max(0, box.x - box.x % 2), max(0, box.y - box.y % 2)
    x1 = min(width, box.right + box.right % 2)
    y1 = min(height, box.bottom + box.bottom % 2)
    return Box(x0, y0, x1 - x0, y1 - y0)


class CueLike(Protocol):
    """What compose needs of a caption cue (``subtitles.Cue`` satisfies it)."""

    start: float
    end: float
    words: Sequence[TimedWord]


@dataclass(frozen=True)
class FrameState:
    """Everything that determines one output frame."""

    scene: int
    cue: int | None
    active: int | None
    """Index of the highlighted word within the cue."""
    blend_from: int | None = None
    """Previous scene while crossfading into ``scene``."""
    blend_step: int = 0
    """1..transition_frames during a crossfade."""


@dataclass(frozen=True)
class Segment:
    state: FrameState
    start_frame: int
    frames: int

    def start_s(self, fps: int) -> float:
        return self.start_frame / fps

    def duration_s(self, fps: int) -> float:
        return self.frames / fps


_Highlight = tuple[Image.Image, tuple[int, int, int, int]] | None
"""A highlight patch and its box in band coordinates (``caption_render.highlight_patch``)."""


class FrameRenderer:
    """Turns frame states into I420 frames (and RGB pictures for checks).

    Slides are converted to YUV once, on first use. A cue's frame without a
    highlight is composed once per scene; each word of the cue then re-converts
    only the rectangle where its highlighted band differs from the plain one
    (the pill, a few percent of the band). ``renders`` and ``prepare_s`` count
    the work, for the encode statistics.
    """

    def __init__(
        self,
        fmt: str,
        backgrounds: list[Image.Image],
        cue_words: list[tuple[str, ...]],
        transition_frames: int,
        accent: str | None,
    ) -> None:
        self.fmt = fmt
        self.width, self.height = backgrounds[0].size
        self.box = caption_box(fmt)
        self.region = _even_box(self.box, self.width, self.height)
        """The caption box grown to even coordinates: what a caption state re-converts."""
        self._images = backgrounds
        self._yuv: dict[int, np.ndarray] = {}
        self.cue_words = cue_words
        self._transition_frames = transition_frames
        self.accent = accent
        self._cue_frames: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._plain_bands: OrderedDict[int, Image.Image] = OrderedDict()
        self.renders = 0
        self.prepare_s = 0.0

    def fresh(self) -> FrameRenderer:
        """A renderer of the same pictures with empty caches (one per encoder thread)."""
        return FrameRenderer(
            self.fmt, self._images, self.cue_words, self._transition_frames, self.accent
        )

    def _alpha(self, state: FrameState) -> float:
        return state.blend_step / (self._transition_frames + 1)

    def _blending(self, state: FrameState) -> bool:
        return state.blend_from is not None and state.blend_step > 0

    def _has_caption(self, state: FrameState) -> bool:
        return state.cue is not None and bool(self.cue_words[state.cue])

    def background_yuv(self, scene: int) -> np.ndarray:
        """The slide of ``scene`` as a read-only I420 frame, converted once."""
        frame = self._yuv.get(scene)
        if frame is None:
            frame = rgb_to_yuv420(self._images[scene])
            frame.flags.writeable = False
            self._yuv[scene] = frame
        return frame

    def _plain_band(self, cue: int) -> Image.Image:
        """The cue's band without a highlight (RGBA, the caption box's size), cached."""
        band = self._plain_bands.get(cue)
        if band is None:
            band = render_caption_band(self.cue_words[cue], None, self.fmt, accent=self.accent)
            self._plain_bands[cue] = band
            if len(self._plain_bands) > 4:
                self._plain_bands.popitem(last=False)
        return band

    def _highlight(self, state: FrameState) -> _Highlight:
        assert state.cue is not None
        return highlight_patch(
            self.cue_words[state.cue], state.active, self.fmt, accent=self.accent
        )

    def _band_piece(self, state: FrameState, rect: Box, highlight: _Highlight) -> Image.Image:
        """``rect`` (frame coordinates) of the state's caption band, RGBA; transparent
        outside the band."""
        assert state.cue is not None
        bx, by = rect.x - self.box.x, rect.y - self.box.y
        piece = self._plain_band(state.cue).crop((bx, by, bx + rect.w, by + rect.h))
        if highlight is not None:
            patch, (hx, hy, _, _) = highlight
            piece.paste(patch, (hx - bx, hy - by))
        return piece

    def _background_rgb(self, state: FrameState, rect: Box) -> Image.Image:
        """A new image of ``rect`` of the state's background (crossfaded if need be)."""
        crop = (rect.x, rect.y, rect.right, rect.bottom)
        image = self._images[state.scene].crop(crop)
        if self._blending(state):
            assert state.blend_from is not None
            previous = self._images[state.blend_from].crop(crop)
            image = Image.blend(previous, image, self._alpha(state))
        return image

    def _composite(self, state: FrameState, rect: Box, highlight: _Highlight) -> Image.Image:
        """``rect`` of the background with the caption band alpha-blended over it (RGB)."""
        patch = self._background_rgb(state, rect)
        piece = self._band_piece(state, rect, highlight)
        patch.paste(piece.convert("RGB"), (0, 0), piece.getchannel("A"))
        return patch

    def _paste(
        self, frame: np.ndarray, state: FrameState, rect: Box, highlight: _Highlight
    ) -> None:
        """Compose ``rect`` (even-aligned) in RGB and write it into ``frame``'s planes."""
        patch = self._composite(state, rect, highlight)
        _convert_into(patch, yuv_planes(frame, self.width, self.height), rect.x, rect.y)

    def _blended_yuv(self, state: FrameState) -> np.ndarray:
        """A crossfade step: the two slides' frames blended in YUV.

        With a caption, the two scenes' caption frames are blended instead of
        composing the band over the blended slides: alpha compositing and the
        RGB-to-YUV conversion are both affine, so the result is the same up to
        rounding, and each caption frame is the cheap cached one.
        """
        assert state.blend_from is not None
        if not self._has_caption(state):
            a = self.background_yuv(state.blend_from)
            b = self.background_yuv(state.scene)
        else:
            a = self._word_frame(replace(state, scene=state.blend_from, blend_from=None))
            b = self._word_frame(replace(state, blend_from=None))
        return _blend(a, b, self._alpha(state))

    def _cue_frame(self, state: FrameState) -> np.ndarray:
        """The scene with the cue's plain band (no highlight), composed once, read-only."""
        assert state.cue is not None
        key = (state.scene, state.cue)
        frame = self._cue_frames.get(key)
        if frame is None:
            frame = self.background_yuv(state.scene).copy()
            self._paste(frame, state, self.region, None)
            frame.flags.writeable = False
            self._cue_frames[key] = frame
            if len(self._cue_frames) > 4:
                self._cue_frames.popitem(last=False)
        return frame

    def _word_frame(self, state: FrameState) -> np.ndarray:
        """The cue frame with the active word's highlight: only the pill's box is redone."""
        plain = self._cue_frame(state)
        highlight = self._highlight(state)
        if highlight is None:
            return plain
        x0, y0, x1, y1 = highlight[1]
        rect = _even_box(
            Box(self.box.x + x0, self.box.y + y0, x1 - x0, y1 - y0), self.width, self.height
        )
        frame = plain.copy()
        self._paste(frame, state, rect, highlight)
        return frame

    def render(self, state: FrameState) -> np.ndarray:
        """The I420 frame for ``state``, ``(height * 3 // 2, width)`` uint8.

        Read-only for callers: it may be a cached frame.
        """
        started = time.perf_counter()
        if self._blending(state):
            frame = self._blended_yuv(state)
        elif self._has_caption(state):
            frame = self._word_frame(state)
        else:
            frame = self.background_yuv(state.scene)
        self.renders += 1
        self.prepare_s += time.perf_counter() - started
        return frame

    def render_rgb(self, state: FrameState) -> np.ndarray:
        """The composed RGB picture for ``state`` (HxWx3), composed directly in RGB:
        the source picture the video encodes, for checks and quality numbers."""
        frame = np.array(self._background_rgb(state, Box(0, 0, self.width, self.height)))
        if self._has_caption(state):
            assert state.cue is not None
            r = self.region
            patch = self._composite(state, r, self._highlight(state))
            frame[r.y : r.bottom, r.x : r.right] = np.asarray(patch)
        return frame


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


# --------------------------------------------------------------------------- timeline


def _load_backgrounds(fmt: str, scene_frames: Sequence[SceneFrames]) -> list[Image.Image]:
    lay = layout(fmt)
    images: list[Image.Image] = []
    for sf in scene_frames:
        path = Path(sf.reel_path if fmt == "reel" else sf.landscape_path)
        try:
            with Image.open(path) as img:
                rgb = img.convert("RGB")
        except OSError as exc:
            raise EngineError(f"Cannot read slide {path}: {exc}") from None
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


def _frame_states(
    total_frames: int,
    fps: int,
    scene_starts: list[float],
    scene_order: list[int],
    cues: Sequence[Any],
    transition_frames: int,
    scene_ids: list[str],
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
    last_scene = None
    for k in range(total_frames):
        t = (k + 0.5) / fps
        si = max(0, bisect.bisect_right(scene_starts, t) - 1)
        scene = scene_order[si]
        if scene != last_scene:
            scene_first_frame[scene] = k
            if last_scene is not None:
                prev_scene_of[scene] = last_scene
            last_scene = scene

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
        since = k - scene_first_frame[scene]
        if scene in prev_scene_of and since < transition_frames:
            blend_from = prev_scene_of[scene]
            step = since + 1
        states.append(FrameState(scene, cue, active, blend_from, step))
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

    states = _frame_states(
        total_frames,
        fps,
        scene_starts,
        scene_order,
        sorted_cues,
        transition_frames,
        [str(s[0]) for s in spans],
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
    renderer = FrameRenderer(fmt, backgrounds, cue_words, transition_frames, accent)
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


# --------------------------------------------------------------------------- output files


def _temp_path(out_path: Path, role: str = "") -> Path:
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}{role}"
    return out_path.with_name(f".{out_path.stem}.{tag}.part.mp4")


def _prepare_output_dir(out_path: Path) -> None:
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"Cannot create the output directory {out_path.parent}: {exc.strerror or exc}",
            hint="Choose a writable data directory",
        ) from None
    if not os.access(out_path.parent, os.W_OK):
        raise OutputError(
            f"Cannot write to {out_path.parent}: permission denied",
            hint="Choose a writable data directory",
        )
    _remove_stale_parts(out_path)


def _remove_stale_parts(out_path: Path) -> None:
    """Delete temp files left by encoders that were killed (kill -9 skips every cleanup).

    A part file names its writer's pid; one whose process is gone can never be
    finished, so it is only wasted disk. Live writers' files are left alone.
    """
    for part in out_path.parent.glob(f".{out_path.stem}.*.part.mp4"):
        pid_text = part.name[len(out_path.stem) + 2 :].split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            part.unlink(missing_ok=True)
        except PermissionError:
            pass  # alive, owned by someone else


def _cleanup(*paths: Path) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove temporary file %s: %s", path, exc)


_FFMPEG_PREFIX_RE = re.compile(r"^(\[[^\]]*\]\s*)+")
_DISK_MESSAGES = ("No space left on device", "Permission denied", "Read-only file system")


def ffmpeg_reason(text: str) -> str:
    """The most telling line of ffmpeg's (or moviepy's) error text: the first error line,
    without ``[libx264 @ 0x...]`` prefixes."""
    lines = [_FFMPEG_PREFIX_RE.sub("", line.strip()) for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith(("MoviePy error", "[Errno"))]
    for line in lines:
        if "error" in line.lower() or "invalid" in line.lower():
            return line[:300]
    return (lines[-1] if lines else "no error output")[:300]


@contextlib.contextmanager
def _encode_errors(out_path: Path) -> Iterator[None]:
    """Our own errors pass; anything else becomes one clear line about ``out_path``."""
    try:
        yield
    except (EngineError, OutputError):
        raise
    except Exception as exc:
        raise _encode_error(exc, out_path) from exc


def _encode_error(exc: BaseException, out_path: Path) -> Exception:
    text = str(exc)
    disk = next((m for m in _DISK_MESSAGES if m in text), None)
    if (isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS) or disk:
        reason = disk or (exc.strerror if isinstance(exc, OSError) else None) or text
        return OutputError(
            f"Cannot write {out_path}: {reason}",
            hint="Free disk space or choose a writable data directory",
        )
    return EngineError(f"Video encoding of {out_path.name} failed: {ffmpeg_reason(text)}")


def _verify(path: Path, timeline: Timeline, audio_s: float) -> Any:
    info = video_info(path)
    problems = []
    if info.vcodec != "h264":
        problems.append(f"video codec {info.vcodec}")
    if info.acodec != "aac":
        problems.append(f"audio codec {info.acodec}")
    if (info.width, info.height) != (timeline.width, timeline.height):
        problems.append(f"size {info.width}x{info.height}")
    if info.frame_count and info.frame_count != timeline.total_frames:
        problems.append(f"{info.frame_count} frames instead of {timeline.total_frames}")
    if abs(info.duration_s - audio_s) > DURATION_TOLERANCE_S:
        problems.append(f"duration {info.duration_s:.2f} s for {audio_s:.2f} s of narration")
    if problems:
        raise EngineError(f"Encoded video {path.name} is wrong: {', '.join(problems)}")
    return info


def _finish(tmp: Path, out_path: Path, timeline: Timeline, audio_s: float | None) -> VideoFile:
    """Probe and move into place; ``audio_s=None``: a video-only scene chunk, not probed
    (ffmpeg took exactly its frames and exited cleanly; the joined video is probed)."""
    if audio_s is None:
        width, height, duration_s = timeline.width, timeline.height, timeline.duration_s
    else:
        info = _verify(tmp, timeline, audio_s)
        width, height, duration_s = info.width, info.height, info.duration_s
    try:
        os.replace(tmp, out_path)
    except OSError as exc:
        raise OutputError(
            f"Cannot move the video into place at {out_path}: {exc.strerror or exc}"
        ) from None
    return VideoFile(
        format=timeline.fmt,  # type: ignore[arg-type]
        path=str(out_path),
        width=width,
        height=height,
        duration_s=round(duration_s, 3),
        size_bytes=out_path.stat().st_size,
    )


# --------------------------------------------------------------------------- encoding


@dataclass
class EncodeStats:
    """Where an encode's time went (read by the benchmark through :func:`encode_stats`)."""

    pipeline: str
    """``"moviepy"`` or ``"ffmpeg"`` (the bare baseline)."""
    preset: str
    crf: int
    frames_written: int = 0
    distinct_frames: int = 0
    """Frames composed (one per segment): the rest are repeats of the same buffer."""
    prepare_s: float = 0.0
    """Composing and converting the distinct frames (slides to YUV, caption regions, fades)."""
    ffmpeg_wall_s: float = 0.0
    """From starting ffmpeg to its exit: includes waiting for frames."""
    total_s: float = 0.0
    """The whole call: timeline, encode, ffprobe check, move into place."""
    chunks: int = 0
    """Scene chunks of the timeline (0: encoded in one piece)."""
    chunks_reused: int = 0
    """Chunks whose earlier encode was reused because their frames are unchanged."""

    def add(self, chunk: EncodeStats) -> None:
        """Count one chunk's encode into these totals."""
        self.frames_written += chunk.frames_written
        self.distinct_frames += chunk.distinct_frames
        self.prepare_s += chunk.prepare_s
        self.ffmpeg_wall_s += chunk.ffmpeg_wall_s

    @property
    def ms_per_distinct_frame(self) -> float:
        return 1000 * self.prepare_s / self.distinct_frames if self.distinct_frames else 0.0


_stats = threading.local()


def encode_stats() -> EncodeStats | None:
    """The statistics of the latest encode in this thread (``None`` before the first)."""
    return getattr(_stats, "latest", None)


def ffmpeg_command(
    timeline: Timeline,
    narration_wav: Path | None,
    out_path: Path,
    *,
    preset: str,
    crf: int,
    threads: int,
) -> list[str]:
    """One ffmpeg process: raw yuv420p frames on stdin plus the WAV in, H.264 + AAC mp4 out.

    Without a WAV: a video-only mp4 (one scene's chunk, joined later)."""
    audio_in = ["-i", str(narration_wav), "-map", "0:v:0", "-map", "1:a:0"]
    audio_out = list(AAC_OPTIONS)
    if narration_wav is None:
        audio_in, audio_out = ["-map", "0:v:0"], ["-an"]
    return [
        ffmpeg_path(),
        "-y",
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "-s",
        f"{timeline.width}x{timeline.height}",
        "-r",
        str(timeline.fps),
        *COLOR_TAGS,
        "-i",
        "-",
        *audio_in,
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-crf",
        str(crf),
        "-threads",
        str(threads),
        "-pix_fmt",
        "yuv420p",
        *COLOR_TAGS,
        *audio_out,
        "-movflags",
        "+faststart",
        str(out_path),
    ]


def _frame_view(frame: np.ndarray, timeline: Timeline) -> memoryview:
    """A flat byte view of ``frame`` (no copy), after checking it is a raw yuv420p frame."""
    if frame.dtype != np.uint8 or frame.nbytes != timeline.frame_bytes:
        raise EngineError(
            f"Frame of shape {frame.shape} ({frame.dtype}) is not a "
            f"{timeline.width}x{timeline.height} yuv420p frame"
        )
    return memoryview(np.ascontiguousarray(frame)).cast("B")


def _pump(
    frames: Iterable[np.ndarray],
    sink: IO[bytes],
    timeline: Timeline,
    progress: Callable[[float], None] | None,
) -> int:
    """Write ``frames`` to ffmpeg's stdin; a frame object repeated is written from the same view."""
    total = timeline.total_frames
    every = max(1, total // 100)
    last: np.ndarray | None = None
    view = memoryview(b"")
    written = 0
    for frame in frames:
        if frame is not last:
            view = _frame_view(frame, timeline)
            last = frame
        if written >= total:
            raise EngineError(f"More frames than the {total} the timeline has")
        sink.write(view)
        written += 1
        if progress is not None and written % every == 0:
            progress(min(0.99, written / total))
    return written


def _set_pipe_size(pipe: IO[bytes], size: int) -> None:
    """A 1 MiB pipe instead of 64 KiB: fewer wake-ups per 3 MB frame (Linux only, optional)."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except (ImportError, OSError, ValueError):
        pass


def _encode(
    frames: Iterable[np.ndarray],
    timeline: Timeline,
    narration_wav: Path | None,
    out_path: Path,
    *,
    audio_s: float | None,
    stats: EncodeStats,
    threads: int,
    progress: Callable[[float], None] | None,
) -> VideoFile:
    """Run ffmpeg on ``frames``; the file appears at ``out_path`` only once complete and checked.

    ffmpeg writes to a temporary name next to ``out_path``; the result is probed
    (codecs, size, frame count, duration) and then moved into place, so
    ``out_path`` is either the previous file or a complete new one.
    """
    _prepare_output_dir(out_path)
    tmp = _temp_path(out_path)
    cmd = ffmpeg_command(
        timeline, narration_wav, tmp, preset=stats.preset, crf=stats.crf, threads=threads
    )
    renders, prepare_s = timeline.renderer.renders, timeline.renderer.prepare_s
    proc: subprocess.Popen[bytes] | None = None
    try:
        with _encode_errors(out_path):
            # stderr goes to a file: a pipe nobody reads could fill up and stall ffmpeg
            with tempfile.TemporaryFile() as err:
                started = time.perf_counter()
                proc = subprocess.Popen(
                    cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err
                )
                assert proc.stdin is not None
                _set_pipe_size(proc.stdin, 1 << 20)
                written, broken = 0, False
                try:
                    written = _pump(frames, proc.stdin, timeline, progress)
                    proc.stdin.close()
                except BrokenPipeError:  # ffmpeg quit early: its stderr says why
                    broken = True
                code = proc.wait()
                stats.ffmpeg_wall_s = time.perf_counter() - started
                err.seek(0)
                stderr = err.read().decode("utf-8", "replace").strip()
            if code != 0 or broken:
                raise _encode_error(RuntimeError(stderr or f"ffmpeg exited with {code}"), out_path)
            if written != timeline.total_frames:
                raise EngineError(
                    f"Video encoding of {out_path.name} got {written} of {timeline.total_frames} frames"
                )
            stats.frames_written = written
            stats.distinct_frames = timeline.renderer.renders - renders
            stats.prepare_s = timeline.renderer.prepare_s - prepare_s
            return _finish(tmp, out_path, timeline, audio_s)
    finally:
        close = getattr(frames, "close", None)
        if close is not None:  # a generator: release moviepy's clips now, not at collection
            close()
        if proc is not None and proc.poll() is None:  # a frame source failed mid-way
            proc.kill()
            proc.wait()
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):  # unflushed bytes after ffmpeg quit
                proc.stdin.close()
        _cleanup(tmp)


def _log_stats(timeline: Timeline, stats: EncodeStats) -> None:
    _stats.latest = stats
    chunks = (
        f", {stats.chunks - stats.chunks_reused} of {stats.chunks} scene chunks encoded"
        if stats.chunks
        else ""
    )
    log.info(
        "%s video (%s, %s): %d frames, %d distinct (%.1f ms each), %.1f s of video "
        "encoded in %.1f s (ffmpeg %.1f s)%s",
        timeline.fmt,
        stats.pipeline,
        stats.preset,
        stats.frames_written,
        stats.distinct_frames,
        stats.ms_per_distinct_frame,
        timeline.duration_s,
        stats.total_s,
        stats.ffmpeg_wall_s,
        chunks,
    )


# --------------------------------------------------------------------------- scene chunks


@dataclass(frozen=True)
class SceneChunk:
    """The frames of one scene, its crossfade in included, as a timeline of their own.

    Each chunk is encoded to its own video-only file named by a hash of exactly what
    its frames show, and the chunks are joined without re-encoding (ffmpeg's concat
    demuxer, ``-c:v copy``). A later render reuses every chunk whose frames did not
    change, so editing one scene re-encodes that scene (and the crossfade into the
    next one), not the whole video.
    """

    start_frame: int
    timeline: Timeline


CHUNK_PRUNE_AFTER_S = 3600.0
"""Chunks unused by a render are deleted once this old: a render still running
elsewhere (the CLI and the daemon share the data directory) may be about to use them."""


def scene_chunks(timeline: Timeline) -> list[SceneChunk]:
    """Split ``timeline`` where the scene changes (segments never straddle a scene)."""
    groups: list[list[Segment]] = []
    for segment in timeline.segments:
        if groups and groups[-1][-1].state.scene == segment.state.scene:
            groups[-1].append(segment)
        else:
            groups.append([segment])
    chunks = []
    for group in groups:
        start = group[0].start_frame
        frames = sum(s.frames for s in group)
        rebased = [Segment(s.state, s.start_frame - start, s.frames) for s in group]
        piece = replace(timeline, total_frames=frames, segments=rebased)
        chunks.append(SceneChunk(start, piece))
    return chunks


def chunk_key(chunk: SceneChunk, slide_digests: Sequence[str], preset: str, crf: int) -> str:
    """A hash of everything that decides a chunk's encoded bytes: its frames' content
    (slides by content, caption words, highlighted word, crossfade step, lengths),
    the picture settings and the code that draws and encodes them."""
    timeline = chunk.timeline
    renderer = timeline.renderer
    frames = [
        (
            slide_digests[s.state.scene],
            None if s.state.blend_from is None else slide_digests[s.state.blend_from],
            None if s.state.cue is None else renderer.cue_words[s.state.cue],
            s.state.active,
            s.state.blend_step,
            s.frames,
        )
        for s in timeline.segments
    ]
    return fingerprint(
        "scene-chunk",
        source_version(*ENCODE_SOURCES),
        timeline.fmt,
        timeline.width,
        timeline.height,
        timeline.fps,
        timeline.transition_frames,
        renderer.accent,
        preset,
        crf,
        frames,
    )[:32]


def _concat_list(paths: Sequence[Path], listing: Path) -> None:
    lines = ["ffconcat version 1.0"]
    for path in paths:
        quoted = str(path.resolve()).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _ffmpeg_quiet(*args: str) -> list[str]:
    return [ffmpeg_path(), "-y", "-hide_banner", "-loglevel", "error", *args]


class _AudioTrack:
    """The narration as AAC, kept next to the chunks under a hash of the WAV: encoded in the
    background while the scene chunks encode, or reused when the narration is unchanged."""

    def __init__(self, narration_wav: Path, chunks_dir: Path, reuse: bool = True) -> None:
        key = fingerprint("aac", AAC_OPTIONS, Path(narration_wav))[:32]
        self.path = chunks_dir / f"audio-{key}.m4a"
        self._tmp = _temp_path(self.path)
        self._proc: subprocess.Popen[bytes] | None = None
        if reuse and self.path.is_file():
            with contextlib.suppress(OSError):
                os.utime(self.path)  # its last use, for pruning
            return
        _prepare_output_dir(self.path)  # also removes temp files of killed encoders
        cmd = _ffmpeg_quiet(
            "-i", str(narration_wav), "-vn", *AAC_OPTIONS, "-f", "mp4", str(self._tmp)
        )
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def wait(self, out_path: Path) -> Path:
        """The finished AAC file (an error names ``out_path``, the video being made)."""
        if self._proc is not None:
            _, err = self._proc.communicate()
            if self._proc.returncode != 0:
                text = err.decode("utf-8", "replace") or "ffmpeg failed"
                raise _encode_error(RuntimeError(text), out_path)
            os.replace(self._tmp, self.path)
            self._proc = None
        return self.path

    def close(self) -> None:
        """Stop an encode still running (a chunk failed) and remove its temp file."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
        _cleanup(self._tmp)


def _join_chunks(
    chunk_paths: Sequence[Path],
    audio_path: Path,
    timeline: Timeline,
    out_path: Path,
    audio_s: float,
) -> VideoFile:
    """Join encoded chunks and the AAC narration (both stream copies); checked, then moved
    into place like a single encode."""
    tmp = _temp_path(out_path)
    listing = tmp.with_name(tmp.name + ".txt")
    cmd = _ffmpeg_quiet(
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        str(listing),
        "-i",
        str(audio_path),
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        str(tmp),
    )
    try:
        with _encode_errors(out_path):
            _concat_list(chunk_paths, listing)
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
            if proc.returncode != 0:
                raise _encode_error(RuntimeError(proc.stderr or "ffmpeg failed"), out_path)
            return _finish(tmp, out_path, timeline, audio_s)
    finally:
        _cleanup(tmp, listing)


def _prune_chunks(chunks_dir: Path, used: set[Path]) -> None:
    """Delete chunk files this render did not use and nobody used for a while."""
    now = time.time()
    for path in [*chunks_dir.glob("*.mp4"), *chunks_dir.glob("*.m4a")]:
        if path in used:
            continue
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > CHUNK_PRUNE_AFTER_S:
                path.unlink()


def _encode_in_chunks(
    frames_of: Callable[[Timeline], Iterator[np.ndarray]],
    timeline: Timeline,
    slide_digests: Sequence[str],
    narration_wav: Path,
    out_path: Path,
    chunks_dir: Path,
    *,
    audio_s: float,
    stats: EncodeStats,
    threads: int,
    progress: Callable[[float], None] | None,
    reuse: bool = True,
) -> VideoFile:
    """Encode each scene chunk that has no encode yet (every one when not ``reuse``), then
    join all chunks with the audio."""
    _prepare_output_dir(out_path)
    chunks = scene_chunks(timeline)
    paths = [
        chunks_dir / f"{chunk_key(chunk, slide_digests, stats.preset, stats.crf)}.mp4"
        for chunk in chunks
    ]
    audio = _AudioTrack(narration_wav, chunks_dir, reuse)
    try:
        todo = []
        for chunk, path in zip(chunks, paths, strict=True):
            if reuse and path.is_file():
                stats.chunks_reused += 1
                with contextlib.suppress(OSError):
                    os.utime(path)  # its last use, for pruning
            else:
                todo.append((chunk, path))
        stats.chunks = len(chunks)
        _encode_chunks(frames_of, todo, timeline.total_frames, stats, threads, progress)
        try:
            result = _join_chunks(paths, audio.wait(out_path), timeline, out_path, audio_s)
        except EngineError:
            # A stored chunk or audio file that cannot be joined into a correct video
            # (damaged on disk, say) must not fail every later render too.
            _cleanup(*paths, audio.path)
            raise
    finally:
        audio.close()
    _prune_chunks(chunks_dir, {*paths, audio.path})
    return result


MAX_CHUNK_ENCODERS = 4


def _encode_chunks(
    frames_of: Callable[[Timeline], Iterator[np.ndarray]],
    todo: list[tuple[SceneChunk, Path]],
    total_frames: int,
    stats: EncodeStats,
    threads: int,
    progress: Callable[[float], None] | None,
) -> None:
    """Encode chunks side by side, longest first, ``threads`` shared among the encoders.

    Two single-threaded x264 processes keep two cores busier than one two-threaded
    one (its frame threads wait on each other, and on the frames we compose): a 33 s
    reel's chunks took 5.2 s this way against 6.5 s one after another (median of 3).
    Each encoder composes its frames with its own renderer (their caches are not
    shared between threads).
    """
    if not todo:
        return
    workers = max(1, min(len(todo), threads, MAX_CHUNK_ENCODERS))
    per_encoder = max(1, threads // workers)
    lock = threading.Lock()
    done: dict[int, float] = {}
    reused = total_frames - sum(chunk.timeline.total_frames for chunk, _ in todo)
    shown = [0.0]

    def report(index: int, frames: int) -> Callable[[float], None] | None:
        if progress is None:
            return None

        def update(fraction: float) -> None:
            with lock:
                done[index] = fraction * frames
                value = min(0.99, (reused + sum(done.values())) / total_frames)
                if value > shown[0]:
                    shown[0] = value
                    progress(value)

        return update

    def encode(index: int, chunk: SceneChunk, path: Path) -> EncodeStats:
        timeline = chunk.timeline
        if workers > 1:
            timeline = replace(timeline, renderer=timeline.renderer.fresh())
        chunk_stats = EncodeStats(stats.pipeline, stats.preset, stats.crf)
        _encode(
            frames_of(timeline),
            timeline,
            None,
            path,
            audio_s=None,
            stats=chunk_stats,
            threads=per_encoder,
            progress=report(index, timeline.total_frames),
        )
        return chunk_stats

    order = sorted(range(len(todo)), key=lambda i: -todo[i][0].timeline.total_frames)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(encode, i, *todo[i]) for i in order]
        try:
            for future in futures:
                stats.add(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


# --------------------------------------------------------------------------- moviepy


def _clip_durations(timeline: Timeline) -> list[float]:
    """Segment durations for moviepy's chain concatenation.

    moviepy picks the clip whose cumulative start is <= the frame time; putting
    every boundary half a frame before the frame it belongs to makes that choice
    immune to float rounding. The last clip gets a quarter frame extra so that
    ``int(duration * fps)`` counts the final frame.
    """
    fps = timeline.fps
    counts = [s.frames for s in timeline.segments]
    durations = [n / fps for n in counts]
    if len(durations) > 1:
        durations[0] -= 0.5 / fps
        durations[-1] += 0.5 / fps
    durations[-1] += 0.25 / fps
    return durations


def _segment_clips(timeline: Timeline) -> list[Any]:
    """One still clip per segment; all frames of a segment are the same array object."""
    from moviepy import VideoClip

    cache: dict[str, Any] = {"segment": None, "frame": None}

    def frame_of(segment: Segment) -> np.ndarray:
        if cache["segment"] is not segment:
            cache["frame"] = timeline.frame(segment)
            cache["segment"] = segment
        return cache["frame"]

    clips = []
    size = (timeline.width, timeline.height)
    for segment, duration in zip(timeline.segments, _clip_durations(timeline), strict=True):
        clip = VideoClip(duration=duration)
        clip.frame_function = lambda t, s=segment: frame_of(s)
        clip.size = size
        clips.append(clip)
    return clips


def _moviepy_frames(timeline: Timeline) -> Iterator[np.ndarray]:
    """The timeline's frames as moviepy produces them (chained still clips, ``iter_frames``)."""
    from moviepy import concatenate_videoclips

    video = concatenate_videoclips(_segment_clips(timeline), method="chain")
    try:
        yield from video.iter_frames(fps=timeline.fps, dtype="uint8")
    finally:
        video.close()


def render_video(
    fmt: str,
    scene_frames: list[SceneFrames],
    scene_spans: list[tuple[str, float, float]],
    cues: Sequence[CueLike],
    narration_wav: Path,
    out_path: Path,
    *,
    fps: int = 30,
    preset: str = "ultrafast",
    crf: int = 23,
    threads: int = 2,
    transition_s: float = 0.25,
    progress: Callable[[float], None] | None = None,
    accent: str | None = None,
    chunks_dir: Path | None = None,
    reuse_chunks: bool = True,
) -> VideoFile:
    """Encode the ``fmt`` video (H.264 yuv420p BT.709 + AAC, faststart) from moviepy clips.

    Frames come from moviepy; the encoder is our own ffmpeg process (see the
    module docstring for why). Written to a temporary file next to ``out_path``,
    checked with ffprobe, then moved into place, so ``out_path`` is either the
    previous file or a complete new one, never a partial write. With
    ``chunks_dir`` each scene is encoded to a chunk kept there, and chunks whose
    frames are unchanged since an earlier render are reused (:class:`SceneChunk`).
    """
    return _render(
        "moviepy",
        _moviepy_frames,
        fmt,
        scene_frames,
        scene_spans,
        cues,
        Path(narration_wav),
        Path(out_path),
        fps=fps,
        preset=preset,
        crf=crf,
        threads=threads,
        transition_s=transition_s,
        progress=progress,
        accent=accent,
        chunks_dir=None if chunks_dir is None else Path(chunks_dir),
        reuse_chunks=reuse_chunks,
    )


def _render(
    engine: str,
    frames_of: Callable[[Timeline], Iterator[np.ndarray]],
    fmt: str,
    scene_frames: list[SceneFrames],
    scene_spans: list[tuple[str, float, float]],
    cues: Sequence[CueLike],
    narration_wav: Path,
    out_path: Path,
    *,
    fps: int,
    preset: str,
    crf: int,
    threads: int,
    transition_s: float,
    progress: Callable[[float], None] | None,
    accent: str | None,
    chunks_dir: Path | None = None,
    reuse_chunks: bool = True,
) -> VideoFile:
    """Build the timeline, encode the frames ``frames_of`` yields, record and log the stats.

    One body for the product path and the benchmark's baseline, so the two differ
    only in where the frames come from.
    """
    started = time.perf_counter()
    audio_s = audio_duration(narration_wav)
    timeline = build_segments(
        fmt,
        scene_frames,
        scene_spans,
        cues,
        duration_s=audio_s,
        fps=fps,
        transition_s=transition_s,
        accent=accent,
    )
    stats = EncodeStats(engine, preset, crf)
    if chunks_dir is None:
        result = _encode(
            frames_of(timeline),
            timeline,
            narration_wav,
            out_path,
            audio_s=audio_s,
            stats=stats,
            threads=threads,
            progress=progress,
        )
    else:
        slides = [Path(sf.reel_path if fmt == "reel" else sf.landscape_path) for sf in scene_frames]
        result = _encode_in_chunks(
            frames_of,
            timeline,
            [file_digest(path) for path in slides],
            narration_wav,
            out_path,
            chunks_dir,
            audio_s=audio_s,
            stats=stats,
            threads=threads,
            progress=progress,
            reuse=reuse_chunks,
        )
    stats.total_s = time.perf_counter() - started
    _log_stats(timeline, stats)
    if progress:
        progress(1.0)
    return result


# --------------------------------------------------------------------------- bare ffmpeg


def _timeline_frames(timeline: Timeline) -> Iterator[np.ndarray]:
    """The same frames as :func:`_moviepy_frames`, from a plain loop over the segments."""
    for segment in timeline.segments:
        frame = timeline.frame(segment)
        for _ in range(segment.frames):
            yield frame


def render_frames_ffmpeg_baseline(
    fmt: str,
    scene_frames: list[SceneFrames],
    scene_spans: list[tuple[str, float, float]],
    cues: Sequence[CueLike],
    narration_wav: Path,
    out_path: Path,
    *,
    fps: int = 30,
    preset: str = "ultrafast",
    crf: int = 23,
    threads: int = 2,
    transition_s: float = 0.25,
    accent: str | None = None,
) -> VideoFile:
    """The same video as :func:`render_video`, encoded by bare ffmpeg (for the benchmark)."""
    return _render(
        "ffmpeg",
        _timeline_frames,
        fmt,
        scene_frames,
        scene_spans,
        cues,
        Path(narration_wav),
        Path(out_path),
        fps=fps,
        preset=preset,
        crf=crf,
        threads=threads,
        transition_s=transition_s,
        progress=None,
        accent=accent,
    )
