"""``repo2video dub``: a real video heard by Whisper, translated by an OpenAI-compatible
endpoint (a loopback server speaking the chat-completions protocol), spoken by espeak-ng,
fitted, captioned and remuxed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from repo2video_dagster.cli import main
from repo2video_dagster.lib.render.media import ffmpeg_path, integrated_loudness, probe
from repo2video_devtools.reliability.fake_services import FakeLlm, Reply, serve

ENGLISH = ["The project has three parts.", "Each part reads a file and writes a short report."]
SPANISH = [
    "El proyecto tiene tres partes.",
    "Cada parte lee un archivo y escribe un informe corto.",
]


class Translator(FakeLlm):
    """Answers each translation request with one Spanish sentence per sentence sent."""

    def body_for(self, reply: Reply, request: Any) -> bytes:
        sent = json.loads(request["messages"][1]["content"])["sentences"]
        out = [SPANISH[min(i, len(SPANISH) - 1)] for i in range(len(sent))]
        if reply.content == "short":
            out = out[:-1]
        return super().body_for(Reply(content=json.dumps({"translations": out})), request)


def spoken_video(root: Path, name: str = "talk.mp4") -> Path:
    """A short mp4 whose soundtrack is espeak-ng saying :data:`ENGLISH`."""
    root.mkdir(parents=True, exist_ok=True)
    wav, video = root / "en.wav", root / name
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), "--stdin"],
        input=" ... ".join(ENGLISH).encode(),
        check=True,
    )
    subprocess.run(
        [ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=navy:s=320x240:r=30",
         "-i", str(wav), "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", "-c:a", "aac", str(video)],
        check=True,
    )  # fmt: skip
    wav.unlink()
    return video


@pytest.fixture(scope="module")
def english_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return spoken_video(tmp_path_factory.mktemp("dub"))


@pytest.mark.slow
def test_dub_into_spanish(
    english_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    with serve(Translator(replies=[Reply(content="ok")]), "/v1") as fake:
        monkeypatch.setenv("REPO2VIDEO_LLM_BASE_URL", fake.url)
        monkeypatch.setenv("REPO2VIDEO_DATA_DIR", str(tmp_path / "var"))
        out = tmp_path / "talk.es.mp4"
        code = main(["dub", str(english_video), "--to", "es", "--out", str(out), "--json"])
        assert code == 0
        result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        request = fake.requests[0]["body"]
    assert "Spanish" in request["messages"][0]["content"]
    heard = " ".join(json.loads(request["messages"][1]["content"])["sentences"]).lower()
    assert "three parts" in heard and "report" in heard
    kinds = {s["codec_type"]: s["codec_name"] for s in probe(out)["streams"]}
    assert kinds == {"video": "h264", "audio": "aac", "subtitle": "mov_text"}
    assert all(0.85 <= t <= 1.15 for t in result["tempos"])
    source_s = float(probe(english_video)["format"]["duration"])
    assert float(probe(out)["format"]["duration"]) >= source_s - 0.2  # aac priming, a frame
    srt = Path(result["srt_path"]).read_text()
    assert "El proyecto tiene tres partes." in srt.replace("\n", " ") or "El proyecto" in srt
    assert result["coverage"] >= 0.8
    assert abs(integrated_loudness(out) - -14.0) <= 1.5


@pytest.mark.slow
def test_a_translation_that_drops_a_sentence_is_one_line(
    english_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    with serve(Translator(replies=[Reply(content="short")]), "/v1") as fake:
        monkeypatch.setenv("REPO2VIDEO_LLM_BASE_URL", fake.url)
        monkeypatch.setenv("REPO2VIDEO_DATA_DIR", str(tmp_path / "var"))
        code = main(["dub", str(english_video), "--to", "es", "--out", str(tmp_path / "x.mp4")])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1
    assert "one translation per sentence" in err
    assert not (tmp_path / "x.mp4").exists()


def test_an_unknown_language_is_one_line(english_video: Path, capsys) -> None:
    assert main(["dub", str(english_video), "--to", "tlh"]) != 0
    assert "'tlh' is not supported" in capsys.readouterr().err
