"""One benchmark render in its own process, so its peak memory is its own.

Runs ``repo2video render`` in-process (the same code path a user runs), then
prints one JSON line: the CLI's summary plus this process's peak RSS and the
peak RSS of its children (the ffmpeg encoder).
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time


def main(argv: list[str]) -> int:
    started = time.monotonic()
    from repo2video_dagster.cli import main as cli_main

    imported = time.monotonic() - started
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main(["render", *argv, "--json"])
    summary = json.loads(out.getvalue()) if code == 0 else {"error": code}
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary["bench"] = {
        "import_s": round(imported, 3),
        "process_s": round(time.monotonic() - started, 3),
        "peak_rss_mb": round(self_usage.ru_maxrss / 1024, 1),
        "children_peak_rss_mb": round(child_usage.ru_maxrss / 1024, 1),
        "cpu_s": round(
            self_usage.ru_utime + self_usage.ru_stime + child_usage.ru_utime + child_usage.ru_stime,
            2,
        ),
    }
    print(json.dumps(summary))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
