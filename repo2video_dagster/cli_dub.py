"""``repo2video dub VIDEO --to es``: a dubbed copy of a video (see :mod:`.lib.dub`).

Translation uses the LLM writer's OpenAI-compatible endpoint
(``REPO2VIDEO_LLM_BASE_URL``, ``REPO2VIDEO_LLM_MODEL``, ``REPO2VIDEO_LLM_API_KEY``);
no translation model with its weights in a package was found on the index here, so
there is no offline default. The voice is the language's (``REPO2VIDEO_PIPER_VOICES``,
else espeak-ng), recognition the bundled multilingual Whisper base.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def cmd_dub(args: argparse.Namespace) -> int:
    from repo2video_dagster.dubbing import dub_with
    from repo2video_dagster.lib.core.settings import default_data_dir
    from repo2video_dagster.lib.script.languages import get_language
    from repo2video_dagster.resources import ScriptWriterResource, SpeechResource

    language = get_language(args.to)
    video = Path(args.video).expanduser().resolve()
    out = (
        Path(args.out).expanduser()
        if args.out
        else video.with_name(f"{video.stem}.{language.code}.mp4")
    )
    result, choice = dub_with(
        video,
        language.code,
        out,
        speech=SpeechResource(),
        script_writer=ScriptWriterResource(),
        models_dir=default_data_dir() / "cache" / "models",
        source_language=None if args.source == "auto" else args.source,
    )
    if args.json:
        print(json.dumps(result.__dict__))
    else:
        print(f"dubbed {video.name} into {language.name} with {choice.describe()}")
        print(f"  video     {result.video_path}")
        print(f"  captions  {result.srt_path}\n            {result.vtt_path}")
        print(
            f"  {result.sentences} sentences, tempo {min(result.tempos):.2f}-"
            f"{max(result.tempos):.2f}, extended {result.extended_s:.1f} s, "
            f"{result.coverage:.0%} of words timed from speech"
        )
    return 0


def add_dub_command(sub: argparse._SubParsersAction) -> None:
    dub = sub.add_parser("dub", help="a dubbed copy of a video in another language")
    dub.add_argument("video", help="the mp4 to dub")
    dub.add_argument("--to", required=True, help="target language: es, de, fr, pt or en")
    dub.add_argument("--from", dest="source", default="en", help="spoken language (or auto)")
    dub.add_argument("--out", help="output mp4 (default VIDEO.<lang>.mp4 beside it)")
    dub.add_argument("--json", action="store_true")
    dub.set_defaults(func=cmd_dub)
