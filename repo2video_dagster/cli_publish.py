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
