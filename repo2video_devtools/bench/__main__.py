"""``make bench``: time the product on a fixed sample repository.

Every figure comes from one invocation, so ratios compare like with like on a
shared, noisy machine. Renders run as separate processes (``bench.worker``) with
a fresh instance and data directory each, so each is a cold render after clone.

Prints a table, then ``key=value`` lines (see README "Performance").
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repo2video_dagster.definitions import STAGES
from repo2video_devtools.bench.motion import motion_figures
from repo2video_devtools.bench.sample import make_bench_repo
from repo2video_devtools.bench.soundtrack import soundtrack_figures

PROJECT = Path(__file__).resolve().parents[2]


@dataclass
class Render:
    wall_s: float
    summary: dict[str, Any]
    stages: dict[str, float]
    run_wall_s: float
    home: Path
    data_dir: Path

    @property
    def video_s(self) -> float:
        return float(self.summary["duration_s"])

    @property
    def cpu_busy_pct(self) -> float:
        """CPU seconds (Python + ffmpeg + git) over what the cores could give in the wall time."""
        bench = self.summary["bench"]
        cpu = bench["cpu_self_s"] + bench["cpu_children_s"]
        return 100.0 * cpu / (self.wall_s * (os.cpu_count() or 1))

    @property
    def overhead_pct(self) -> float:
        return 100.0 * (self.run_wall_s - sum(self.stages.values())) / self.run_wall_s


@dataclass
class Results:
    reel: list[Render] = field(default_factory=list)
    both: list[Render] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def env_for(home: Path, data_dir: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPO2VIDEO_")}
    env.update(
        DAGSTER_HOME=str(home), REPO2VIDEO_DATA_DIR=str(data_dir), REPO2VIDEO_ALLOW_LOCAL="1"
    )
    return env


def run_worker(
    repo: Path, fmt: str, home: Path, data_dir: Path, *extra: str, profile: Path | None = None
) -> tuple[float, dict[str, Any]]:
    env = env_for(home, data_dir)
    if profile:
        env["REPO2VIDEO_BENCH_PROFILE"] = str(profile)
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "repo2video_devtools.bench.worker",
            str(repo),
            "--format",
            fmt,
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: render failed: {proc.stderr.strip().splitlines()[-1:]}")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def stage_times(home: Path, run_id: str) -> tuple[dict[str, float], float]:
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        record = instance.get_run_record_by_id(run_id)
        stats = instance.get_run_step_stats(run_id)
    stages = {s.step_key: s.end_time - s.start_time for s in stats if s.end_time and s.start_time}
    return stages, record.end_time - record.start_time


def cold_render(root: Path, repo: Path, fmt: str, index: int) -> Render:
    home, data_dir = root / f"{fmt}-{index}" / "home", root / f"{fmt}-{index}" / "var"
    wall, summary = run_worker(repo, fmt, home, data_dir)
    stages, run_wall = stage_times(home, summary["run_id"])
    log(f"{fmt} run {index + 1}: {wall:.1f} s wall for {summary['duration_s']:.1f} s of video")
    return Render(wall, summary, stages, run_wall, home, data_dir)


def load_outputs(render: Render) -> dict[str, Any]:
    key = render.summary["partition"]
    out = {}
    for asset in ("visuals", "narration", "captions", "video_script"):
        with open(render.home / "storage" / asset / key, "rb") as fh:
            out[asset] = pickle.load(fh)
    return out


def encode_ratio(render: Render, repeats: int) -> dict[str, float]:
    """moviepy path vs bare ffmpeg on exactly the same frames and audio, interleaved."""
    from repo2video_dagster.assets.render import scene_spans
    from repo2video_dagster.lib.render.video import render_video
    from repo2video_dagster.lib.speech.subtitles import group_cues
    from repo2video_devtools.bench.encode_baseline import render_frames_ffmpeg_baseline

    outputs = load_outputs(render)
    narration, captions, visuals = outputs["narration"], outputs["captions"], outputs["visuals"]
    spans = scene_spans(narration)
    cues = group_cues(captions.words, track_end=narration.duration_s)
    wav = Path(narration.track_path)
    from repo2video_dagster.resources import RenderResource

    # The product's own encoder settings (preset, crf), so the ratio is about what users run.
    settings = RenderResource()
    options = {"preset": settings.preset, "crf": settings.crf, "threads": os.cpu_count() or 1}
    times: dict[str, list[float]] = {"moviepy": [], "ffmpeg": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            for name, fn in (("moviepy", render_video), ("ffmpeg", render_frames_ffmpeg_baseline)):
                started = time.monotonic()
                # The product path encodes scene chunks (fresh: nothing to reuse) side by
                # side; the baseline is one bare ffmpeg process over the same frames.
                chunks = {"chunks_dir": Path(tmp) / f"chunks-{i}"} if name == "moviepy" else {}
                fn(
                    "reel",
                    visuals.scenes,
                    spans,
                    cues,
                    wav,
                    Path(tmp) / f"{name}-{i}.mp4",
                    **options,
                    **chunks,
                )
                times[name].append(time.monotonic() - started)
    moviepy_s, ffmpeg_s = median(times["moviepy"]), median(times["ffmpeg"])
    log(
        f"encode ({settings.preset}): moviepy {moviepy_s:.1f} s, bare ffmpeg {ffmpeg_s:.1f} s"
        f" (median of {repeats})"
    )
    return {
        "encode_moviepy_s": moviepy_s,
        "encode_ffmpeg_s": ffmpeg_s,
        "encode_vs_ffmpeg": moviepy_s / ffmpeg_s,
    }


def dagster_rerun(render: Render) -> float:
    """An unchanged commit re-materialized through Dagster (sensor/schedule path): stages reuse results."""
    from dagster import DagsterInstance

    from repo2video_dagster.definitions import build_definitions
    from repo2video_dagster.launch import run_render
    from repo2video_dagster.resources import default_resources, with_overrides

    resources = default_resources()
    resources["storage"] = with_overrides(resources["storage"], data_dir=str(render.data_dir))
    resources["source"] = with_overrides(resources["source"], allow_local=True)
    resources["render"] = with_overrides(resources["render"], formats=["reel"])
    defs = build_definitions(resources=resources)
    with DagsterInstance.from_config(str(render.home)) as instance:
        started = time.monotonic()
        result = run_render(
            defs,
            instance,
            render.summary["partition"],
            loggers={"console": {"config": {"log_level": "WARNING"}}},
        )
        took = time.monotonic() - started
    assert result.success
    return took


def scene_edit(render: Render, repo: Path) -> dict[str, Any]:
    """One more commit (a license file edit) and re-render through Dagster.

    The new commit changes one fact the video states, the commit count in the activity
    scene (the sample's license is named by pyproject, so the file's text is not spoken):
    that scene is spoken, recognised, drawn and encoded again; the rest is reused."""
    license_file = repo / "LICENSE"
    license_file.write_text(
        license_file.read_text().replace("MIT License", "ISC License"), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="b@x",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="b@x",
        GIT_AUTHOR_DATE="2024-03-09T10:00:00+00:00",
        GIT_COMMITTER_DATE="2024-03-09T10:00:00+00:00",
    )
    subprocess.run(["git", "commit", "-qam", "Relicense"], cwd=repo, check=True, env=env)
    wall, summary = run_worker(repo, "reel", render.home, render.data_dir)
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(render.home)) as instance:
        meta = {}
        for asset in ("narration", "visuals", "captions", "video"):
            event = instance.get_latest_materialization_event(AssetKey(asset))
            meta[asset] = {k: v.value for k, v in event.asset_materialization.metadata.items()}
    return {
        "scene_edit_rerender_s": wall,
        "scene_edit_slides_drawn": meta["visuals"].get("drawn"),
        "scene_edit_scenes_synthesized": meta["narration"].get("synthesized"),
        "scene_edit_scenes_recognized": len(meta["captions"].get("recognized_scenes") or []),
        "scene_edit_reel_chunks": (meta["video"].get("scene_chunks") or {}).get("reel"),
    }


def cached(render: Render, repo: Path) -> float:
    env = env_for(render.home, render.data_dir)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "repo2video_dagster.cli", "render", str(repo), "--format", "reel"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.monotonic() - started
    assert proc.returncode == 0 and "cached" in proc.stdout, proc.stderr
    return took


def print_report(results: Results) -> None:
    reel, both, fig = results.reel, results.both, results.figures
    print()
    print(f"repo2video benchmark — sample repository mdtoc, {len(reel)} cold runs each, medians")
    print(f"{'stage':<16}{'reel (s)':>10}{'reel+landscape (s)':>20}")
    for stage in STAGES:
        r = median([x.stages.get(stage, 0.0) for x in reel])
        b = median([x.stages.get(stage, 0.0) for x in both]) if both else float("nan")
        print(f"{stage:<16}{r:>10.2f}{b:>20.2f}")
    print(
        f"{'run (Dagster)':<16}{median([x.run_wall_s for x in reel]):>10.2f}{median([x.run_wall_s for x in both]) if both else float('nan'):>20.2f}"
    )
    print(
        f"{'end to end':<16}{fig['e2e_wall_s']:>10.2f}{fig.get('e2e_wall_both_s', float('nan')):>20.2f}"
    )
    print()
    for key, value in fig.items():
        print(f"{key}={round(value, 3) if isinstance(value, float) else value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m repo2video_devtools.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=3, help="cold renders per format (default 3)")
    parser.add_argument("--skip-both", action="store_true", help="skip the reel+landscape renders")
    parser.add_argument(
        "--skip-receiver", action="store_true", help="skip the webhook acknowledgement latency"
    )
    parser.add_argument(
        "--rate", type=int, default=200, help="receiver load, requests/s (default 200)"
    )
    parser.add_argument(
        "--seconds", type=float, default=15.0, help="receiver load duration (default 15 s)"
    )
    parser.add_argument(
        "--receiver-postgres",
        action="store_true",
        help="also measure the receiver with its event table in PostgreSQL (receiver_pg_*)",
    )
    parser.add_argument(
        "--skip-languages",
        action="store_true",
        help="skip the CPU seconds per extra language (es, de, fr, pt)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write all figures to FILE")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="also profile one more cold reel render with pyinstrument: FILE (.html) and FILE.txt",
    )
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="repo2video-bench-"))
    results = Results()
    try:
        repo = make_bench_repo(root / "mdtoc")
        log(f"sample repository at {repo}")
        results.reel = [cold_render(root, repo, "reel", i) for i in range(args.runs)]
        if not args.skip_both:
            results.both = [cold_render(root, repo, "both", i) for i in range(args.runs)]
        fig = results.figures
        last = results.reel[-1]
        fig["video_s"] = median([r.video_s for r in results.reel])
        fig["e2e_wall_s"] = median([r.wall_s for r in results.reel])
        fig["realtime_factor"] = fig["video_s"] / fig["e2e_wall_s"]
        fig["repos_per_hour_single_stream"] = 3600 / fig["e2e_wall_s"]
        if results.both:
            fig["e2e_wall_both_s"] = median([r.wall_s for r in results.both])
            fig["realtime_factor_both"] = fig["video_s"] / fig["e2e_wall_both_s"]
        fig["run_wall_s"] = median([r.run_wall_s for r in results.reel])
        fig["orchestration_overhead_pct"] = median([r.overhead_pct for r in results.reel])
        # Outside the Dagster run: interpreter start, imports, instance, catalog update.
        fig["process_overhead_s"] = median([r.wall_s - r.run_wall_s for r in results.reel])
        renders = results.reel + results.both
        # Sum of the Python process and its children (ffmpeg) sampled at the same instant.
        fig["peak_rss_mb"] = max(r.summary["bench"]["peak_rss_mb"] for r in renders)
        fig["python_peak_rss_mb"] = max(r.summary["bench"]["python_peak_rss_mb"] for r in renders)
        fig["children_peak_rss_mb"] = max(
            r.summary["bench"]["children_peak_rss_mb"] for r in renders
        )
        fig["cpu_busy_pct"] = median([r.cpu_busy_pct for r in results.reel])
        fig["cpu_cores"] = os.cpu_count() or 1
        fig.update(encode_ratio(last, repeats=args.runs))
        outputs = load_outputs(last)
        fig.update(motion_figures(outputs["visuals"], outputs["narration"], outputs["captions"]))
        fig.update(soundtrack_figures(last.data_dir, outputs["video_script"], outputs["captions"]))
        # A yardstick of this machine's speed right now (x264 alone, the same frames):
        # absolute times from different days compare only through it.
        fig["ffmpeg_ms_per_frame"] = 1000 * fig["encode_ffmpeg_s"] / (fig["video_s"] * 30)
        fig["e2e_over_bare_encode"] = fig["e2e_wall_s"] / fig["encode_ffmpeg_s"]
        fig["cached_rerender_s"] = cached(last, repo)
        fig["dagster_unchanged_rerun_s"] = dagster_rerun(last)
        fig.update(scene_edit(last, repo))
        if not args.skip_languages:
            from repo2video_devtools.bench.languages import language_figures

            env = env_for(last.home, last.data_dir)
            fig.update(language_figures(env, repo, fmt="reel" if args.skip_both else "both"))
        if args.profile:
            profile = Path(args.profile).resolve()
            profile.parent.mkdir(parents=True, exist_ok=True)
            home, data_dir = root / "profile" / "home", root / "profile" / "var"
            run_worker(repo, "reel", home, data_dir, profile=profile)
            log(f"profile written to {profile} and {profile.with_suffix('.txt')}")
        if not args.skip_receiver:
            from repo2video_devtools.bench.receiver import measure_receiver

            fig.update(measure_receiver(root / "receiver", rate=args.rate, seconds=args.seconds))
            if args.receiver_postgres:
                from repo2video_devtools.bench.receiver import measure_postgres

                fig.update(
                    measure_postgres(root / "receiver-pg", rate=args.rate, seconds=args.seconds)
                )
        print_report(results)
        if args.json:
            Path(args.json).write_text(json.dumps(fig, indent=2), encoding="utf-8")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
