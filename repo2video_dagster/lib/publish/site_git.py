"""``repo2video site publish``: the static site pushed to a git branch (GitHub Pages style).

The branch gets one commit per publish whose tree is exactly the site directory
(plus ``.nojekyll``, so Pages serves it as is), on top of the branch's last commit
(fetched shallow: only the tip is needed as the parent). Nothing changed, nothing
pushed. This runs the user's own git with the user's own credentials (credential
helper, SSH agent) because it pushes to the user's repository; prompts are off so it
never hangs, and a remote URL's user info (a token) never appears in a message.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from repo2video_dagster.lib.publish.errors import PublishError, PublishServiceError

AUTHOR = ("repo2video", "repo2video@users.noreply.github.com")


@dataclass(frozen=True)
class SitePush:
    branch: str
    commit: str
    changed: bool
    files: int


def redact(text: str) -> str:
    """``https://user:token@host/...`` -> ``https://***@host/...``."""
    return re.sub(r"(\w+://)[^/@\s]+@", r"\1***@", text)


def _git(
    cwd: Path, *args: str, timeout_s: float, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        raise PublishServiceError(f"git {args[0]} took longer than {int(timeout_s)} s") from None
    if check and done.returncode != 0:
        reason = redact((done.stderr.strip().splitlines() or ["failed"])[-1])
        raise PublishError(f"git {args[0]} failed: {reason}")
    return done


def _copy_tree(src: Path, dest: Path) -> int:
    count = 0
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(part.startswith(".") for part in rel.parts):
            continue  # temporary files of atomic writes, editor files
        target = dest / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
        count += 1
    return count


def publish_site(
    site_dir: Path,
    remote: str,
    branch: str = "gh-pages",
    *,
    message: str | None = None,
    timeout_s: float = 600.0,
) -> SitePush:
    """Commit ``site_dir`` as the new tree of ``branch`` at ``remote`` and push it."""
    if not (site_dir / "index.html").is_file():
        raise PublishError(f"{site_dir} has no index.html", hint="Render a repository first")
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", branch) or branch.startswith(("-", "/")):
        raise PublishError(f"{branch!r} is not a branch name")
    with tempfile.TemporaryDirectory(prefix="repo2video-site-") as tmp:
        work = Path(tmp)
        _git(work, "init", "-q", "-b", branch, timeout_s=timeout_s)
        fetched = _git(
            work,
            "fetch",
            "-q",
            "--depth",
            "1",
            remote,
            f"refs/heads/{branch}",
            timeout_s=timeout_s,
            check=False,
        )
        if fetched.returncode == 0:
            _git(work, "reset", "-q", "FETCH_HEAD", timeout_s=timeout_s)
        elif "couldn't find remote ref" not in fetched.stderr:
            reason = redact((fetched.stderr.strip().splitlines() or ["failed"])[-1])
            raise PublishServiceError(f"cannot fetch {redact(remote)}: {reason}")
        files = _copy_tree(site_dir, work)
        (work / ".nojekyll").touch()
        _git(work, "add", "-A", timeout_s=timeout_s)
        if (
            fetched.returncode == 0
            and _git(
                work, "diff", "--cached", "--quiet", timeout_s=timeout_s, check=False
            ).returncode
            == 0
        ):
            head = _git(work, "rev-parse", "HEAD", timeout_s=timeout_s).stdout.strip()
            return SitePush(branch, head, changed=False, files=files)
        _git(
            work,
            "-c",
            f"user.name={AUTHOR[0]}",
            "-c",
            f"user.email={AUTHOR[1]}",
            "commit",
            "-q",
            "-m",
            message or f"Site: {files} files",
            timeout_s=timeout_s,
        )
        head = _git(work, "rev-parse", "HEAD", timeout_s=timeout_s).stdout.strip()
        _git(work, "push", "-q", remote, f"HEAD:refs/heads/{branch}", timeout_s=timeout_s)
        return SitePush(branch, head, changed=True, files=files)
