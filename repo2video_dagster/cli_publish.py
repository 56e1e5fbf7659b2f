"""``repo2video youtube auth`` and ``repo2video site publish``: the publishing commands.

Kept apart from cli.py (which adds them with one call) so publishing stays one concern.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from repo2video_dagster.lib.core.settings import default_data_dir


def cmd_youtube_auth(args: argparse.Namespace) -> int:
    """The one-time consent: print the URL, read the code, store the refresh token 0600."""
    from repo2video_dagster.lib.publish.errors import PublishError
    from repo2video_dagster.lib.publish.youtube import auth
    from repo2video_dagster.resources import PublishResource

    publish = PublishResource()
    token_file = (
        Path(args.token_file) if args.token_file else publish.token_file(default_data_dir())
    )
    try:
        client = auth.oauth_client(token_file, publish.youtube_token_url, publish.youtube_auth_url)
    except PublishError:
        if not sys.stdin.isatty():
            raise
        client = auth.OAuthClient(
            input("OAuth client id (Desktop app): ").strip(),
            getpass.getpass("OAuth client secret: ").strip(),
            token_uri=publish.youtube_token_url,
            auth_uri=publish.youtube_auth_url,
        )
    flow = auth.consent(client, args.redirect_uri)
    print(
        "Open this address in a browser, sign in with the channel's Google account and allow access:"
    )
    print()
    print(flow.url)
    print()
    print(
        "The browser then goes to an address on 127.0.0.1 that may not load; that is expected.\n"
        "Paste that whole address (or just its code) here:",
        flush=True,
    )
    answer = sys.stdin.readline()
    tokens = auth.exchange(client, flow, auth.code_from(answer, flow.state))
    path = auth.store_token(token_file, client, tokens)
    print(f"stored the YouTube refresh token in {path} (mode 0600)")
    return 0


def cmd_site_publish(args: argparse.Namespace) -> int:
    """Refresh the site's tags and feed for its public URL, then push it to a git branch."""
    from repo2video_dagster.lib.core.errors import UserError
    from repo2video_dagster.lib.core.settings import DataLayout
    from repo2video_dagster.lib.publish.site_git import publish_site, redact
    from repo2video_dagster.lib.publish.social import refresh_site
    from repo2video_dagster.resources import PublishResource

    publish = PublishResource()
    remote = args.remote or publish.site_remote
    if not remote:
        raise UserError(
            "no git remote for the site", hint="Pass --remote or set REPO2VIDEO_SITE_REMOTE"
        )
    site_url = args.site_url if args.site_url is not None else publish.site_url
    site_dir = DataLayout(default_data_dir()).site
    pages = refresh_site(site_dir, site_url or None) if site_dir.is_dir() else 0
    pushed = publish_site(site_dir, remote, args.branch or publish.site_branch)
    state = f"pushed {pushed.commit[:12]}" if pushed.changed else "unchanged"
    print(f"site: {pages} pages, {pushed.files} files -> {redact(remote)} {pushed.branch}: {state}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish a rendered repository now, in this process (no daemon needed)."""
    from repo2video_dagster.cli import EXIT_RUN_FAILED, ensure_dagster_home
    from repo2video_dagster.lib.core.errors import UserError

    ensure_dagster_home()
    from dagster import DagsterInstance

    from repo2video_dagster.definitions import build_definitions
    from repo2video_dagster.launch import result_failure
    from repo2video_dagster.lib.core.settings import DataLayout
    from repo2video_dagster.lib.publish.record import read_publication
    from repo2video_dagster.partitions import REPOSITORIES_PARTITIONS_NAME
    from repo2video_dagster.resources import PublishResource, default_resources
    from repo2video_dagster.run_tags import TAG_REPO, TAG_TRIGGER, TRIGGER_CLI
    from repo2video_dagster.sensors.publication import PUBLISH_JOB_NAME

    resources = default_resources()
    if not isinstance(resources["publish"], PublishResource) or not resources["publish"].targets:
        raise UserError(
            "publishing is off", hint="Set REPO2VIDEO_PUBLISH to youtube, github or both"
        )
    with DagsterInstance.get() as instance:
        known = set(instance.get_dynamic_partitions(REPOSITORIES_PARTITIONS_NAME))
        key = args.key
        if key not in known:
            raise UserError(
                f"{key} has not been rendered here",
                hint="Use the partition key `repo2video key TARGET` prints, after `repo2video render TARGET`",
            )
        job = build_definitions(resources=resources).resolve_job_def(PUBLISH_JOB_NAME)
        result = job.execute_in_process(
            instance=instance,
            partition_key=key,
            tags={TAG_REPO: key, TAG_TRIGGER: TRIGGER_CLI},
            raise_on_error=False,
        )
        if not result.success:
            failure = result_failure(result)
            print(f"error: {failure.line} (run {result.run_id[:8]})", file=sys.stderr)
            return 2 if failure.users_to_fix else EXIT_RUN_FAILED
    record = read_publication(DataLayout(default_data_dir()).output(key))
    if record is None:
        print(f"{key}: published (no record)")
        return 0
    line = record.status
    if record.status == "deferred":
        line = f"deferred until {record.until}: {record.reason}"
    print(f"{key}: {line}")
    for name, url in sorted(record.urls().items()):
        print(f"  {name}: {url}")
    return 0


def add_publish_commands(sub: argparse._SubParsersAction) -> None:
    youtube = sub.add_parser("youtube", help="YouTube publishing")
    youtube_sub = youtube.add_subparsers(dest="youtube_command", metavar="COMMAND")
    auth_cmd = youtube_sub.add_parser(
        "auth",
        help="one-time OAuth consent: stores a refresh token (mode 0600)",
        description=(
            "Print Google's consent URL, read the code, store the refresh token in "
            "REPO2VIDEO_YOUTUBE_TOKEN_FILE (default <data dir>/secrets/youtube-token.json). "
            "Needs REPO2VIDEO_YOUTUBE_CLIENT_ID and REPO2VIDEO_YOUTUBE_CLIENT_SECRET (or asks)."
        ),
    )
    auth_cmd.add_argument("--token-file", help="where to store the token")
    auth_cmd.add_argument(
        "--redirect-uri",
        default="http://127.0.0.1:8765/",
        help="loopback redirect of the Desktop-app OAuth client (default %(default)s)",
    )
    auth_cmd.set_defaults(func=cmd_youtube_auth)

    publish = sub.add_parser(
        "publish",
        help="publish a rendered repository now (YouTube, GitHub), without the daemon",
        description=(
            "Run the publication of partition KEY in this process, as REPO2VIDEO_PUBLISH says. "
            "Safe to repeat: nothing already uploaded is uploaded again."
        ),
    )
    publish.add_argument("key", metavar="KEY", help="partition key, e.g. owner__name")
    publish.set_defaults(func=cmd_publish)

    site = sub.add_parser("site", help="the static site")
    site_sub = site.add_subparsers(dest="site_command", metavar="COMMAND")
    push = site_sub.add_parser(
        "publish",
        help="push the site to a git branch (GitHub Pages style)",
        description=(
            "Add absolute Open Graph URLs and the Atom feed for REPO2VIDEO_SITE_URL, then commit "
            "the site as the tree of the branch (default gh-pages) and push it."
        ),
    )
    push.add_argument("--remote", help="git remote URL or path (default: $REPO2VIDEO_SITE_REMOTE)")
    push.add_argument("--branch", help="branch (default: $REPO2VIDEO_SITE_BRANCH, else gh-pages)")
    push.add_argument("--site-url", help="public URL of the site (default: $REPO2VIDEO_SITE_URL)")
    push.set_defaults(func=cmd_site_publish)
