"""Frame states and the renderer that turns them into I420 frames.

A narrated slide video changes picture only when the spoken word, the cue or the
scene changes; a :class:`FrameState` is everything that decides one frame, and
the renderer composes each distinct state once, in the encoder's own format:

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
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image

from repo2video_dagster.lib.render.caption_bands import (
    caption_box,
    highlight_patch,
    render_caption_band,
)
from repo2video_dagster.lib.render.slides.canvas import background_crop
from repo2video_dagster.lib.render.slides.picture import load_picture, zoomed
from repo2video_dagster.lib.render.theme import Box, hex_to_rgb
from repo2video_dagster.lib.render.video.yuv import (
    blend_frames,
    convert_into,
    even_box,
    rgb_to_yuv420,
    yuv_planes,
)


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
    stage: int = 0
    """How many of the scene's motion steps have happened (0: none yet)."""
    blend_stage: int = 0
    """The stage of ``blend_from`` that is faded out."""
    fade: int = 0
    """Length in frames of this fade when it is not ``transition_frames`` (a step's fade)."""


_Highlight = tuple[Image.Image, tuple[int, int, int, int]] | None
"""A highlight patch and its box in band coordinates (``caption_bands.highlight_patch``)."""


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
        steps: list[list[dict[str, Any]]] | None = None,
    ) -> None:
        self.fmt = fmt
        self.steps = steps or [[] for _ in backgrounds]
        """Each scene's motion steps (``SceneFrames.reel_steps``)."""
        self._complete: dict[int, np.ndarray] = {}
        self._sources: dict[str, Image.Image | None] = {}
        self.width, self.height = backgrounds[0].size
        self.box = caption_box(fmt)
        self.region = even_box(self.box, self.width, self.height)
        """The caption box grown to even coordinates: what a caption state re-converts."""
        self._images = backgrounds
        self._yuv: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self.cue_words = cue_words
        self._transition_frames = transition_frames
        self.accent = accent
        self._cue_frames: OrderedDict[tuple[int, int, int], np.ndarray] = OrderedDict()
        self._word_frames: OrderedDict[tuple[int, int, int, int | None], np.ndarray] = OrderedDict()
        self._plain_bands: OrderedDict[int, Image.Image] = OrderedDict()
        self.renders = 0
        self.prepare_s = 0.0

    def fresh(self) -> FrameRenderer:
        """A renderer of the same pictures with empty caches (one per encoder thread)."""
        return FrameRenderer(
            self.fmt, self._images, self.cue_words, self._transition_frames, self.accent, self.steps
        )

    def _alpha(self, state: FrameState) -> float:
        return state.blend_step / ((state.fade or self._transition_frames) + 1)

    def _steps(self, scene: int) -> list[dict[str, Any]]:
        if self.accent is None or scene >= len(self.steps):
            return []  # not one of our slides: no background to reveal from
        return self.steps[scene]

    def _changed_boxes(self, scene: int, stage: int) -> list[tuple[int, int, int, int]]:
        """Where the slide at ``stage`` differs from the complete slide."""
        steps = self._steps(scene)
        boxes = [
            tuple(st["box"])
            for i, st in enumerate(steps)
            if (st["kind"] == "reveal" and i >= stage) or (st["kind"] == "spot" and i == stage - 1)
        ]
        zoom = [st for st in steps[:stage] if st["kind"] == "zoom"]
        if zoom:
            boxes.append(tuple(zoom[-1]["box"]))
        return boxes  # type: ignore[return-value]

    def _source(self, path: str) -> Image.Image | None:
        if path not in self._sources:
            self._sources[path] = load_picture(path)
        return self._sources[path]

    def _patch(self, scene: int, stage: int, rect: Box) -> Image.Image:
        """A new RGB image of ``rect`` of the slide at motion ``stage``: reveal boxes not yet
        reached show the background, the spotlit step is tinted with the accent, a zoom
        step redraws its picture. Only ``rect`` is computed."""
        rx, ry = rect.x, rect.y
        image = self._images[scene].crop((rx, ry, rect.right, rect.bottom))
        steps = self._steps(scene)
        if not steps:
            return image
        stage = min(stage, len(steps))

        def meets(box: list[int]) -> bool:
            return box[0] < rect.right and box[2] > rx and box[1] < rect.bottom and box[3] > ry

        accent = hex_to_rgb(self.accent or "#000000")
        zoom = [st for st in steps[:stage] if st["kind"] == "zoom"]
        if zoom and meets(zoom[-1]["box"]):
            x0, y0, x1, y1 = zoom[-1]["box"]
            source = self._source(zoom[-1]["image"])
            if source is not None:
                image.paste(
                    zoomed(source, (x1 - x0, y1 - y0), zoom[-1]["zoom"]), (x0 - rx, y0 - ry)
                )
        # Hidden reveals last to first: a card hidden later covers the lines inside it.
        for index in range(len(steps) - 1, stage - 1, -1):
            step = steps[index]
            if step["kind"] != "reveal" or not meets(step["box"]):
                continue
            x0, y0, x1, y1 = step["box"]
            if "fill" in step:
                image.paste(tuple(step["fill"]), (x0 - rx, y0 - ry, x1 - rx, y1 - ry))
            else:
                hidden = background_crop((self.width, self.height), accent, (x0, y0, x1, y1))
                image.paste(hidden, (x0 - rx, y0 - ry))
        for index, step in enumerate(steps):
            if not meets(step["box"]):
                continue
            x0, y0, x1, y1 = step["box"]
            if step["kind"] == "spot" and index == stage - 1:
                ix0, iy0 = max(x0, rx) - rx, max(y0, ry) - ry
                ix1, iy1 = min(x1, rect.right) - rx, min(y1, rect.bottom) - ry
                region = np.asarray(image.crop((ix0, iy0, ix1, iy1)), dtype=np.uint16)
                tinted = (region * 200 + np.array(accent, dtype=np.uint16) * 56 + 128) >> 8
                bar = max(0, min(ix1 - ix0, x0 + 8 - (ix0 + rx)))
                tinted[:, :bar] = accent
                image.paste(Image.fromarray(tinted.astype(np.uint8)), (ix0, iy0))
        return image

    def picture(self, scene: int, stage: int) -> Image.Image:
        """The whole slide of ``scene`` at motion ``stage`` (RGB), for checks and tests."""
        if not self._changed_boxes(scene, stage):
            return self._images[scene]
        return self._patch(scene, stage, Box(0, 0, self.width, self.height))

    def _blending(self, state: FrameState) -> bool:
        return state.blend_from is not None and state.blend_step > 0

    def _has_caption(self, state: FrameState) -> bool:
        return state.cue is not None and bool(self.cue_words[state.cue])

    def background_yuv(self, scene: int, stage: int = 0) -> np.ndarray:
        """The slide of ``scene`` at ``stage`` as a read-only I420 frame.

        The complete slide is converted once; a motion stage copies it and re-converts
        only the boxes where the stage differs (even-aligned, so the bytes equal those of
        converting the whole picture).
        """
        boxes = self._changed_boxes(scene, stage)
        key = (scene, stage if boxes else -1)
        frame = self._yuv.get(key)
        if frame is not None:
            self._yuv.move_to_end(key)
            return frame
        complete = self._complete.get(scene)
        if complete is None:
            complete = rgb_to_yuv420(self._images[scene])
            complete.flags.writeable = False
            self._complete[scene] = complete
        if not boxes:
            return complete
        frame = complete.copy()
        planes = yuv_planes(frame, self.width, self.height)
        for x0, y0, x1, y1 in boxes:
            rect = even_box(Box(x0, y0, x1 - x0, y1 - y0), self.width, self.height)
            convert_into(self._patch(scene, stage, rect), planes, rect.x, rect.y)
        frame.flags.writeable = False
        self._yuv[key] = frame
        if len(self._yuv) > 12:
            self._yuv.popitem(last=False)
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
        image = self._patch(state.scene, state.stage, rect)
        if self._blending(state):
            assert state.blend_from is not None
            previous = self._patch(state.blend_from, state.blend_stage, rect)
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
        convert_into(patch, yuv_planes(frame, self.width, self.height), rect.x, rect.y)

    def _blended_yuv(self, state: FrameState) -> np.ndarray:
        """A crossfade step: the two slides' frames blended in YUV.

        With a caption, the two scenes' caption frames are blended instead of
        composing the band over the blended slides: alpha compositing and the
        RGB-to-YUV conversion are both affine, so the result is the same up to
        rounding, and each caption frame is the cheap cached one.
        """
        assert state.blend_from is not None
        if not self._has_caption(state):
            a = self.background_yuv(state.blend_from, state.blend_stage)
            b = self.background_yuv(state.scene, state.stage)
        else:
            a = self._word_frame(
                replace(state, scene=state.blend_from, stage=state.blend_stage, blend_from=None)
            )
            b = self._word_frame(replace(state, blend_from=None))
        return blend_frames(a, b, self._alpha(state))

    def _cue_frame(self, state: FrameState) -> np.ndarray:
        """The scene with the cue's plain band (no highlight), composed once, read-only."""
        assert state.cue is not None
        key = (state.scene, state.stage, state.cue)
        frame = self._cue_frames.get(key)
        if frame is None:
            frame = self.background_yuv(state.scene, state.stage).copy()
            self._paste(frame, state, self.region, None)
            frame.flags.writeable = False
            self._cue_frames[key] = frame
            if len(self._cue_frames) > 4:
                self._cue_frames.popitem(last=False)
        return frame

    def _word_frame(self, state: FrameState) -> np.ndarray:
        """The cue frame with the active word's highlight: only the pill's box is redone.

        Kept for a few states: a motion step's fade blends the same two word frames
        (the stage before and after) on each of its frames."""
        key = (state.scene, state.stage, state.cue, state.active)
        cached = self._word_frames.get(key)
        if cached is not None:
            self._word_frames.move_to_end(key)
            return cached
        plain = self._cue_frame(state)
        highlight = self._highlight(state)
        if highlight is None:
            return plain
        x0, y0, x1, y1 = highlight[1]
        rect = even_box(
            Box(self.box.x + x0, self.box.y + y0, x1 - x0, y1 - y0), self.width, self.height
        )
        frame = plain.copy()
        self._paste(frame, state, rect, highlight)
        frame.flags.writeable = False
        self._word_frames[key] = frame
        if len(self._word_frames) > 4:
            self._word_frames.popitem(last=False)
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
            frame = self.background_yuv(state.scene, state.stage)
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
