"""One benchmark render in its own process, so its peak memory is its own.

Runs ``repo2video render`` in-process (the same code path a user runs), then
prints one JSON line: the CLI's summary plus memory figures. Memory is sampled
from /proc every 100 ms: this process, every child (ffmpeg, git, ffprobe) and
their sum at the same instant. (``ru_maxrss`` of children is not usable: a
child forked from a large Python process reports the parent's RSS until it
execs.)
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

_RSS_RE = re.compile(r"VmRSS:\s+(\d+) kB")


def _rss_mb(pid: int | str) -> float:
    try:
        match = _RSS_RE.search(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return 0.0
    return int(match.group(1)) / 1024 if match else 0.0


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


class MemorySampler:
    def __init__(self, interval_s: float = 0.1) -> None:
        self.interval_s = interval_s
        self.peak_self = self.peak_children = self.peak_total = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            own = _rss_mb(me)
            kids = sum(_rss_mb(k) for k in _children(me))
            self.peak_self = max(self.peak_self, own)
            self.peak_children = max(self.peak_children, kids)
            self.peak_total = max(self.peak_total, own + kids)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _profiled(path: str, render):
    """Run ``render`` under pyinstrument; write an HTML profile to ``path`` and text beside it."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005)
    profiler.start()
    try:
        return render()
    finally:
        profiler.stop()
        Path(path).write_text(profiler.output_html(), encoding="utf-8")
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        Path(path).with_suffix(".txt").write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    started = time.monotonic()
    from repo2video_dagster.cli import main as cli_main

    out = io.StringIO()
    profile_to = os.environ.get("REPO2VIDEO_BENCH_PROFILE")
    with MemorySampler() as memory, contextlib.redirect_stdout(out):
        if profile_to:
            code = _profiled(profile_to, lambda: cli_main(["render", *argv, "--json"]))
        else:
            code = cli_main(["render", *argv, "--json"])
    summary = json.loads(out.getvalue()) if code == 0 else {"error": code}
    cpu = os.times()
    summary["bench"] = {
        # CPU seconds of this process and of its finished children (ffmpeg, git, ffprobe):
        # with the wall time and the core count, how busy the machine was.
        "cpu_self_s": round(cpu.user + cpu.system, 3),
        "cpu_children_s": round(cpu.children_user + cpu.children_system, 3),
        "process_s": round(time.monotonic() - started, 3),
        "peak_rss_mb": round(memory.peak_total, 1),
        "python_peak_rss_mb": round(memory.peak_self, 1),
        "children_peak_rss_mb": round(memory.peak_children, 1),
    }
    print(json.dumps(summary))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
