"""OAuth for a server: a refresh token obtained once, then access tokens on demand.

The refresh token comes from ``$REPO2VIDEO_YOUTUBE_REFRESH_TOKEN`` or from the token
file that ``repo2video youtube auth`` writes (mode 0600, Google's ``authorized_user``
JSON). The OAuth client (id and secret, from the Google Cloud console, type
"Desktop app") comes from the environment or the same file. ``google-auth`` turns
the refresh token into access tokens; none of them is ever logged or put in run
config, tags or error lines.

The consent flow is the loopback flow with PKCE for a machine without a browser: the
command prints the consent URL, the user opens it anywhere, signs in, and pastes the
code (or the whole address the browser was sent to, which carries it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from repo2video_dagster.lib.publish.errors import PublishError, PublishServiceError

SCOPES = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.force-ssl",  # captions, playlists, updates
)
GOOGLE_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
LOOPBACK_REDIRECT = "http://127.0.0.1:8765/"
ENV_REFRESH_TOKEN = "REPO2VIDEO_YOUTUBE_REFRESH_TOKEN"
ENV_CLIENT_ID = "REPO2VIDEO_YOUTUBE_CLIENT_ID"
ENV_CLIENT_SECRET = "REPO2VIDEO_YOUTUBE_CLIENT_SECRET"
AUTH_HINT = "Run `repo2video youtube auth` once, or set REPO2VIDEO_YOUTUBE_REFRESH_TOKEN"


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str
    token_uri: str = GOOGLE_TOKEN_URL
    auth_uri: str = GOOGLE_AUTH_URL


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as err:
        raise PublishError(f"cannot read {path}: {err}", hint=AUTH_HINT) from None
    return data if isinstance(data, dict) else {}


def oauth_client(token_file: Path, token_uri: str, auth_uri: str = GOOGLE_AUTH_URL) -> OAuthClient:
    """The OAuth client from the environment, else from the token file."""
    stored = _read_json(token_file)
    client_id = os.environ.get(ENV_CLIENT_ID) or stored.get("client_id")
    client_secret = os.environ.get(ENV_CLIENT_SECRET) or stored.get("client_secret")
    if not client_id or not client_secret:
        raise PublishError(
            "no YouTube OAuth client: set REPO2VIDEO_YOUTUBE_CLIENT_ID and "
            "REPO2VIDEO_YOUTUBE_CLIENT_SECRET (Google Cloud console, OAuth client of type Desktop app)"
        )
    return OAuthClient(client_id, client_secret, token_uri=token_uri, auth_uri=auth_uri)


def load_credentials(token_file: Path, token_uri: str):
    """``google.oauth2.credentials.Credentials`` that refresh themselves (no token yet)."""
    from google.oauth2.credentials import Credentials

    client = oauth_client(token_file, token_uri)
    refresh = os.environ.get(ENV_REFRESH_TOKEN) or _read_json(token_file).get("refresh_token")
    if not refresh:
        raise PublishError("no YouTube refresh token", hint=AUTH_HINT)
    return Credentials(
        token=None,
        refresh_token=refresh,
        token_uri=token_uri,
        client_id=client.client_id,
        client_secret=client.client_secret,
        scopes=list(SCOPES),
    )


@dataclass(frozen=True)
class Consent:
    """One consent attempt: the URL to open and what the exchange needs afterwards."""

    url: str
    state: str
    verifier: str
    redirect_uri: str


def consent(client: OAuthClient, redirect_uri: str = LOOPBACK_REDIRECT) -> Consent:
    """The consent URL (offline access, PKCE S256, a random state)."""
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    state = secrets.token_urlsafe(16)
    query = {
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "access_type": "offline",
        "prompt": "consent",  # a refresh token every time, even for a returning user
        "state": state,
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }
    url = f"{client.auth_uri}?{urllib.parse.urlencode(query)}"
    return Consent(url=url, state=state, verifier=verifier, redirect_uri=redirect_uri)


def code_from(answer: str, expected_state: str) -> str:
    """The authorization code from what the user pasted: the code, or the redirected URL."""
    answer = answer.strip()
    if "://" not in answer and "code=" not in answer:
        if not answer:
            raise PublishError(
                "no code given", hint="Paste the code or the address the browser showed"
            )
        return answer
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(answer).query or answer)
    if "error" in query:
        raise PublishError(f"consent was refused: {query['error'][0]}")
    if query.get("state", [expected_state])[0] != expected_state:
        raise PublishError(
            "the pasted address belongs to another consent attempt", hint="Start again"
        )
    if not query.get("code"):
        raise PublishError("the pasted address has no code", hint="Paste the whole address")
    return query["code"][0]


def exchange(client: OAuthClient, flow: Consent, code: str, timeout_s: float = 30.0) -> dict:
    """Trade the code for tokens at the token endpoint; the answer holds ``refresh_token``."""
    form = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "redirect_uri": flow.redirect_uri,
            "code_verifier": flow.verifier,
        }
    ).encode()
    request = urllib.request.Request(client.token_uri, data=form, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as err:
        try:
            reason = json.loads(err.read()).get("error", "")
        except (ValueError, AttributeError):
            reason = ""
        if err.code >= 500:
            raise PublishServiceError(f"the token endpoint answered HTTP {err.code}") from None
        raise PublishError(
            f"the token endpoint refused the code (HTTP {err.code} {reason})".strip(),
            hint="Codes are single-use and expire in minutes: run the command again",
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise PublishServiceError(f"cannot reach the token endpoint: {reason}") from None
    if not isinstance(answer, dict) or not answer.get("refresh_token"):
        raise PublishError(
            "the token endpoint gave no refresh token",
            hint="Remove the app's access at myaccount.google.com/permissions and run again",
        )
    return answer


def store_token(path: Path, client: OAuthClient, tokens: dict) -> Path:
    """Write Google's ``authorized_user`` JSON with mode 0600 (directory 0700)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    data = {
        "type": "authorized_user",
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "refresh_token": tokens["refresh_token"],
        "token_uri": client.token_uri,
        "scopes": list(SCOPES),
    }
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path
