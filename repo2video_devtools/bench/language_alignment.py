"""Per-word alignment of an independent transcription against the script, per language.

``python -m repo2video_devtools.bench.language_alignment fr,pt [--whole-script]``
speaks the ``go_service`` profile's script in each language as a render does
(:func:`speak_language`: the language's voice, the multilingual recogniser the
settings name), hears the narration again independently (no prompt), and prints the
WER, the words timed from speech, and every stretch where the hearing differs from
the script, both normalised as the WER compares them (numbers spelled in the
language, elisions split; the stretches are difflib's, while the WER also accepts one
word written as two). Without ``--whole-script`` it takes the test sample
(``test_languages.py``: the hook and activity scenes). The README's language table
was measured with it.
"""

from __future__ import annotations

import argparse
import difflib
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from repo2video_dagster.lib.script.languages import LANGUAGES
from repo2video_dagster.lib.script.languages.localize import localize_script
from repo2video_dagster.lib.script.template.writer import TemplateWriter
from repo2video_dagster.lib.speech.localized import language_wer, speak_language
from repo2video_dagster.lib.speech.number_words import number_speller
from repo2video_dagster.lib.speech.voices import make_voice, parse_piper_voices, voice_for
from repo2video_dagster.lib.speech.word_match import normalize_text, words_of
from repo2video_dagster.resources import SpeechResource
from repo2video_tests import profiles

SAMPLE_SCENES = ("hook", "activity")


def _tokens(words: list[str], code: str) -> list[str]:
    spell = number_speller(code) or (lambda text: text)
    return [t for w in words for t in normalize_text(spell(w))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("languages", help="comma list, for example fr,pt")
    parser.add_argument("--whole-script", action="store_true", help="all scenes, not the sample")
    args = parser.parse_args(argv)
    profile = profiles.go_service()
    base = TemplateWriter().write(profile)
    if not args.whole_script:
        base = replace(base, scenes=[s for s in base.scenes if s.id in SAMPLE_SCENES])
    speech = SpeechResource()
    root = Path(tempfile.mkdtemp(prefix="language-alignment-"))
    asr = speech.multilingual_asr(root / "models")
    for code in args.languages.split(","):
        started = time.process_time()
        script = localize_script(base, profile, LANGUAGES[code])
        choice = voice_for(code, parse_piper_voices(speech.piper_voices), speech.tts_engine)
        out = speak_language(script, code, make_voice(choice), asr, root / code, cache_dir=None)
        heard = [w.text for w in asr.transcribe_words(Path(out.narration.track_path), code)]
        said = [w for s in script.scenes for w in words_of(s.narration)]
        wer = language_wer(said, heard, code)
        print(
            f"== {code} ({choice.describe()}, beam {speech.asr_multilingual_beam_size}): "
            f"WER {wer:.1%}, timed from speech {out.captions.coverage:.1%}, "
            f"{time.process_time() - started:.1f} CPU s"
        )
        print("script:", " ".join(s.narration for s in script.scenes))
        print("heard: ", " ".join(heard))
        ref, hyp = _tokens(said, code), _tokens(heard, code)
        matcher = difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False)
        for op, a, b, c, d in matcher.get_opcodes():
            if op != "equal":
                print(f"  {op:8s} {' '.join(ref[a:b])!r} -> {' '.join(hyp[c:d])!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
