"""Webhook acknowledgement latency for ``make bench``: the reliability load test, shorter.

A real ``repo2video webhook serve`` process, signed mixed deliveries at a fixed
rate from a second process on loopback (``repo2video_devtools.reliability``).

``python -m repo2video_devtools.bench.receiver [--rate 200] [--seconds 15]
[--storage sqlite postgres]`` (``make bench-receiver``) measures the event table in the
instance's SQLite file and in PostgreSQL (a throw-away database on the machine's
server, or on a cluster ``scripts/postgres.sh`` starts), one after the other, in one
invocation, and prints both p99s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

STORAGES = ("sqlite", "postgres")


def measure_receiver(
    work: Path, *, rate: float, seconds: float, events_url: str | None = None
) -> dict[str, Any]:
    from repo2video_devtools.reliability.loadtest import load_test

    report = load_test(work, rate=rate, seconds=seconds, events_url=events_url)
    return {
        "receiver_rate": report.rate,
        "receiver_sent": report.sent,
        "receiver_errors": report.errors,
        "receiver_lost": report.lost,
        "receiver_p50_ms": report.p50_ms,
        "receiver_p99_ms": report.p99_ms,
    }


def measure_postgres(work: Path, *, rate: float, seconds: float) -> dict[str, Any]:
    """The same load with the event table in a throw-away PostgreSQL database."""
    from repo2video_devtools.deploy.postgres import server_for_tests

    with server_for_tests() as server, server.database("repo2video_bench") as db:
        figures = measure_receiver(work, rate=rate, seconds=seconds, events_url=db.url)
    return {key.replace("receiver_", "receiver_pg_"): value for key, value in figures.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m repo2video_devtools.bench.receiver",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s (default 200)")
    parser.add_argument("--seconds", type=float, default=15.0, help="duration (default 15 s)")
    parser.add_argument("--storage", nargs="+", choices=STORAGES, default=list(STORAGES))
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="repo2video-bench-receiver-"))
    figures: dict[str, Any] = {}
    try:
        for storage in args.storage:
            print(f"receiver: {args.rate:g} req/s for {args.seconds:g} s, events in {storage} …",
                  file=sys.stderr, flush=True)  # fmt: skip
            if storage == "sqlite":
                figures.update(
                    measure_receiver(root / storage, rate=args.rate, seconds=args.seconds)
                )
            else:
                figures.update(
                    measure_postgres(root / storage, rate=args.rate, seconds=args.seconds)
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for key, value in figures.items():
        print(f"{key}={value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    failed = [k for k, v in figures.items() if k.endswith(("_errors", "_lost")) and v]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
