"""``python -m repo2video_devtools.reliability``: every reliability check, one summary line.

Progress and one line per case go to stderr; the summary goes to stdout:

    hostile inputs: N tried, N clear errors or correct videos, 0 crashes, 0 leaks; load: R req/s, p99 X ms, 0 lost; kill tests: K/K passed; transient faults: T injected, T retried to success, 0 permanent errors retried

The exit status is 0 only when every case passed (and the load had 0 errors).
On 2 cores it takes about 9-11 minutes: two real renders, 60 s of load, three
renders through the daemon for the kill tests, and the injected transient faults
(one of them a short render whose encoder is killed).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from repo2video_devtools.reliability import HEAVY_ENV


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _clean_environment() -> None:
    """Run with the defaults, whatever the caller exported (writer, formats, hosts ...)."""
    for name in [n for n in os.environ if n.startswith("REPO2VIDEO_") and n != HEAVY_ENV]:
        del os.environ[name]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Retried steps wait this long (read when the product is imported, below): the checks
    # need the retries to happen, not the production backoff of seconds.
    os.environ["REPO2VIDEO_RETRY_DELAY_S"] = "0.05"
    logging.getLogger("dagster").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--work", type=Path, help="working directory (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--rate", type=float, default=200.0, help="load: deliveries per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="load: duration")
    parser.add_argument("--no-renders", action="store_true", help="skip the two hostile renders")
    parser.add_argument("--no-service", action="store_true", help="skip daemon/worker kills")
    parser.add_argument(
        "--receiver-only",
        action="store_true",
        help="only the attacks on the webhook receiver (about 1 minute); no load or kill tests",
    )
    parser.add_argument(
        "--no-transient", action="store_true", help="skip the injected transient faults"
    )
    parser.add_argument("--json", type=Path, help="also write the full report as JSON")
    args = parser.parse_args(argv)
    _clean_environment()

    from repo2video_devtools.reliability import hostile, receiver_attacks, transient
    from repo2video_devtools.reliability.loadtest import load_test, receiver_kill_test
    from repo2video_devtools.reliability.service import service_kill_tests

    if args.receiver_only:
        return _receiver_only(receiver_attacks, args)

    work = args.work or Path(tempfile.mkdtemp(prefix="r2v-reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    timings: dict[str, float] = {}
    faults: list[transient.FaultCase] = []

    def section(name: str) -> float:
        _say(f"== {name}")
        return time.monotonic()

    try:
        t = section("hostile inputs")
        cases = hostile.run_all(work / "hostile", renders=not args.no_renders)
        for case in cases:
            _say(case.line())
        timings["hostile"] = time.monotonic() - t

        t = section(f"load: {args.rate:.0f} req/s for {args.seconds:.0f} s")
        load = load_test(work / "load", rate=args.rate, seconds=args.seconds)
        _say(f"{'ok  ' if load.passed else 'FAIL'} {load.detail}")
        _say(
            f"     errors {load.errors}, lost {load.lost}, not visible to the sensor "
            f"{load.invisible}, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms"
        )
        timings["load"] = time.monotonic() - t

        t = section("kill tests")
        kills = [receiver_kill_test(work / "kill-receiver")]
        _say(kills[-1].line())
        service_leaks: list[str] = []
        leftovers: list[str] = []
        if not args.no_service:
            report = service_kill_tests(work / "service")
            kills += report.results
            service_leaks, leftovers = report.leaks, report.leftovers
            for kill in report.results:
                _say(kill.line())
            _say(f"{'ok  ' if not service_leaks else 'FAIL'} secrets in instance, data and logs: "
                 f"{len(service_leaks)} found {service_leaks[:3]}")  # fmt: skip
            if leftovers:
                _say(
                    f"note: the killed encode left hidden temp files beside the output: {leftovers}"
                )
        timings["kills"] = time.monotonic() - t

        if not args.no_transient:
            t = section("transient faults (retried) and permanent errors (not retried)")
            for case in transient.TRANSIENT_CASES + transient.PERMANENT_CASES:
                faults.append(case(work / "transient" / case.__name__))
                _say(faults[-1].line())
            timings["faults"] = time.monotonic() - t
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    tried = len(cases)
    good = sum(1 for c in cases if c.passed)
    crashes = sum(1 for c in cases if c.outcome == "crash")
    leaks = sum(1 for c in cases if c.outcome == "leak") + len(service_leaks)
    lost = load.lost + load.invisible
    passed_kills = sum(1 for k in kills if k.passed)
    total = time.monotonic() - started
    _say(
        "timings: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        + f", total {total:.0f} s"
    )
    summary = (
        f"hostile inputs: {tried} tried, {good} clear errors or correct videos, "
        f"{crashes} crashes, {leaks} leaks; "
        f"load: {load.rate:.0f} req/s, p99 {load.p99_ms:.0f} ms, {lost} lost; "
        f"kill tests: {passed_kills}/{len(kills)} passed; {transient.summary(faults)}"
    )
    print(summary, flush=True)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "summary": summary,
                    "hostile": [asdict(c) for c in cases],
                    "load": asdict(load),
                    "kills": [asdict(k) for k in kills],
                    "transient": [asdict(f) for f in faults],
                    "service_leaks": service_leaks,
                    "leftovers": leftovers,
                    "timings_s": {k: round(v, 1) for k, v in timings.items()},
                    "total_s": round(total, 1),
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    ok = good == tried and not leaks and load.passed and passed_kills == len(kills)
    ok = ok and all(f.passed for f in faults)
    return 0 if ok else 1


def _receiver_only(receiver_attacks, args: argparse.Namespace) -> int:  # noqa: ANN001
    """The receiver attacks alone, with the same summary line (load and kills: not run)."""
    work = args.work or Path(tempfile.mkdtemp(prefix="r2v-receiver-"))
    try:
        _say("== hostile inputs: the webhook receiver")
        cases = receiver_attacks.run_all(work / "receiver")
        for case in cases:
            _say(case.line())
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    good = sum(1 for c in cases if c.passed)
    crashes = sum(1 for c in cases if c.outcome == "crash")
    leaks = sum(1 for c in cases if c.outcome == "leak")
    print(
        f"hostile inputs: {len(cases)} tried, {good} clear errors or correct videos, "
        f"{crashes} crashes, {leaks} leaks; load: not run; kill tests: not run",
        flush=True,
    )
    return 0 if good == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
