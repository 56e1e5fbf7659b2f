"""Webhook acknowledgement latency for ``make bench``: the reliability load test, shorter.

A real ``repo2video webhook serve`` process, signed mixed deliveries at a fixed
rate from a second process on loopback (``repo2video_devtools.reliability``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def measure_receiver(work: Path, *, rate: float, seconds: float) -> dict[str, Any]:
    from repo2video_devtools.reliability.loadtest import load_test

    report = load_test(work, rate=rate, seconds=seconds)
    return {
        "receiver_rate": report.rate,
        "receiver_sent": report.sent,
        "receiver_errors": report.errors,
        "receiver_lost": report.lost,
        "receiver_p50_ms": report.p50_ms,
        "receiver_p99_ms": report.p99_ms,
    }
