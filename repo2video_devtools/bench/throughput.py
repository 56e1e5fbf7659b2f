"""Throughput through the real Dagster path: many repositories queued at once.

``python -m repo2video_devtools.bench.throughput [--repos 20] [--concurrency 1 2] [--postgres]``

For each concurrency setting: a fresh instance whose queued run coordinator
allows that many runs, ``repo2video webhook serve`` and ``dagster-daemon run`` as
real processes, then one signed star delivery per repository (all at once). The
sensor turns them into runs; the figure is repositories per hour from the first
delivery to the last run's end. Every run must succeed, once per repository.

``--postgres`` (``make bench-throughput-postgres``): Dagster's storage and the event table
in a throw-away PostgreSQL database instead of the instance's SQLite files, as in the
Docker deployment (deploy/).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from repo2video_devtools.bench.sample import make_bench_repo


def measure(
    work: Path, repos: list[Path], concurrency: int, formats: str, postgres_url: str | None = None
) -> dict[str, Any]:
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    from repo2video_dagster.run_tags import TAG_TRIGGER
    from repo2video_devtools.reliability.procs import Service, instance_home, service_env
    from repo2video_devtools.reliability.service import SECRETS, deliver_star

    overrides: dict[str, Any] = {
        "run_coordinator": {"config": {"max_concurrent_runs": concurrency}}
    }
    storage_env: dict[str, str] = {}
    if postgres_url:
        overrides["storage"] = {"postgres": {"postgres_url": postgres_url}}
        storage_env["REPO2VIDEO_EVENTS_URL"] = postgres_url
    home = instance_home(work / "home", overrides)
    env = service_env(
        home,
        work / "var",
        REPO2VIDEO_ALLOW_LOCAL="1",
        REPO2VIDEO_FORMATS=formats,
        **SECRETS,
        **storage_env,
    )
    service = Service(work / "logs")
    try:
        _, port = service.receiver(env)
        service.daemon(env)
        started = time.monotonic()
        deliveries = [deliver_star(port, repo) for repo in repos]
        with DagsterInstance.from_config(str(home)) as instance:
            done_states = {
                DagsterRunStatus.SUCCESS,
                DagsterRunStatus.FAILURE,
                DagsterRunStatus.CANCELED,
            }
            while True:
                runs = instance.get_run_records(RunsFilter(tags={TAG_TRIGGER: "webhook"}))
                finished = [r for r in runs if r.dagster_run.status in done_states]
                if len(finished) >= len(repos) and len(runs) == len(finished):
                    break
                if time.monotonic() - started > 3600:
                    raise TimeoutError(
                        f"{len(finished)}/{len(repos)} runs finished after an hour\n"
                        + service.tails()
                    )
                time.sleep(2)  # polling interval
            elapsed = max(r.end_time for r in finished) - min(
                r.create_timestamp.timestamp() for r in runs
            )
            statuses = [r.dagster_run.status.value for r in runs]
            partitions = [r.dagster_run.tags.get("dagster/partition") for r in runs]
    finally:
        service.stop()
    return {
        "storage": "postgres" if postgres_url else "sqlite",
        "concurrency": concurrency,
        "repos": len(repos),
        "deliveries": len(deliveries),
        "runs": len(runs),
        "succeeded": statuses.count("SUCCESS"),
        "distinct_partitions": len(set(partitions)),
        "elapsed_s": round(elapsed, 1),
        "wall_s": round(time.monotonic() - started, 1),
        "repos_per_hour": round(3600 * statuses.count("SUCCESS") / elapsed, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m repo2video_devtools.bench.throughput",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--formats", default="reel", help="reel | landscape | both (default reel)")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="Dagster storage and the event table in PostgreSQL (a throw-away database)",
    )
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="repo2video-throughput-"))
    results = []
    for concurrency in args.concurrency:
        work = root / f"c{concurrency}"
        repos = [
            make_bench_repo(work / "repos" / f"mdtoc{i:02d}", name=f"mdtoc{i:02d}")
            for i in range(args.repos)
        ]
        print(
            f"throughput: {args.repos} repositories at concurrency {concurrency} …",
            file=sys.stderr,
            flush=True,
        )
        if args.postgres:
            from repo2video_devtools.deploy.postgres import server_for_tests

            with server_for_tests() as server, server.database("repo2video_bench") as db:
                result = measure(work, repos, concurrency, args.formats, db.url)
        else:
            result = measure(work, repos, concurrency, args.formats)
        results.append(result)
        print(json.dumps(result), flush=True)
    for r in results:
        ok = r["succeeded"] == r["repos"] == r["runs"] == r["distinct_partitions"]
        print(
            f"throughput_c{r['concurrency']}_repos_per_hour={r['repos_per_hour']}  "
            f"({r['succeeded']}/{r['repos']} succeeded, {r['runs']} runs, {'none lost or duplicated' if ok else 'MISMATCH'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
