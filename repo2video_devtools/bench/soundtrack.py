"""How well the finished soundtrack is understood: an independent transcription of the
mix the videos carry (narration + music bed), next to the captions' own figure.

The captions' ``recognition_wer`` hears the narration alone (captions are timed from
it); this one hears what a viewer hears, so a music bed that masks speech shows here.
Independent: tiny.en, no prompt, the whole track in one pass, scored like the check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def soundtrack_figures(data_dir: Path, script: Any, captions: Any) -> dict[str, Any]:
    """``recognition_wer`` (the captions' check, narration alone) and ``soundtrack_wer``
    (the final mix); no ``soundtrack_wer`` when the render has no music bed."""
    from repo2video_dagster.lib.speech.align import word_error_rate
    from repo2video_dagster.lib.speech.asr import make_asr

    out: dict[str, Any] = {"recognition_wer": round(float(captions.wer), 4)}
    mixes = sorted(Path(data_dir).rglob("soundtrack.wav"))
    if not mixes:
        return out
    asr = make_asr("faster-whisper", "tiny.en", device="cpu")
    words = asr.transcribe_words(mixes[-1])
    reference = [scene.narration for scene in script.scenes]
    out["soundtrack_wer"] = round(word_error_rate(reference, [w.text for w in words]), 4)
    return out
