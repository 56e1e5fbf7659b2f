"""``repo2video youtube auth`` as a user runs it: a real process, the consent URL on
stdout, the redirected address on stdin, the token endpoint of a loopback Google."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from repo2video_devtools.fakes.youtube import serve_youtube

ROOT = Path(__file__).parents[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _consent(url: str) -> str:
    """What the browser does: open the consent URL, end up at the redirect address."""
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(_NoRedirect).open(url)
    return answer.value.headers["Location"]


@pytest.mark.slow
def test_youtube_auth_stores_a_refresh_token_0600(tmp_path: Path) -> None:
    with serve_youtube() as google:
        google.add_client("cid", "csecret")
        token_file = tmp_path / "secrets" / "yt.json"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REPO2VIDEO_DATA_DIR": str(tmp_path / "data"),
            "REPO2VIDEO_YOUTUBE_TOKEN_URL": google.token_url,
            "REPO2VIDEO_YOUTUBE_AUTH_URL": google.auth_url,
            "REPO2VIDEO_YOUTUBE_CLIENT_ID": "cid",
            "REPO2VIDEO_YOUTUBE_CLIENT_SECRET": "csecret",
            "REPO2VIDEO_YOUTUBE_TOKEN_FILE": str(token_file),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "repo2video_dagster.cli", "youtube", "auth"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        lines = []
        while True:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
            if line.startswith(google.auth_url):
                break
        redirected = _consent(line.strip())
        out, err = proc.communicate(redirected + "\n", timeout=60)
        assert proc.returncode == 0, err
        assert f"stored the YouTube refresh token in {token_file} (mode 0600)" in out
        stored = json.loads(token_file.read_text())
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert stored["refresh_token"] in google.state.refresh_tokens
        assert stored["refresh_token"] not in out + err + "".join(lines)  # never printed
        grants = [c.get("grant") for c in google.state.calls if c["method"] == "oauth.token"]
        assert grants == ["authorization_code"]

        # A code pasted twice is refused in one line, without a traceback.
        again = subprocess.run(
            [sys.executable, "-m", "repo2video_dagster.cli", "youtube", "auth"],
            input="http://127.0.0.1:8765/?code=used&state=x\n",
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert again.returncode == 2
        assert again.stderr.startswith("error: ") and "Traceback" not in again.stderr
