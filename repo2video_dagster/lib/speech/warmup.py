"""Load slow engines in the background while the early stages run.

A render spends its first seconds on git, profiling and the script (pure Python,
mostly one core), then on TTS (onnxruntime, which releases the GIL). Loading the
voice, pandas, faster-whisper + its model, and moviepy costs about 2 s on this
class of machine; doing it on a side thread overlaps that cost
with work that must happen anyway. Every step still loads what it needs itself
(the caches are shared and locked), so a failed or slow warm-up only loses the
overlap, never correctness.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from repo2video_dagster.lib.core.settings import env_bool

log = logging.getLogger(__name__)

_started: set[str] = set()
_lock = threading.Lock()


def warm_in_background(name: str, tasks: list[Callable[[], object]]) -> threading.Thread | None:
    """Run ``tasks`` once per process on a daemon thread; ``None`` if ``name`` already ran.

    ``REPO2VIDEO_WARMUP=0`` turns it off (to measure what it saves, or to debug).
    """
    if not env_bool("WARMUP", True):
        return None
    with _lock:
        if name in _started:
            return None
        _started.add(name)

    def run() -> None:
        for task in tasks:
            try:
                task()
            except Exception as err:  # the stage that needs it will report the real error
                log.debug("warm-up task %s failed: %s", getattr(task, "__name__", task), err)

    thread = threading.Thread(target=run, name=f"warmup-{name}", daemon=True)
    thread.start()
    return thread


def speech_and_video_tasks(
    tts_engine: str, asr_engine: str, asr_model: str, asr_device: str, cache_dir
) -> list[Callable[[], object]]:
    """What a render needs after the first stages, in the order it needs them: the
    voice, pandas (profile metadata), the recogniser, moviepy. (Loudness is plain numpy
    and needs no warm-up.)"""

    def voice() -> None:
        if tts_engine != "piper":
            return
        from repo2video_dagster.lib.speech.tts import bundled_piper_voice, load_piper_voice

        load_piper_voice(bundled_piper_voice())

    def tables() -> None:
        import pandas  # noqa: F401

    def recogniser() -> None:
        if asr_engine != "faster-whisper":
            return
        from repo2video_dagster.lib.speech.asr import make_asr

        make_asr(asr_engine, model=asr_model, device=asr_device, cache_dir=cache_dir).load_model()

    def composer() -> None:
        import moviepy  # noqa: F401

    return [voice, tables, recogniser, composer]
