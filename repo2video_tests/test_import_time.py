"""Importing the Dagster definitions stays light.

Every Dagster run worker, sensor evaluation and CLI call imports the
definitions; the speech, recognition and video engines (scipy via pyloudnorm,
faster-whisper/ctranslate2, piper/onnxruntime, torch/whisper, moviepy) are
imported inside the functions that use them, so that start-up does not pay
seconds for engines the process may never touch.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

HEAVY = (
    "scipy",
    "pyloudnorm",
    "faster_whisper",
    "ctranslate2",
    "onnxruntime",
    "piper",
    "torch",
    "whisper",
    "moviepy",
)

PROBE = """
import json, sys, time
started = time.perf_counter()
import repo2video_dagster.definitions
elapsed = time.perf_counter() - started
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"loaded": loaded, "seconds": elapsed}))
"""


def _import_definitions(timeout: float = 120) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_definitions_import_no_engines(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    result = _import_definitions()
    assert result["loaded"] == [], f"imported at start-up: {result['loaded']}"
    with capsys.disabled():
        print(
            f"\nimport repo2video_dagster.definitions: {result['seconds']:.2f} s "
            f"(process {time.perf_counter() - started:.2f} s)"
        )


def test_probe_sees_engines_when_they_are_imported() -> None:
    """The check itself can fail: a module that imports an engine is reported."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; import repo2video_dagster.lib.render.video; import moviepy; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:]))))",
            *HEAVY,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "moviepy" in set(json.loads(proc.stdout.strip().splitlines()[-1]))
