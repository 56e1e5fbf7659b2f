"""CPU seconds each extra language costs (``make bench``: ``extra_language_<code>_cpu_s``).

After the cold renders, the last render's instance and data directory are rendered
again, once with French subtitles only (``en,fr:subtitles``: a real run, every stage
reused and no voice: the baseline) and once per language with
``REPO2VIDEO_LANGUAGES=<code>`` (every stage reused except the language's voice,
captions, two videos and page). A language's cost is its run's CPU time (the process
and its children: espeak-ng, ffmpeg) minus the baseline's. (English alone would not
do as the baseline: the CLI answers "cached" without a run.)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LANGUAGES = ("es", "de", "fr", "pt")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _render(env: dict[str, str], repo: Path, fmt: str) -> tuple[float, float]:
    before, started = _children_cpu(), time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "repo2video_devtools.bench.worker", str(repo), "--format", fmt],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench: language render failed: {proc.stderr.strip().splitlines()[-1:]}")
    return _children_cpu() - before, time.monotonic() - started


def language_figures(
    env: dict[str, str], repo: Path, fmt: str = "both", languages: tuple[str, ...] = LANGUAGES
) -> dict[str, Any]:
    """``extra_language_<code>_cpu_s`` and ``_wall_s`` over the English-only baseline."""
    base_cpu, base_wall = _render({**env, "REPO2VIDEO_LANGUAGES": "en,fr:subtitles"}, repo, fmt)
    figures: dict[str, Any] = {"extra_language_baseline_cpu_s": round(base_cpu, 2)}
    for code in languages:
        cpu, wall = _render({**env, "REPO2VIDEO_LANGUAGES": code}, repo, fmt)
        figures[f"extra_language_{code}_cpu_s"] = round(cpu - base_cpu, 2)
        figures[f"extra_language_{code}_wall_s"] = round(wall - base_wall, 2)
    return figures


def main() -> int:
    """``python -m repo2video_devtools.bench.languages``: the language figures alone
    (one cold render of the sample first, then the language renders)."""
    import tempfile

    from repo2video_devtools.bench.__main__ import env_for
    from repo2video_devtools.bench.sample import make_bench_repo

    root = Path(tempfile.mkdtemp(prefix="repo2video-bench-lang-"))
    repo = make_bench_repo(root / "mdtoc")
    env = env_for(root / "home", root / "var")
    _render({**env, "REPO2VIDEO_LANGUAGES": "en"}, repo, "both")
    figures = language_figures(env, repo)
    for key, value in figures.items():
        print(f"{key}={value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
