"""Dub a video: hear it, translate it, speak it into the same time spans, caption it, remux.

Each heard sentence is translated and spoken by the target language's voice
(:mod:`..speech.voices`), played up to 15 % faster or slower to fill the time until
the next sentence starts; speech that still runs long pushes the following
sentences later, and the video's last frame is held for what runs past its end. The
dubbed track is normalised to −14 LUFS, recognised again in the target language
and aligned to the translation for captions (SRT, VTT, and a subtitle stream in the
mp4). Burned-in captions of the original stay in the picture: for repo2video's own
renders, ``REPO2VIDEO_LANGUAGES`` renders the language properly (new captions drawn).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repo2video_dagster.lib.core.errors import EngineError, UserError
from repo2video_dagster.lib.dub.fit import fit_tempo, tempo_for
from repo2video_dagster.lib.dub.segments import extract_audio, heard_segments
from repo2video_dagster.lib.dub.translate import translate_sentences
from repo2video_dagster.lib.render.media import ffmpeg_path, video_info
from repo2video_dagster.lib.script.languages import get_language
from repo2video_dagster.lib.script.llm import LlmWriter
from repo2video_dagster.lib.speech.align import align_words
from repo2video_dagster.lib.speech.asr import AsrEngine
from repo2video_dagster.lib.speech.audio import normalize_loudness, silence, write_wav
from repo2video_dagster.lib.speech.localized import language_wer
from repo2video_dagster.lib.speech.number_words import number_speller
from repo2video_dagster.lib.speech.subtitles import group_cues, write_srt, write_vtt
from repo2video_dagster.lib.speech.tts import TtsEngine
from repo2video_dagster.lib.speech.word_match import words_of

__all__ = ["DubResult", "dub_video"]

_ISO3 = {"en": "eng", "es": "spa", "de": "deu", "fr": "fra", "pt": "por"}


@dataclass
class DubResult:
    video_path: str
    srt_path: str
    vtt_path: str
    sentences: int
    tempos: list[float]
    extended_s: float
    coverage: float
    wer: float
    loudness_lufs: float


def dub_video(
    video: Path,
    to: str,
    out: Path,
    *,
    asr: AsrEngine,
    tts: TtsEngine,
    writer: LlmWriter,
    source_language: str | None = "en",
) -> DubResult:
    video = Path(video)
    if not video.is_file():
        raise UserError(f"no video at {video}", hint="give the path of an mp4 file")
    language = get_language(to)
    work = out.parent / f".{out.stem}.dub"
    work.mkdir(parents=True, exist_ok=True)
    info = video_info(video)
    segments = heard_segments(asr, extract_audio(video, work / "source.wav"), source_language)
    if not segments:
        raise UserError(f"no speech heard in {video}", hint="dub a video that has narration")
    texts = translate_sentences([s.text for s in segments], language, writer)

    rate = tts.sample_rate
    pieces: list[np.ndarray] = []
    position = 0.0
    tempos: list[float] = []
    starts: list[float] = []
    for i, (segment, text) in enumerate(zip(segments, texts, strict=True)):
        start = max(segment.start, position)
        until = (
            segments[i + 1].start if i + 1 < len(segments) else max(info.duration_s, segment.end)
        )
        speech = tts.synthesize(text)
        tempo = tempo_for(len(speech) / rate, until - start - 0.05)
        speech = fit_tempo(speech, rate, tempo)
        pieces.append(silence(start - position, rate))
        pieces.append(speech)
        starts.append(start)
        tempos.append(round(tempo, 3))
        position = start + len(speech) / rate
    track = np.concatenate([p for p in pieces if len(p)] or [np.zeros(1, np.float32)])
    total = max(info.duration_s, position + 0.3)
    track = np.concatenate([track, silence(total - len(track) / rate, rate)])
    track, lufs, _peak = normalize_loudness(track, rate)
    dubbed_wav = write_wav(work / "dub.wav", track, rate)

    # Captions: the translation's words, timed from the dubbed track heard in the language.
    spans = [
        (f"s{i}", starts[i], starts[i + 1] if i + 1 < len(starts) else total)
        for i in range(len(starts))
    ]
    script_words = [(w, f"s{i}") for i, t in enumerate(texts) for w in words_of(t)]
    heard = asr.transcribe_words(dubbed_wav, language=language.code)
    timed, coverage = align_words(script_words, heard, spans, spell=number_speller(language.code))
    wer = language_wer([w for w, _ in script_words], [h.text for h in heard], language.code)
    cues = group_cues(timed, track_end=total)
    srt = write_srt(cues, out.with_suffix(f".{language.code}.srt"))
    vtt = write_vtt(cues, out.with_suffix(f".{language.code}.vtt"))

    extended = max(0.0, total - info.duration_s)
    _remux(video, dubbed_wav, srt, out, language.code, extended)
    return DubResult(
        str(out), str(srt), str(vtt), len(segments), tempos, round(extended, 2),
        coverage, wer, round(float(lufs), 2),
    )  # fmt: skip


def _remux(video: Path, audio: Path, srt: Path, out: Path, code: str, extend_s: float) -> None:
    cmd = [ffmpeg_path(), "-v", "error", "-y", "-i", str(video), "-i", str(audio), "-i", str(srt)]
    cmd += ["-map", "0:v:0", "-map", "1:a:0", "-map", "2:s:0"]
    if extend_s > 0.02:
        pad = f"tpad=stop_mode=clone:stop_duration={extend_s:.3f}"
        cmd += ["-vf", pad, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    else:
        cmd += ["-c:v", "copy"]
    cmd += ["-c:a", "aac", "-b:a", "160k", "-c:s", "mov_text"]
    cmd += ["-metadata:s:a:0", f"language={_ISO3.get(code, code)}"]
    cmd += ["-metadata:s:s:0", f"language={_ISO3.get(code, code)}", "-shortest"]
    cmd += ["-movflags", "+faststart", str(out.with_suffix(".tmp.mp4"))]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise EngineError(f"remux failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    out.with_suffix(".tmp.mp4").replace(out)
