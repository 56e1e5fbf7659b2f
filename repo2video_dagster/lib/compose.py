"""Compose slides, karaoke captions and narration into an mp4 (reel or landscape).

A narrated slide video changes picture only when the spoken word, the cue or
the scene changes, so the timeline is a short list of still segments rather than
per-frame compositing: each frame of the output is assigned a state (scene,
cue, active word, crossfade step), runs of equal states become one segment,
and each segment's picture is composited once (slide + caption band pasted into
its box). Counting in whole frames makes segment boundaries exact and the
video length equal to the narration length within one frame.

Segments are handed to moviepy as still clips and encoded in one pass;
``render_frames_ffmpeg_baseline`` pipes the very same segments to bare ffmpeg,
so the benchmark can tell what moviepy itself costs. Pictures are rendered when
the encoder first asks for them and only the latest one is kept: a minute of
video has a few hundred segments and a 1080x1920 frame is 6 MB.
"""

from __future__ import annotations

import bisect
import errno
import logging
import os
import re
import subprocess
import tempfile
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from .caption_render import caption_box, render_caption_band
from .errors import EngineError, OutputError
from .media import audio_duration, ffmpeg_path, video_info
from .models import SceneFrames, TimedWord, VideoFile
from .theme import accent_marker, layout, rgb_to_hex

log = logging.getLogger(__name__)

CAPTION_HOLD_S = 0.4
"""A cue stays on screen this long after its end when the next one has not started,
so captions do not flicker off during short pauses."""
DURATION_TOLERANCE_S = 0.2
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EROFS, errno.EDQUOT}


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


class FrameRenderer:
    """Turns frame states into RGB arrays; backgrounds are loaded once, bands cached briefly."""

    def __init__(
        self,
        fmt: str,
        backgrounds: list[Image.Image],
        cue_words: list[tuple[str, ...]],
        transition_frames: int,
        accent: str | None,
    ) -> None:
        self.fmt = fmt
        self.box = caption_box(fmt)
        self._images = backgrounds
        self._arrays = [np.asarray(img) for img in backgrounds]
        self._cue_words = cue_words
        self._transition_frames = transition_frames
        self._accent = accent
        self._blends: OrderedDict[tuple[int, int, int], np.ndarray] = OrderedDict()
        self._bands: OrderedDict[tuple[int, int | None], tuple[Image.Image, Image.Image]] = (
            OrderedDict()
        )

    def background(self, state: FrameState) -> np.ndarray:
        if state.blend_from is None or state.blend_step <= 0:
            return self._arrays[state.scene]
        key = (state.blend_from, state.scene, state.blend_step)
        cached = self._blends.get(key)
        if cached is None:
            alpha = state.blend_step / (self._transition_frames + 1)
            blended = Image.blend(self._images[state.blend_from], self._images[state.scene], alpha)
            cached = np.asarray(blended)
            self._blends[key] = cached
            if len(self._blends) > 4:
                self._blends.popitem(last=False)
        return cached

    def band(self, cue: int, active: int | None) -> tuple[Image.Image, Image.Image]:
        """The cue's caption band split into RGB and alpha (what ``Image.paste`` wants)."""
        key = (cue, active)
        cached = self._bands.get(key)
        if cached is None:
            rgba = render_caption_band(self._cue_words[cue], active, self.fmt, accent=self._accent)
            cached = (rgba.convert("RGB"), rgba.getchannel("A"))
            self._bands[key] = cached
            if len(self._bands) > 8:
                self._bands.popitem(last=False)
        return cached

    def render(self, state: FrameState) -> np.ndarray:
        """The frame for ``state`` (read-only for callers: it may be a cached array)."""
        bg = self.background(state)
        if state.cue is None or not self._cue_words[state.cue]:
            return bg
        rgb, alpha = self.band(state.cue, state.active)
        b = self.box
        frame = bg.copy()
        region = Image.fromarray(frame[b.y : b.bottom, b.x : b.right])
        region.paste(rgb, (0, 0), alpha)
        frame[b.y : b.bottom, b.x : b.right] = np.asarray(region)
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

    def frame(self, segment: Segment) -> np.ndarray:
        return self.renderer.render(segment.state)

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
) -> list[FrameState]:
    """The state of every frame, evaluated at the frame's centre time."""
    cue_starts = [float(c.start) for c in cues]
    word_starts = [[float(w.start) for w in _words_of(c)] for c in cues]
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
        if ci >= 0:
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
        total_frames, fps, scene_starts, scene_order, sorted_cues, transition_frames
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


def _temp_paths(out_path: Path) -> tuple[Path, Path]:
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    video = out_path.with_name(f".{out_path.stem}.{tag}.part.mp4")
    audio = out_path.with_name(f".{out_path.stem}.{tag}.part-audio.m4a")
    return video, audio


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
    if abs(info.duration_s - audio_s) > DURATION_TOLERANCE_S:
        problems.append(f"duration {info.duration_s:.2f} s for {audio_s:.2f} s of narration")
    if problems:
        raise EngineError(f"Encoded video {path.name} is wrong: {', '.join(problems)}")
    return info


def _finish(tmp: Path, out_path: Path, timeline: Timeline, audio_s: float) -> VideoFile:
    info = _verify(tmp, timeline, audio_s)
    try:
        os.replace(tmp, out_path)
    except OSError as exc:
        raise OutputError(
            f"Cannot move the video into place at {out_path}: {exc.strerror or exc}"
        ) from None
    return VideoFile(
        format=timeline.fmt,  # type: ignore[arg-type]
        path=str(out_path),
        width=info.width,
        height=info.height,
        duration_s=round(info.duration_s, 3),
        size_bytes=out_path.stat().st_size,
    )


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


class _PipeFrame(np.ndarray):
    """A frame whose ``tobytes()`` is a zero-copy view.

    moviepy's writer sends each frame as ``stdin.write(frame.tobytes())``; for a
    still segment that copies the same 6 MB once per output frame. A flat byte
    view writes the same bytes without the copy (about 1 ms per 1080x1920 frame).
    """

    def tobytes(self, order: str = "C") -> Any:  # type: ignore[override]
        if order == "C" and self.flags.c_contiguous:
            return memoryview(self).cast("B")
        return np.asarray(self).tobytes(order=order)


def _segment_clips(timeline: Timeline) -> list[Any]:
    from moviepy import VideoClip

    cache: dict[str, Any] = {"segment": None, "frame": None}

    def frame_of(segment: Segment) -> np.ndarray:
        if cache["segment"] is not segment:
            frame = np.ascontiguousarray(timeline.frame(segment))
            cache["frame"] = frame.view(_PipeFrame)
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


def _progress_logger(callback: Callable[[float], None], total_frames: int) -> Any:
    import proglog

    class _Progress(proglog.ProgressBarLogger):
        def bars_callback(self, bar: str, attr: str, value: Any, old_value: Any = None) -> None:
            if bar == "frame_index" and attr == "index":
                callback(min(1.0, max(0.0, (value + 1) / total_frames)))

    return _Progress(logged_bars=None, min_time_interval=0.25)


def render_video(
    fmt: str,
    scene_frames: list[SceneFrames],
    scene_spans: list[tuple[str, float, float]],
    cues: Sequence[CueLike],
    narration_wav: Path,
    out_path: Path,
    *,
    fps: int = 30,
    preset: str = "veryfast",
    crf: int = 23,
    threads: int = 2,
    transition_s: float = 0.25,
    progress: Callable[[float], None] | None = None,
    accent: str | None = None,
) -> VideoFile:
    """Encode the ``fmt`` video (H.264 yuv420p + AAC, faststart) with moviepy.

    Written to a temporary file next to ``out_path``, checked with ffprobe, then
    moved into place, so ``out_path`` is either the previous file or a complete
    new one, never a partial write.
    """
    from moviepy import AudioFileClip, concatenate_videoclips

    narration_wav = Path(narration_wav)
    out_path = Path(out_path)
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
    _prepare_output_dir(out_path)
    tmp_video, tmp_audio = _temp_paths(out_path)
    started = time.perf_counter()
    audio_clip = None
    video = None
    try:
        audio_clip = AudioFileClip(str(narration_wav))
        video = concatenate_videoclips(_segment_clips(timeline), method="chain")
        video = video.with_audio(audio_clip)
        logger = _progress_logger(progress, timeline.total_frames) if progress else None
        video.write_videofile(
            str(tmp_video),
            fps=fps,
            codec="libx264",
            audio_codec="aac",
            temp_audiofile=str(tmp_audio),
            preset=preset,
            threads=threads,
            ffmpeg_params=["-pix_fmt", "yuv420p", "-movflags", "+faststart", "-crf", str(crf)],
            logger=logger,
        )
        result = _finish(tmp_video, out_path, timeline, audio_s)
    except (EngineError, OutputError):
        raise
    except Exception as exc:
        raise _encode_error(exc, out_path) from exc
    finally:
        if audio_clip is not None:
            audio_clip.close()
        if video is not None:
            video.close()
        _cleanup(tmp_video, tmp_audio)
    log.info(
        "%s video: %d segments, %.1f s, encoded in %.1f s",
        fmt,
        len(timeline.segments),
        timeline.duration_s,
        time.perf_counter() - started,
    )
    if progress:
        progress(1.0)
    return result


# --------------------------------------------------------------------------- bare ffmpeg


def encode_timeline_ffmpeg(
    timeline: Timeline,
    narration_wav: Path,
    out_path: Path,
    *,
    preset: str = "veryfast",
    crf: int = 23,
    threads: int = 2,
) -> VideoFile:
    """Pipe the timeline's raw frames straight into ffmpeg (same codec settings as moviepy)."""
    narration_wav = Path(narration_wav)
    out_path = Path(out_path)
    audio_s = audio_duration(narration_wav)
    _prepare_output_dir(out_path)
    tmp_video, _ = _temp_paths(out_path)
    cmd = [
        ffmpeg_path(),
        "-y",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{timeline.width}x{timeline.height}",
        "-r",
        str(timeline.fps),
        "-i",
        "-",
        "-i",
        str(narration_wav),
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
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
        "-c:a",
        "aac",
        "-movflags",
        "+faststart",
        str(tmp_video),
    ]
    try:
        # stderr goes to a file: a pipe nobody reads could fill up and stall ffmpeg
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=err)
            assert proc.stdin is not None
            try:
                for segment in timeline.segments:
                    data = np.ascontiguousarray(timeline.frame(segment)).data
                    for _ in range(segment.frames):
                        proc.stdin.write(data)
                proc.stdin.close()
            except BrokenPipeError:
                pass
            code = proc.wait()
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace").strip()
        if code != 0:
            raise _encode_error(RuntimeError(stderr), out_path)
        return _finish(tmp_video, out_path, timeline, audio_s)
    except (EngineError, OutputError):
        raise
    except Exception as exc:
        raise _encode_error(exc, out_path) from exc
    finally:
        _cleanup(tmp_video)


def render_frames_ffmpeg_baseline(
    fmt: str,
    scene_frames: list[SceneFrames],
    scene_spans: list[tuple[str, float, float]],
    cues: Sequence[CueLike],
    narration_wav: Path,
    out_path: Path,
    *,
    fps: int = 30,
    preset: str = "veryfast",
    crf: int = 23,
    threads: int = 2,
    transition_s: float = 0.25,
    accent: str | None = None,
) -> VideoFile:
    """The same video as :func:`render_video`, encoded by bare ffmpeg (for the benchmark)."""
    timeline = build_segments(
        fmt,
        scene_frames,
        scene_spans,
        cues,
        duration_s=audio_duration(narration_wav),
        fps=fps,
        transition_s=transition_s,
        accent=accent,
    )
    return encode_timeline_ffmpeg(
        timeline, narration_wav, out_path, preset=preset, crf=crf, threads=threads
    )
