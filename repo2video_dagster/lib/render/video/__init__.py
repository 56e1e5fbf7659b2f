"""Compose slides, karaoke captions and narration into an mp4 (reel or landscape).

A narrated slide video changes picture only when the spoken word, the cue or
the scene changes, so the timeline is a short list of still segments rather than
per-frame compositing (:mod:`.timeline`). Each segment's picture is composed once,
in the encoder's own format, planar YUV 4:2:0 BT.709 (:mod:`.frames`, :mod:`.yuv`),
so ffmpeg only compresses. Frames come from moviepy (:mod:`.clips`) and go to our own
ffmpeg process (:mod:`.encode`, which says why moviepy's writer is not used); each
scene is encoded to a chunk that later renders reuse while its frames are unchanged
(:mod:`.chunks`). Outputs appear only complete and checked (:mod:`.outputs`).

Only the latest composed frame is kept: a minute of video has a few hundred
segments and a 1080x1920 frame is 3 MB.
"""

from repo2video_dagster.lib.render.video.chunks import (
    CHUNK_PRUNE_AFTER_S,
    ENCODE_SOURCES,
    SceneChunk,
    chunk_key,
    scene_chunks,
)
from repo2video_dagster.lib.render.video.clips import clip_durations, moviepy_frames
from repo2video_dagster.lib.render.video.encode import AUDIO_RATE, encode_frames
from repo2video_dagster.lib.render.video.frames import FrameRenderer, FrameState
from repo2video_dagster.lib.render.video.outputs import ffmpeg_reason, prepare_output_dir
from repo2video_dagster.lib.render.video.pipeline import render_from_frames, render_video
from repo2video_dagster.lib.render.video.stats import EncodeStats, encode_stats
from repo2video_dagster.lib.render.video.timeline import (
    CueLike,
    FrameSource,
    Segment,
    Timeline,
    accent_from_slide,
    build_segments,
    max_static_s,
    max_still_picture_s,
    step_times,
)
from repo2video_dagster.lib.render.video.yuv import rgb_to_yuv420, yuv420_to_rgb, yuv_planes

__all__ = [
    "AUDIO_RATE",
    "CHUNK_PRUNE_AFTER_S",
    "ENCODE_SOURCES",
    "CueLike",
    "EncodeStats",
    "FrameRenderer",
    "FrameSource",
    "FrameState",
    "SceneChunk",
    "Segment",
    "Timeline",
    "accent_from_slide",
    "build_segments",
    "max_static_s",
    "max_still_picture_s",
    "step_times",
    "chunk_key",
    "clip_durations",
    "encode_frames",
    "encode_stats",
    "ffmpeg_reason",
    "moviepy_frames",
    "prepare_output_dir",
    "render_from_frames",
    "render_video",
    "rgb_to_yuv420",
    "scene_chunks",
    "yuv420_to_rgb",
    "yuv_planes",
]
