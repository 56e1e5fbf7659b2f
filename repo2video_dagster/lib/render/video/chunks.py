"""Per-scene chunks: each scene is encoded to a file of its own and reused until its frames change.

The product encodes each scene to its own chunk (:class:`SceneChunk`), two
encoders at a time, and joins the chunks by stream copy; a later render reuses
every chunk whose frames did not change.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from repo2video_dagster.lib.core.errors import EngineError, is_transient
from repo2video_dagster.lib.core.records import VideoFile
from repo2video_dagster.lib.core.reuse import file_digest, fingerprint, source_version
from repo2video_dagster.lib.render import caption_bands, fonts, media, theme
from repo2video_dagster.lib.render.media import ffmpeg_path
from repo2video_dagster.lib.render.slides import canvas, picture
from repo2video_dagster.lib.render.video.encode import AAC_OPTIONS, encode_frames
from repo2video_dagster.lib.render.video.outputs import (
    encode_errors,
    ffmpeg_failed,
    place_video,
    prepare_output_dir,
    remove_files,
    temp_path,
)
from repo2video_dagster.lib.render.video.stats import EncodeStats
from repo2video_dagster.lib.render.video.timeline import FrameSource, Segment, Timeline

ENCODE_SOURCES = (sys.modules[__package__], caption_bands, theme, fonts, media, canvas, picture)
"""The ``lib`` modules whose code decides an encoded video's bytes (part of reuse keys):
this whole package (a package is hashed with every module below it) and the render
modules it draws and probes with."""


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


def _image_digest(step: dict) -> str | None:
    """The content of a zoom step's picture (its file may change under the same name)."""
    image = step.get("image")
    if not image:
        return None
    try:
        return file_digest(Path(image))
    except OSError:
        return None


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
            s.state.stage,
            s.state.blend_stage,
            s.state.fade,
            s.frames,
        )
        for s in timeline.segments
    ]
    # What each step changes in the picture (its kind and box; keywords only move it in time).
    scenes = sorted(
        {s.state.scene for s in timeline.segments}
        | {s.state.blend_from for s in timeline.segments if s.state.blend_from is not None}
    )
    motion = [
        [
            (step["kind"], list(step["box"]), step.get("zoom"), _image_digest(step))
            for step in renderer.steps[i]
        ]
        for i in scenes
        if i < len(renderer.steps)
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
        motion,
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
        self._tmp = temp_path(self.path)
        self._proc: subprocess.Popen[bytes] | None = None
        if reuse and self.path.is_file():
            with contextlib.suppress(OSError):
                os.utime(self.path)  # its last use, for pruning
            return
        prepare_output_dir(self.path)  # also removes temp files of killed encoders
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
                text = err.decode("utf-8", "replace")
                raise ffmpeg_failed(self._proc.returncode, text, out_path)
            os.replace(self._tmp, self.path)
            self._proc = None
        return self.path

    def close(self) -> None:
        """Stop an encode still running (a chunk failed) and remove its temp file."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
        remove_files(self._tmp)


def _join_chunks(
    chunk_paths: Sequence[Path],
    audio_path: Path,
    timeline: Timeline,
    out_path: Path,
    audio_s: float,
) -> VideoFile:
    """Join encoded chunks and the AAC narration (both stream copies); checked, then moved
    into place like a single encode."""
    tmp = temp_path(out_path)
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
        with encode_errors(out_path):
            _concat_list(chunk_paths, listing)
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
            if proc.returncode != 0:
                raise ffmpeg_failed(proc.returncode, proc.stderr, out_path)
            return place_video(tmp, out_path, timeline, audio_s)
    finally:
        remove_files(tmp, listing)


def _prune_chunks(chunks_dir: Path, used: set[Path]) -> None:
    """Delete chunk files this render did not use and nobody used for a while."""
    now = time.time()
    for path in [*chunks_dir.glob("*.mp4"), *chunks_dir.glob("*.m4a")]:
        if path in used:
            continue
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > CHUNK_PRUNE_AFTER_S:
                path.unlink()


def encode_in_chunks(
    frames_of: FrameSource,
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
    prepare_output_dir(out_path)
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
        except EngineError as err:
            # A stored chunk or audio file that cannot be joined into a correct video
            # (damaged on disk, say) must not fail every later render too. An encoder
            # killed by a signal says nothing about them: the retry reuses them.
            if not is_transient(err):
                remove_files(*paths, audio.path)
            raise
    finally:
        audio.close()
    _prune_chunks(chunks_dir, {*paths, audio.path})
    return result


MAX_CHUNK_ENCODERS = 4


def _encode_chunks(
    frames_of: FrameSource,
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
        encode_frames(
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
