"""Running git safely: an argument list, a scrubbed environment, inert config, time limits.

Every git command the project runs goes through :func:`run_git`. Its config
disables hooks, symlinks, submodules, redirects and every transport except the
ones the policy allows (none at all for ``offline`` commands), pins remote hosts
to validated addresses (``pins``, see :mod:`~repo2video_dagster.lib.source.pinning`),
and its environment is built from scratch so nothing inherited can redirect git
or leak credentials.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence

from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.redaction import redact_credentials


class GitCommandError(Exception):
    """A git command exited non-zero; ``reason`` is git's last stderr line, redacted.

    ``detail`` holds the last few stderr lines (redacted): the line that says why a
    transfer failed ("RPC failed; HTTP 502") often comes before git's last one.
    """

    def __init__(self, command: str, returncode: int, reason: str, detail: str = "") -> None:
        super().__init__(f"git {command} exited with {returncode}: {reason}")
        self.command = command
        self.returncode = returncode
        self.reason = reason
        self.detail = detail or reason


class GitTimeoutError(Exception):
    """A git command ran past its time limit and was killed with its process group."""


_HOME_DIR: str | None = None


def empty_git_home() -> str:
    """An empty directory for HOME, so no user config, credentials or templates apply."""
    global _HOME_DIR
    if _HOME_DIR is None or not os.path.isdir(_HOME_DIR):
        _HOME_DIR = tempfile.mkdtemp(prefix="repo2video-git-home-")
    return _HOME_DIR


_PASS_THROUGH_ENV = (
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "GIT_SSL_CAINFO",
    "TMPDIR",
)


def git_env(policy: SourcePolicy, local: bool = False) -> dict[str, str]:
    """A from-scratch environment for git.

    Nothing is inherited except PATH, proxies and CA settings: inherited
    ``GIT_ASKPASS``/``GIT_SSH_COMMAND``/``GIT_DIR``/``GIT_CONFIG_*`` could leak
    credentials to an arbitrary host or redirect git. No askpass program is set
    (``GIT_ASKPASS`` empty) and terminal prompts are off, so a private or missing
    repository fails at once with "terminal prompts disabled" instead of hanging or
    sending an empty password (which ``/bin/true`` as askpass would do).
    """
    home = empty_git_home()
    env = {k: v for k in _PASS_THROUGH_ENV if (v := os.environ.get(k))}
    env.update(
        PATH=os.environ.get("PATH", os.defpath),
        HOME=home,
        XDG_CONFIG_HOME=home,
        GIT_CEILING_DIRECTORIES=os.path.dirname(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        GCM_INTERACTIVE="never",
        GIT_LFS_SKIP_SMUDGE="1",
        LC_ALL="C",
        LANG="C",
    )
    if policy.allow_ssh and not local:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=20"
        if sock := os.environ.get("SSH_AUTH_SOCK"):
            env["SSH_AUTH_SOCK"] = sock
    return env


def git_config_args(
    policy: SourcePolicy,
    *,
    local: bool = False,
    offline: bool = False,
    pins: Sequence[str] = (),
) -> list[str]:
    """``-c`` options that make git inert: no hooks, symlinks, submodules, redirects or stray
    transports; ``pins`` (``host:port:addresses``) fix where curl connects."""
    config = {
        "protocol.allow": "never",
        "core.hooksPath": os.devnull,
        "core.symlinks": "false",
        "core.fsmonitor": "false",
        "core.autocrlf": "false",
        "submodule.recurse": "false",
        "fetch.recurseSubmodules": "false",
        "credential.helper": "",
        "core.askPass": "",
        "http.followRedirects": "false",
        "advice.detachedHead": "false",
    }
    if not offline:
        if local:
            config["protocol.file.allow"] = "always"
        else:
            config["protocol.https.allow"] = "always"
            if policy.allow_ssh:
                config["protocol.ssh.allow"] = "always"
    args: list[str] = []
    for key, value in config.items():
        args += ["-c", f"{key}={value}"]
    if not offline:
        for pin in pins:
            args += ["-c", f"http.curloptResolve={pin}"]
    return args


def run_git(
    args: list[str],
    cwd: str | os.PathLike[str] | None,
    policy: SourcePolicy,
    timeout: float,
    *,
    local: bool = False,
    offline: bool = False,
    check: bool = True,
    poll: Callable[[], None] | None = None,
    pins: Sequence[str] = (),
) -> bytes:
    """Run ``git <args>`` safely and return stdout.

    ``offline`` forbids every transport, so commands on a partial clone can never
    fetch lazily. ``poll`` is called about once a second while git runs; whatever it
    raises kills git's process group and propagates (used to stop downloads that
    outgrow the size limit). Timeouts kill the whole group (``git clone`` starts
    helpers such as ``git-remote-https``) and raise :class:`GitTimeoutError`.
    """
    config = git_config_args(policy, local=local, offline=offline, pins=pins)
    command = ["git", *config, *args]
    try:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=git_env(policy, local=local),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        missing = (
            "git is not installed"
            if exc.filename in ("git", None)
            else f"{exc.filename} is missing"
        )
        raise GitCommandError(args[0], 127, missing) from None
    deadline = time.monotonic() + max(timeout, 0.0)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise GitTimeoutError(f"git {args[0]} took longer than {timeout:g} s")
            try:
                out, err = proc.communicate(timeout=min(remaining, 1.0) if poll else remaining)
                break
            except subprocess.TimeoutExpired:
                if poll is not None:
                    poll()
    except BaseException:
        _kill_group(proc)
        raise
    if check and proc.returncode != 0:
        raise GitCommandError(
            args[0], proc.returncode, git_error_reason(err), git_error_detail(err)
        )
    return out


@functools.cache
def git_version() -> tuple[int, int]:
    """(major, minor) of the installed git, asked once per process."""
    out = run_git(["version"], None, SourcePolicy(allowed_hosts=()), 30, offline=True)
    match = re.search(r"(\d+)\.(\d+)", out.decode("ascii", "replace"))
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.communicate(timeout=5)


def git_error_reason(stderr: bytes) -> str:
    """Git's last stderr line without its ``fatal:`` prefix, redacted: the reason users see."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    line = lines[-1] if lines else "no error output"
    line = re.sub(r"^(fatal|error):\s*", "", line)
    return redact_credentials(line)[:300]


def git_error_detail(stderr: bytes, lines: int = 8) -> str:
    """Git's last ``lines`` stderr lines, redacted, joined with `` | ``."""
    text = stderr.decode("utf-8", "replace")
    kept = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
    return redact_credentials(" | ".join(kept))[:1000]
