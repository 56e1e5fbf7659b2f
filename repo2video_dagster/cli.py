"""``repo2video``: render a repository, serve webhooks, inspect jobs.

Errors the user can fix are printed as one line (``error: ...``) with a non-zero
exit status, never as a traceback. Dagster is imported only by the commands that
need it, so ``render`` can answer "cached" for an unchanged commit quickly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from repo2video_dagster.lib.core.errors import UserError

EXIT_USER_ERROR = 2
EXIT_RUN_FAILED = 1

DESCRIPTION = """\
Turn a source repository into a narrated explainer video: a 9:16 reel and a 16:9 cut
with word-highlighted captions, SRT/VTT subtitles, a thumbnail and a blog post.
Runs are recorded in the Dagster instance named by $DAGSTER_HOME, so they show in
the Dagster UI (`make dev`)."""

RENDER_EPILOG = """\
examples:
  repo2video render https://github.com/pallets/click
  repo2video render ./my-project --format reel --out ~/Videos
  repo2video render ~/src/tool --json

environment (defaults in parentheses):
  REPO2VIDEO_DATA_DIR       outputs, checkouts and caches (./var)
  REPO2VIDEO_ALLOWED_HOSTS  git hosts that may be cloned (github.com)
  REPO2VIDEO_ALLOWED_PRIVATE_NETWORKS
                            CIDRs an allowed host may resolve into although they are
                            private or loopback, e.g. a self-hosted git server (none)
  REPO2VIDEO_WRITER         template | llm (template); llm uses REPO2VIDEO_LLM_BASE_URL,
                            REPO2VIDEO_LLM_MODEL, REPO2VIDEO_LLM_API_KEY
  REPO2VIDEO_TTS            piper | espeak (piper)
  REPO2VIDEO_ASR            faster-whisper | openai-whisper (faster-whisper)
  REPO2VIDEO_ASR_MODEL      tiny.en | base | a model dir or .pt checkpoint (tiny.en)
"""


def ensure_dagster_home() -> Path:
    """Use $DAGSTER_HOME, or a ``.dagster_home`` in the current directory (the embedded default)."""
    home = os.environ.get("DAGSTER_HOME")
    if home:
        path = Path(home).expanduser().resolve()
    else:
        path = (Path.cwd() / ".dagster_home").resolve()
        os.environ["DAGSTER_HOME"] = str(path)
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        project_config = Path.cwd() / "dagster.yaml"
        if project_config.is_file():
            config.write_text(project_config.read_text(encoding="utf-8"), encoding="utf-8")
        else:
            config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- render


def _cli_resources(args: argparse.Namespace, formats: list[str]) -> dict[str, Any]:
    from repo2video_dagster.lib.core.settings import env_bool
    from repo2video_dagster.resources import default_resources, with_overrides

    resources = default_resources()
    # The CLI is run by the machine's owner: local paths are allowed unless explicitly disabled.
    allow_local = env_bool("ALLOW_LOCAL", True) or args.allow_local
    resources["source"] = with_overrides(resources["source"], allow_local=allow_local)
    resources["render"] = with_overrides(resources["render"], formats=formats)
    resources["storage"] = with_overrides(resources["storage"], reuse=not args.force)
    return resources


def _is_cached(manifest: dict[str, Any] | None, head: str, resources: dict[str, Any]) -> bool:
    """The manifest is of this commit, made by this code with these settings, and complete."""
    from repo2video_dagster.lib.core.manifest import manifest_complete
    from repo2video_dagster.lib.core.reuse import source_version
    from repo2video_dagster.resources import output_settings

    if not manifest or manifest.get("commit") != head:
        return False
    wanted = {
        "code": source_version(),
        **output_settings(resources["script_writer"], resources["speech"], resources["render"]),
    }
    made = manifest.get("settings", {})
    formats = set(resources["render"].formats)
    return (
        all(made.get(k) == v for k, v in wanted.items())
        and formats <= {v["format"] for v in manifest.get("videos", [])}
        and manifest_complete(manifest)
    )


def _outputs_from_manifest(manifest: dict[str, Any], cached: bool) -> dict[str, Any]:
    videos = {v["format"]: v["path"] for v in manifest.get("videos", [])}
    return {
        "repo": manifest.get("repo"),
        "partition": manifest.get("key"),
        "commit": manifest.get("commit"),
        "cached": cached,
        "duration_s": manifest.get("duration_s"),
        "videos": videos,
        "captions": {
            "srt": manifest.get("srt"),
            "vtt": manifest.get("vtt"),
            "words": manifest.get("words_json"),
        },
        "thumbnail": manifest.get("thumbnail"),
        "blog_post": {"markdown": manifest.get("post_markdown"), "html": manifest.get("post_html")},
        "site_index": manifest.get("site_index"),
        "render_seconds": manifest.get("render_seconds"),
        "checks_failed": manifest.get("checks_failed", []),
    }


def _print_outputs(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(out, indent=2))
        return
    state = (
        "cached (commit unchanged; use --force to render again)" if out["cached"] else "rendered"
    )
    print(f"{out['repo']} @ {str(out['commit'])[:12]}: {state}")
    print(f"  duration   {out['duration_s']:.1f} s")
    for fmt, path in out["videos"].items():
        print(f"  {fmt:<10} {path}")
    print(f"  thumbnail  {out['thumbnail']}")
    print(f"  captions   {out['captions']['srt']}")
    print(f"             {out['captions']['vtt']}")
    print(f"  blog post  {out['blog_post']['markdown']}")
    print(f"  web page   {out['blog_post']['html']}")
    print(f"  site index {out['site_index']}")
    for check in out.get("checks_failed") or []:
        what = f": {check['description']}" if check.get("description") else ""
        print(
            f"  check      {check['check']} ({check['asset']}) failed "
            f"[{check['severity'].lower()}]{what}"
        )


def _copy_outputs(out: dict[str, Any], dest: Path) -> dict[str, Any]:
    """Copy the deliverables into ``--out`` and return the same summary with the new paths."""
    dest.mkdir(parents=True, exist_ok=True)
    key = out["partition"]

    def copy(path: str | None, name: str) -> str | None:
        if not path:
            return None
        target = dest / name
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
        return str(target)

    copied = dict(out)
    copied["videos"] = {fmt: copy(p, f"{key}-{fmt}.mp4") for fmt, p in out["videos"].items()}
    copied["thumbnail"] = copy(out["thumbnail"], f"{key}-thumbnail.png")
    copied["captions"] = {
        "srt": copy(out["captions"]["srt"], f"{key}.srt"),
        "vtt": copy(out["captions"]["vtt"], f"{key}.vtt"),
        "words": copy(out["captions"]["words"], f"{key}-words.json"),
    }
    copied["blog_post"] = {
        "markdown": copy(out["blog_post"]["markdown"], f"{key}.md"),
        "html": out["blog_post"]["html"],
    }
    return copied


def cmd_render(args: argparse.Namespace) -> int:
    from repo2video_dagster.lib.core.manifest import read_manifest
    from repo2video_dagster.lib.core.retry import call_with_retries
    from repo2video_dagster.lib.core.settings import parse_formats
    from repo2video_dagster.lib.source.checkout import remote_head
    from repo2video_dagster.lib.source.targets import parse_target

    started = time.monotonic()
    try:
        formats = list(parse_formats(args.format))
    except ValueError as err:
        raise UserError(str(err)) from None
    resources = _cli_resources(args, formats)
    policy = resources["source"].policy()
    layout = resources["storage"].layout
    source = parse_target(args.target, policy)

    def say_retry(err: UserError, wait_s: float) -> None:
        print(f"{err.problem}; trying again in {wait_s:.0f} s", file=sys.stderr)

    # Outside any run, so not under the steps' RetryPolicy: the same retries here.
    head = call_with_retries(lambda: remote_head(source, policy), on_retry=say_retry)

    manifest = read_manifest(layout.output(source.key))
    if not args.force and _is_cached(manifest, head, resources):
        out = _outputs_from_manifest(manifest, cached=True)
        if args.out:
            out = _copy_outputs(out, Path(args.out).expanduser())
        _print_outputs(out, args.json)
        return 0

    ensure_dagster_home()
    from dagster import DagsterInstance

    from repo2video_dagster.definitions import build_definitions
    from repo2video_dagster.launch import register_repository, result_failure, run_render
    from repo2video_dagster.lib.core.registry import registered_target
    from repo2video_dagster.run_tags import TRIGGER_CLI, render_tags

    if not args.json:
        print(
            f"rendering {source.display_name} ({head[:12]}) as partition {source.key}",
            file=sys.stderr,
        )
    defs = build_definitions(resources=resources)
    tags = render_tags(source.key, registered_target(source), TRIGGER_CLI, commit=head)
    # A dup of stderr taken now, before Dagster's compute-log capture redirects fd 2:
    # progress lines written through the capture's tee can be lost (see progress.py).
    progress_fd = os.dup(sys.stderr.fileno())
    try:
        with DagsterInstance.get() as instance:
            register_repository(instance, layout.root, source)
            loggers = {} if args.json else {"progress": {"config": {"fd": progress_fd}}}
            result = run_render(defs, instance, source.key, tags=tags, loggers=loggers)
            if not result.success:
                failure = result_failure(result)
                print(
                    f"error: {failure.line} (run {result.run_id[:8]} in the Dagster UI)",
                    file=sys.stderr,
                )
                return EXIT_USER_ERROR if failure.users_to_fix else EXIT_RUN_FAILED
            _update_catalog(defs, instance, loggers)
    finally:
        os.close(progress_fd)

    manifest = read_manifest(layout.output(source.key)) or {}
    out = _outputs_from_manifest(manifest, cached=False)
    out["wall_seconds"] = round(time.monotonic() - started, 2)
    out["run_id"] = result.run_id
    if args.out:
        out = _copy_outputs(out, Path(args.out).expanduser())
    _print_outputs(out, args.json)
    return 0


def _update_catalog(defs: Any, instance: Any, loggers: dict[str, Any]) -> None:
    """Materialize the catalog after a render; a failure here is only a warning."""
    from dagster import AssetKey

    try:
        defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=[AssetKey("catalog")],
            raise_on_error=False,
            run_config={"loggers": loggers} if loggers else None,
        )
    except Exception as err:  # the catalog is a convenience; the render succeeded
        print(f"warning: catalog not updated: {err}", file=sys.stderr)


# ---------------------------------------------------------------- other commands


def cmd_key(args: argparse.Namespace) -> int:
    from repo2video_dagster.lib.source.policy import SourcePolicy
    from repo2video_dagster.lib.source.targets import parse_target

    policy = SourcePolicy(allow_local=True, allow_ssh=True)
    print(parse_target(args.target, policy).key)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from repo2video_dagster.doctor import run_checks

    ok = True
    for name, passed, detail in run_checks():
        ok &= passed
        print(f"  {'ok ' if passed else 'MISSING'}  {name:<24} {detail}")
    if not ok:
        print("error: some requirements are missing; run `make setup`", file=sys.stderr)
    return 0 if ok else EXIT_USER_ERROR


def cmd_webhook_serve(args: argparse.Namespace) -> int:
    ensure_dagster_home()
    from repo2video_dagster.receiver.serve import serve

    serve(args.host, args.port, insecure=args.insecure_dev)
    return 0


def cmd_retire(args: argparse.Namespace) -> int:
    ensure_dagster_home()
    from dagster import DagsterInstance

    from repo2video_dagster.lib.core.settings import default_data_dir
    from repo2video_dagster.retire import resolve_key, retire_repository

    data_dir = default_data_dir()
    with DagsterInstance.get() as instance:
        key = resolve_key(instance, data_dir, args.target)
        retired = retire_repository(instance, data_dir, key)
    print(retired.line)
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    ensure_dagster_home()
    from repo2video_dagster.receiver.jobs import print_jobs

    return print_jobs(
        job_id=args.id, status=args.status, repo=args.repo, limit=args.limit, as_json=args.json
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="repo2video",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    render = sub.add_parser(
        "render",
        help="render a repository (GitHub URL or local git repo) into videos, captions and a blog post",
        description="Render TARGET end to end through the Dagster asset graph, in this process.",
        epilog=RENDER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    render.add_argument(
        "target",
        metavar="TARGET",
        help="https://github.com/OWNER/NAME, another allowed git URL, or a local path",
    )
    render.add_argument(
        "--format",
        default="both",
        choices=["reel", "landscape", "both"],
        help="which video(s) to make (default: both)",
    )
    render.add_argument(
        "--out", metavar="DIR", help="also copy the videos, captions, thumbnail and post into DIR"
    )
    render.add_argument(
        "--json",
        action="store_true",
        help="print a JSON summary (paths, duration_s, commit) instead of text",
    )
    render.add_argument(
        "--force",
        action="store_true",
        help="render again even if the commit is unchanged (ignores caches)",
    )
    render.add_argument(
        "--allow-local",
        action="store_true",
        help="allow local paths even if REPO2VIDEO_ALLOW_LOCAL=0",
    )
    render.set_defaults(func=cmd_render)

    key = sub.add_parser("key", help="print the partition key of a target")
    key.add_argument("target", metavar="TARGET")
    key.set_defaults(func=cmd_key)

    retire = sub.add_parser(
        "retire",
        help="remove a repository: its partition, registry entry, outputs and site page",
        description="Retire TARGET_OR_KEY: delete its Dagster partition, its registry entry, "
        "its outputs and checkout, and its page on the site (run history stays).",
    )
    retire.add_argument(
        "target",
        metavar="TARGET_OR_KEY",
        help="a partition key (owner__name), or the URL, owner/name or path it was added with",
    )
    retire.set_defaults(func=cmd_retire)

    doctor = sub.add_parser(
        "doctor", help="check that engines, models, fonts and ffmpeg are installed"
    )
    doctor.set_defaults(func=cmd_doctor)

    webhook = sub.add_parser("webhook", help="GitHub webhook receiver")
    webhook_sub = webhook.add_subparsers(dest="webhook_command", metavar="COMMAND")
    serve = webhook_sub.add_parser(
        "serve",
        help="serve POST /webhook, GET /jobs and GET /health",
        description="Serve the webhook receiver. Needs REPO2VIDEO_WEBHOOK_SECRET (or _FILE).",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8787)
    serve.add_argument(
        "--insecure-dev",
        action="store_true",
        help="run WITHOUT signature checks (local development only)",
    )
    serve.set_defaults(func=cmd_webhook_serve)

    jobs = sub.add_parser("jobs", help="show render jobs (runs) from Dagster run storage")
    jobs.add_argument("id", nargs="?", help="a delivery id or run id")
    jobs.add_argument(
        "--status", choices=["accepted", "queued", "started", "success", "failure", "canceled"]
    )
    jobs.add_argument("--repo", help="partition key, e.g. owner__name")
    jobs.add_argument("--limit", type=int, default=20)
    jobs.add_argument("--json", action="store_true")
    jobs.set_defaults(func=cmd_jobs)

    from repo2video_dagster.cli_publish import add_publish_commands

    add_publish_commands(sub)
    from repo2video_dagster.cli_dub import add_dub_command

    add_dub_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return args.func(args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # an unexpected bug: one line here, the traceback in a log file
        if os.environ.get("REPO2VIDEO_DEBUG"):
            raise
        log_path = _write_crash_log()
        print(
            f"error: unexpected {type(err).__name__}: {err} (traceback in {log_path})",
            file=sys.stderr,
        )
        return EXIT_RUN_FAILED


def _write_crash_log() -> Path:
    import tempfile
    import traceback

    from repo2video_dagster.lib.core.settings import default_data_dir

    try:
        log_dir = default_data_dir() / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        log_dir = Path(tempfile.gettempdir())
    path = log_dir / f"repo2video-crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    path.write_text(traceback.format_exc(), encoding="utf-8")
    return path


def run() -> None:
    """Console-script entry: ``main`` then exit without interpreter teardown.

    Everything is written and closed by then; tearing down onnxruntime,
    CTranslate2 and thousands of modules only adds about a second to every call.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
