"""Repository sources: turn what a user typed into a safe, bounded checkout.

A target (URL or path) comes from users and webhooks, so it is treated as hostile:
:func:`parse_target` refuses anything dangerous *before* any network or
subprocess call (option injection, ``ext::`` transports, credentials in URLs,
hosts outside the allow list, hosts that resolve to internal addresses), and
:func:`clone_snapshot` runs git with an argument list, a scrubbed environment and
config that disables hooks, symlinks, submodules and every transport except the
ones the policy allows. Limits (time, files, bytes) are enforced while cloning
so that a huge repository costs at most the configured budget.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import ipaddress
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from repo2video_dagster.lib.core.errors import (
    EmptyRepositoryError,
    RepositoryLimitError,
    SourceError,
)
from repo2video_dagster.lib.core.records import RepoSnapshot, RepoSource
from repo2video_dagster.lib.core.settings import env_bool, env_list, env_number

try:  # POSIX only; without it concurrent clones of one key are not serialised.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

Resolver = Callable[[str], Iterable[str]]
"""Host name -> IP address strings; raises ``OSError`` when the name does not resolve."""

GITHUB_HOST = "github.com"
MARKER_NAME = "repo2video-snapshot.json"
"""Written inside ``.git`` of a finished checkout; its presence means the checkout is complete."""

_LFS_PREFIX = b"version https://git-lfs.github.com/spec/"
_MAX_KEY_LEN = 100


class NoCommitsError(SourceError, EmptyRepositoryError):
    """The repository exists but has no commits.

    Both a bad source (nothing to clone) and an empty repository, so callers that
    catch either class see it.
    """


class GitCommandError(Exception):
    """A git command exited non-zero; ``reason`` is git's last stderr line, redacted."""

    def __init__(self, command: str, returncode: int, reason: str) -> None:
        super().__init__(f"git {command} exited with {returncode}: {reason}")
        self.command = command
        self.returncode = returncode
        self.reason = reason


class GitTimeoutError(Exception):
    """A git command ran past its time limit and was killed with its process group."""


@dataclass(frozen=True)
class SourcePolicy:
    """What sources are allowed and how much a clone may cost."""

    allowed_hosts: tuple[str, ...] = (GITHUB_HOST,)
    allow_local: bool = False
    """Local paths and ``file://`` URLs only when enabled (a server must not read its own disk)."""
    allow_ssh: bool = False
    """``ssh://git@host/...`` and ``git@host:owner/name`` only when enabled."""
    max_repo_bytes: int = 500 * 1024**2
    """Checkout size limit (working tree, excluding ``.git``)."""
    max_files: int = 50_000
    clone_timeout_s: float = 180.0
    history_depth: int = 1000
    """Shallow clone depth for remote URLs (0 = full history)."""
    require_readme: bool = True
    resolve_dns: bool = True
    """Refuse hosts that resolve to private, loopback, link-local or reserved addresses."""

    def __post_init__(self) -> None:
        raw = self.allowed_hosts
        if isinstance(raw, str):  # "github.com,gitlab.com" must not become single letters
            raw = tuple(raw.split(","))
        hosts = tuple(h.strip().lower().rstrip(".") for h in raw if h.strip())
        object.__setattr__(self, "allowed_hosts", hosts)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> SourcePolicy:
        """Build a policy from ``REPO2VIDEO_*`` variables, so deployments tune it without code.

        ``REPO2VIDEO_ALLOWED_HOSTS`` (comma list), ``REPO2VIDEO_ALLOW_LOCAL``,
        ``REPO2VIDEO_ALLOW_SSH``, ``REPO2VIDEO_MAX_REPO_MB``, ``REPO2VIDEO_MAX_FILES``,
        ``REPO2VIDEO_CLONE_TIMEOUT_S``, ``REPO2VIDEO_HISTORY_DEPTH``,
        ``REPO2VIDEO_REQUIRE_README``, ``REPO2VIDEO_RESOLVE_DNS``. Keyword overrides
        (for example from CLI flags) win over the environment. This is the one place
        that maps these variables to fields; ``SourceResource`` takes its defaults from here.
        """
        default = cls()
        values: dict[str, object] = {
            "allowed_hosts": tuple(env_list("ALLOWED_HOSTS", list(default.allowed_hosts), env)),
            "allow_local": env_bool("ALLOW_LOCAL", default.allow_local, env),
            "allow_ssh": env_bool("ALLOW_SSH", default.allow_ssh, env),
            "max_repo_bytes": int(
                env_number("MAX_REPO_MB", default.max_repo_bytes / 1024**2, env) * 1024**2
            ),
            "max_files": env_number("MAX_FILES", default.max_files, env),
            "clone_timeout_s": env_number("CLONE_TIMEOUT_S", default.clone_timeout_s, env),
            "history_depth": env_number("HISTORY_DEPTH", default.history_depth, env),
            "require_readme": env_bool("REQUIRE_README", default.require_readme, env),
            "resolve_dns": env_bool("RESOLVE_DNS", default.resolve_dns, env),
        }
        return cls(**{**values, **overrides})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- targets

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_RE = re.compile(r"^(?:(?P<user>[^@/:\s]+)@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/].*)$")
_HOST_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})+$")
_PATH_PART_RE = re.compile(r"^[A-Za-z0-9._~+-]+$")
_GH_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_GH_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_GH_PAGES = {"tree", "blob", "commit", "commits", "pull", "pulls", "issues", "releases", "wiki"}
_URL_HINT = "Give a URL like https://github.com/owner/name"


def parse_target(
    target: str, policy: SourcePolicy, *, resolver: Resolver | None = None
) -> RepoSource:
    """Validate a URL or path and derive its partition key; refuse before touching git.

    ``resolver`` maps a host name to its addresses (default: ``socket.getaddrinfo``);
    tests pass their own. The DNS check narrows, but cannot close, the window in which
    a name could be re-pointed before git connects: it stops plain mistakes and
    internal-address URLs, not an attacker who controls a DNS zone on the allow list.
    """
    text = (target or "").strip()
    if not text:
        raise SourceError("no repository given", hint=f"{_URL_HINT} or a local path")
    shown = _redact(text)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise SourceError(f"{shown!r} contains control characters", hint="Pass one URL or path")
    if text.startswith("-") or any(part.startswith("-") for part in re.split(r"[/:@]", text)):
        raise SourceError(
            f"{shown!r} looks like a command-line option (a part starts with '-')",
            hint=f"{_URL_HINT}; path parts must not start with '-'",
        )
    if "::" in text:
        raise SourceError(
            f"{shown!r} uses git's '<transport>::' syntax, which could run commands",
            hint=_URL_HINT,
        )
    if text.startswith(("/", "./", "../", "~")) or text in (".", ".."):
        return _parse_local(text, text, policy)
    if scheme_match := _SCHEME_RE.match(text):
        scheme = scheme_match.group(1).lower()
        if scheme == "https":
            return _parse_url(text, policy, resolver, ssh=False)
        if scheme in ("ssh", "git+ssh", "ssh+git"):
            return _parse_url(text, policy, resolver, ssh=True)
        if scheme == "file":
            return _parse_file_url(text, policy)
        if scheme == "http":
            raise SourceError(
                f"plain http:// is not allowed ({shown})", hint="Use the https:// URL instead"
            )
        raise SourceError(
            f"the {scheme}:// scheme is not allowed ({shown})",
            hint="Use an https:// URL (or ssh with REPO2VIDEO_ALLOW_SSH=1)",
        )
    if scp := _SCP_RE.match(text):
        user = f"{scp.group('user')}@" if scp.group("user") else ""
        return _parse_url(
            f"ssh://{user}{scp.group('host')}/{scp.group('path')}",
            policy,
            resolver,
            ssh=True,
            shown=shown,
        )
    first = text.split("/", 1)[0].lower()
    looks_remote = first in policy.allowed_hosts or not os.path.exists(text)
    if "/" in text and _HOST_RE.match(first) and looks_remote:
        return _parse_url(f"https://{text}", policy, resolver, ssh=False, shown=shown)
    return _parse_local(text, text, policy)


def key_for(target: str, policy: SourcePolicy) -> str:
    """Partition key of a target, validated but without DNS lookups (cheap, offline)."""
    return parse_target(target, dataclasses.replace(policy, resolve_dns=False)).key


def _parse_url(
    url: str, policy: SourcePolicy, resolver: Resolver | None, *, ssh: bool, shown: str = ""
) -> RepoSource:
    shown = shown or _redact(url)
    if any(ch.isspace() for ch in url):
        raise SourceError(f"{shown!r} contains spaces", hint="Pass one URL without spaces")
    if ssh and not policy.allow_ssh:
        raise SourceError(
            f"ssh URLs are disabled ({shown})",
            hint="Use the https:// URL, or set REPO2VIDEO_ALLOW_SSH=1",
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise SourceError(f"{shown!r} is not a valid URL", hint=_URL_HINT) from None
    if parts.password is not None or (parts.username is not None and not ssh):
        raise SourceError(
            f"{shown} contains credentials",
            hint="Remove user names, passwords and tokens from the URL; only public "
            "repositories are cloned over https",
        )
    if parts.query or parts.fragment:
        raise SourceError(
            f"{shown} has a ?query or #fragment", hint="Remove everything after the repository path"
        )
    host = (parts.hostname or "").rstrip(".")
    if host == "www.github.com":
        host = GITHUB_HOST
    if not host or not _HOST_RE.match(host) and not _is_ip(host):
        raise SourceError(f"{shown!r} has no valid host name", hint=_URL_HINT)
    default_port = 22 if ssh else 443
    host_port = host if port in (None, default_port) else f"{host}:{port}"
    if host_port not in policy.allowed_hosts:
        allowed = ", ".join(policy.allowed_hosts) or "none"
        raise SourceError(
            f"host {host_port} is not allowed (allowed: {allowed})",
            hint="Use a repository on an allowed host, or add the host to REPO2VIDEO_ALLOWED_HOSTS",
        )
    path_parts = [p for p in parts.path.split("/") if p]
    if not path_parts:
        raise SourceError(f"{shown} does not name a repository", hint=_URL_HINT)
    for part in path_parts:
        if part in (".", "..") or part.startswith("-") or not _PATH_PART_RE.match(part):
            raise SourceError(
                f"{shown} has an unsupported path part {part!r}",
                hint="Use letters, digits and . _ - ~ + in repository paths",
            )
    if policy.resolve_dns:
        check_host_addresses(host, resolver)
    user = f"{parts.username}@" if ssh and parts.username else ""
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    if host == GITHUB_HOST:
        return _github_source(
            url, path_parts, shown, ssh_prefix=f"ssh://{user}{netloc}" if ssh else ""
        )
    last = path_parts[-1]
    name = last[:-4] if last.lower().endswith(".git") and len(last) > 4 else last
    key_parts = [host if port in (None, default_port) else f"{host}-{port}", *path_parts[:-1], name]
    scheme = "ssh" if ssh else "https"
    return RepoSource(
        target=shown,
        kind="git",
        url=f"{scheme}://{user}{netloc}/{'/'.join(path_parts)}",
        key=make_key(key_parts, identity=f"{host_port}/{'/'.join(path_parts[:-1] + [name])}"),
        name=name,
        owner="/".join(path_parts[:-1]) or None,
        host=host,
    )


def _github_source(url: str, parts: list[str], shown: str, *, ssh_prefix: str) -> RepoSource:
    if len(parts) > 2:
        what = "a GitHub page" if parts[2].lower() in _GH_PAGES else "not a repository URL"
        raise SourceError(
            f"{shown} is {what}",
            hint=f"Use the repository URL https://github.com/{parts[0]}/{parts[1]}",
        )
    if len(parts) < 2:
        raise SourceError(f"{shown} names no repository", hint=_URL_HINT)
    owner, name = parts
    if name.lower().endswith(".git"):
        name = name[:-4]
    if not _GH_OWNER_RE.match(owner) or not _GH_NAME_RE.match(name) or name in (".", ".."):
        raise SourceError(f"{shown} is not a valid GitHub owner/name", hint=_URL_HINT)
    clone_url = (
        f"{ssh_prefix}/{owner}/{name}.git"
        if ssh_prefix
        else f"https://github.com/{owner}/{name}.git"
    )
    return RepoSource(
        target=shown,
        kind="github",
        url=clone_url,
        key=make_key([owner, name], identity=f"github.com/{owner}/{name}".lower()),
        name=name,
        owner=owner,
        host=GITHUB_HOST,
    )


def _parse_file_url(url: str, policy: SourcePolicy) -> RepoSource:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise SourceError(
            f"{url!r} names a remote machine", hint="Use file:///absolute/path or a plain path"
        )
    return _parse_local(unquote(parts.path), url, policy)


def _parse_local(raw: str, shown: str, policy: SourcePolicy) -> RepoSource:
    if not policy.allow_local:
        hint = "Set REPO2VIDEO_ALLOW_LOCAL=1 or pass --allow-local, or give an https:// URL"
        if re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+", raw) and not os.path.exists(raw):
            hint = (
                f"Did you mean https://github.com/{raw}? For a local path, "
                + hint[0].lower()
                + hint[1:]
            )
        raise SourceError(f"local paths are disabled ({shown})", hint=hint)
    path = os.path.realpath(os.path.abspath(os.path.expanduser(raw)))
    if not os.path.exists(path):
        raise SourceError(f"no such directory: {shown}", hint="Check the path")
    if not os.path.isdir(path):
        raise SourceError(f"{shown} is not a directory", hint="Pass the repository's top directory")
    gitdir = _local_gitdir(path)
    if gitdir is None:
        parent = _enclosing_repo(path)
        hint = (
            f"Pass the repository root {parent}"
            if parent
            else "Run `git init` and commit, or pass a git repository"
        )
        raise SourceError(f"{shown} is not a git repository", hint=hint)
    if _has_commits(gitdir) is False:
        raise NoCommitsError(
            f"{shown} has no commits", hint="Commit at least one file, then try again"
        )
    base = os.path.basename(path) or "repo"
    return RepoSource(
        target=shown,
        kind="local",
        url=path,
        key=make_key(["local", f"{_sanitize(base, 60)}-{_sha8(path)}"], identity=path),
        name=base,
        owner=None,
        host=None,
    )


def _local_gitdir(path: str) -> str | None:
    dotgit = os.path.join(path, ".git")
    if os.path.isdir(dotgit):
        return dotgit
    if os.path.isfile(dotgit):
        return ""  # a worktree or submodule: git knows where its refs are
    if all(os.path.exists(os.path.join(path, p)) for p in ("HEAD", "objects", "refs")):
        return path  # bare repository
    return None


def _enclosing_repo(path: str) -> str | None:
    parent = os.path.dirname(path)
    while parent and parent != os.path.dirname(parent):
        if os.path.exists(os.path.join(parent, ".git")):
            return parent
        parent = os.path.dirname(parent)
    return None


def _has_commits(gitdir: str) -> bool | None:
    """Whether HEAD points at a commit, read from files (no subprocess); None when unsure."""
    if not gitdir or os.path.exists(os.path.join(gitdir, "reftable")):
        return None
    try:
        with open(os.path.join(gitdir, "HEAD"), encoding="utf-8", errors="replace") as fh:
            head = fh.read().strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return bool(re.fullmatch(r"[0-9a-f]{40,64}", head)) or None
    ref = head[4:].strip()
    if os.path.isfile(os.path.join(gitdir, ref)):
        return True
    try:
        with open(os.path.join(gitdir, "packed-refs"), encoding="utf-8", errors="replace") as fh:
            return any(line.rstrip("\n").endswith(f" {ref}") for line in fh)
    except FileNotFoundError:
        return False
    except OSError:
        return None


def check_host_addresses(host: str, resolver: Resolver | None = None) -> list[str]:
    """Resolve ``host`` and refuse internal addresses, so URLs cannot reach private networks."""
    resolve = resolver or _system_resolver
    try:
        addresses = sorted(set(resolve(host)))
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or "name does not resolve"
        raise SourceError(
            f"cannot reach {host}: {reason}", hint="Check the URL or your network"
        ) from None
    if not addresses:
        raise SourceError(
            f"cannot reach {host}: no addresses", hint="Check the URL or your network"
        )
    for text in addresses:
        try:
            addr = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            raise SourceError(
                f"cannot reach {host}: bad address {text!r}", hint="Check the URL or your network"
            ) from None
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
            addr = addr.ipv4_mapped
        if _is_internal(addr):
            raise SourceError(
                f"{host} resolves to {addr}, an internal address; refusing to clone from it",
                hint="Use a public repository URL",
            )
    return addresses


def _is_internal(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        not addr.is_global
        or addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_reserved
        or addr.is_multicast
        or addr.is_unspecified
    )


def _system_resolver(host: str) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def make_key(parts: list[str], *, identity: str) -> str:
    """Join sanitised parts with ``__``; a lossy or long key gets a hash of ``identity``.

    The hash keeps keys distinct when sanitising folds two names together, and keeps
    them under the length limit, while ordinary keys stay readable (``owner__name``).
    """
    clean = [_sanitize(p, _MAX_KEY_LEN) for p in parts]
    key = "__".join(clean)
    lossy = any(c != p.lower() for c, p in zip(clean, parts, strict=True))
    if lossy or len(key) > _MAX_KEY_LEN:
        key = f"{key[: _MAX_KEY_LEN - 9]}-{_sha8(identity)}"
    return key


def _sanitize(text: str, limit: int) -> str:
    out = re.sub(r"[^a-z0-9._-]+", "-", text.lower())
    out = re.sub(r"_{2,}", "_", out)
    out = re.sub(r"-{2,}", "-", out).strip("-._")
    return out[:limit].strip("-._") or "repo"


def _sha8(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]


_CRED_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def _redact(text: str) -> str:
    """Hide ``user:password@`` / ``token@`` in URLs before they reach logs or messages."""
    return _CRED_RE.sub(lambda m: m.group(1) + "***@", text)


# --------------------------------------------------------------------------- running git

_HOME_DIR: str | None = None


def _empty_home() -> str:
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
    home = _empty_home()
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
    policy: SourcePolicy, *, local: bool = False, offline: bool = False
) -> list[str]:
    """``-c`` options that make git inert: no hooks, symlinks, submodules or stray transports."""
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
        "http.followRedirects": "initial",
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
) -> bytes:
    """Run ``git <args>`` safely and return stdout.

    ``offline`` forbids every transport, so commands on a partial clone can never
    fetch lazily. ``poll`` is called about once a second while git runs; whatever it
    raises kills git's process group and propagates (used to stop downloads that
    outgrow the size limit). Timeouts kill the whole group (``git clone`` starts
    helpers such as ``git-remote-https``) and raise :class:`GitTimeoutError`.
    """
    command = ["git", *git_config_args(policy, local=local, offline=offline), *args]
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
        raise GitCommandError(args[0], proc.returncode, _last_line(err))
    return out


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.communicate(timeout=5)


def _last_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    line = lines[-1] if lines else "no error output"
    line = re.sub(r"^(fatal|error):\s*", "", line)
    return _redact(line)[:300]


# --------------------------------------------------------------------------- remote state


def _git_url(source: RepoSource) -> str:
    return "file://" + quote(source.url) if source.kind == "local" else source.url


def remote_head(source: RepoSource, policy: SourcePolicy) -> str:
    """Commit sha of the default branch's HEAD, without cloning (one ``git ls-remote``)."""
    return _ls_remote(source, policy, policy.clone_timeout_s)[0]


def _ls_remote(source: RepoSource, policy: SourcePolicy, timeout: float) -> tuple[str, str | None]:
    local = source.kind == "local"
    try:
        out = run_git(
            ["ls-remote", "--symref", "--", _git_url(source), "HEAD"],
            _empty_home(),
            policy,
            timeout,
            local=local,
        )
    except GitTimeoutError:
        raise _clone_timeout(source, policy) from None
    except GitCommandError as exc:
        raise _source_error(source, exc) from None
    sha, branch = None, None
    for line in out.decode("utf-8", "replace").splitlines():
        value, _, ref = line.partition("\t")
        if ref != "HEAD":
            continue
        if value.startswith("ref: refs/heads/"):
            branch = value[len("ref: refs/heads/") :]
        elif re.fullmatch(r"[0-9a-f]{40,64}", value):
            sha = value
    if sha is None:
        raise NoCommitsError(
            f"{source.display_name} has no commits", hint="Push at least one commit, then try again"
        )
    return sha, branch


def _source_error(source: RepoSource, exc: GitCommandError) -> SourceError:
    reason = exc.reason
    low = reason.lower()
    shown = _redact(source.target or source.url)
    if any(
        s in low
        for s in (
            "terminal prompts disabled",
            "authentication failed",
            "repository not found",
            "not found",
            "permission denied (publickey",
        )
    ):
        return SourceError(
            f"repository {shown} was not found or is private",
            hint="Check the URL; only public repositories can be cloned over https",
        )
    if "could not resolve host" in low or "couldn't resolve host" in low:
        return SourceError(
            f"cannot reach {source.host or shown}: {reason}", hint="Check the URL or your network"
        )
    if "does not appear to be a git repository" in low or "not a git repository" in low:
        return SourceError(f"{shown} is not a git repository", hint="Check the URL or path")
    return SourceError(
        f"git clone failed for {shown}: {reason}", hint="Check the URL and try again"
    )


def _clone_timeout(source: RepoSource, policy: SourcePolicy) -> RepositoryLimitError:
    return RepositoryLimitError(
        f"clone of {source.display_name} took longer than {policy.clone_timeout_s:g} s",
        hint="Raise REPO2VIDEO_CLONE_TIMEOUT_S or pick a smaller repository",
    )


# --------------------------------------------------------------------------- cloning


class _LimitExceeded(Exception):
    def __init__(self, what: str, kind: str) -> None:
        super().__init__(what)
        self.what = what
        self.kind = kind


def clone_snapshot(source: RepoSource, workspace: Path, policy: SourcePolicy) -> RepoSnapshot:
    """Clone ``source`` into ``workspace/<key>``, or reuse it when it already holds HEAD.

    The clone goes to ``<key>.tmp-<random>`` and is renamed into place only when it
    is complete and within limits, so readers never see a half-written checkout.
    """
    workspace = Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + policy.clone_timeout_s
    dest = workspace / source.key
    with _key_lock(workspace, source.key):
        _remove_leftovers(workspace, source.key)
        head, _branch = _ls_remote(source, policy, deadline - time.monotonic())
        reused = _reuse(dest, head, source, policy)
        if reused is not None:
            log.info("reusing checkout %s at %s", dest, head[:12])
            return reused
        tmp = workspace / f"{source.key}.tmp-{secrets.token_hex(4)}"
        try:
            snapshot = _clone_into(source, tmp, policy, deadline, shallow=source.kind != "local")
            _write_marker(tmp, snapshot)
            _replace_dir(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    snapshot.checkout_dir = str(dest)
    log.info(
        "cloned %s at %s: %d files, %d bytes",
        source.display_name,
        snapshot.commit[:12],
        snapshot.file_count,
        snapshot.size_bytes,
    )
    return snapshot


def _clone_into(
    source: RepoSource, tmp: Path, policy: SourcePolicy, deadline: float, *, shallow: bool
) -> RepoSnapshot:
    """Clone and measure; ``shallow`` picks the remote strategy (depth + blobless).

    ``shallow`` is separate from the source kind only so that tests can run the
    remote strategy against a local repository (there is no network in tests).
    """
    local = source.kind == "local"
    depth = policy.history_depth if shallow else 0

    def remaining() -> float:
        return deadline - time.monotonic()

    def git(args: list[str], **kw: object) -> bytes:
        return run_git(args, tmp, policy, remaining(), local=local, **kw)  # type: ignore[arg-type]

    # Remote clones are shallow (history_depth commits) and blobless: commits and
    # trees come for the whole window (enough for `git log` statistics), file
    # contents only for HEAD at checkout. Measured on a 30-commit repository with
    # 60 KiB of churn per commit: full 616 KiB, --depth 10 246 KiB, --depth 10
    # --filter=blob:none 66 KiB. --no-checkout lets us count HEAD's files from its
    # trees and refuse an oversized repository before downloading any content.
    # Later git commands run with every transport disabled, so the partial clone
    # never fetches lazily behind our back. Local clones take full history.
    args = ["clone", "--quiet", "--no-checkout", "--no-tags", "--single-branch", "--template="]
    if depth > 0:
        args += ["--depth", str(depth)]
    if shallow:
        args += ["--filter=blob:none"]
    args += ["--", _git_url(source), str(tmp)]
    guard = _download_guard(tmp, policy.max_repo_bytes)
    try:
        run_git(args, _empty_home(), policy, remaining(), local=local, poll=guard)
        tree = git(["ls-tree", "-r", "-z", "--full-tree", "HEAD"])
        files, links, gitlinks = _tree_entries(tree)
        if len(files) + len(links) > policy.max_files:
            count = len(files) + len(links)
            raise _LimitExceeded(f"{count} files (limit {policy.max_files})", "files")
        git(["checkout", "--quiet", "--force", "HEAD", "--"], poll=guard)
        file_count, size, lfs = _measure_tree(tmp, policy.max_files, policy.max_repo_bytes)
        commit = git(["rev-parse", "--verify", "HEAD^{commit}"], offline=True).decode().strip()
        branch_out = git(["symbolic-ref", "-q", "--short", "HEAD"], offline=True, check=False)
        date = git(["log", "-1", "--format=%cI", "HEAD", "--"], offline=True).decode().strip()
    except GitTimeoutError:
        raise _clone_timeout(source, policy) from None
    except GitCommandError as exc:
        if exc.command == "clone":
            raise _source_error(source, exc) from None
        raise SourceError(
            f"git {exc.command} failed for {_redact(source.target)}: {exc.reason}",
            hint="Check that the repository is intact and try again",
        ) from None
    except _LimitExceeded as exc:
        raise _limit_error(source, exc.what, exc.kind) from None
    skipped = []
    if gitlinks:
        shown = ", ".join(gitlinks[:5]) + (" …" if len(gitlinks) > 5 else "")
        skipped.append(f"{len(gitlinks)} submodule(s) not fetched: {shown}")
    if links:
        skipped.append(f"{len(links)} symbolic link(s) checked out as plain text files")
    if lfs:
        skipped.append(f"{lfs} Git LFS pointer file(s): large file contents not downloaded")
    history_depth = depth if depth > 0 and (tmp / ".git" / "shallow").exists() else None
    return RepoSnapshot(
        source=source,
        checkout_dir=str(tmp),
        commit=commit,
        branch=branch_out.decode("utf-8", "replace").strip() or None,
        commit_date=date,
        file_count=file_count,
        size_bytes=size,
        history_depth=history_depth,
        skipped=skipped,
    )


def _limit_error(source: RepoSource, what: str, kind: str) -> RepositoryLimitError:
    if kind == "bytes":
        hint = "Raise REPO2VIDEO_MAX_REPO_MB or pick a smaller repository"
    else:
        hint = "Raise REPO2VIDEO_MAX_FILES or pick a smaller repository"
    return RepositoryLimitError(f"{source.display_name} is too large: {what}", hint=hint)


def _download_guard(tmp: Path, max_bytes: int) -> Callable[[], None]:
    """Stop a download whose packs already exceed the size limit.

    Packed objects are compressed, so a pack larger than the limit means the
    checkout would be larger still; this caps what a huge repository can cost
    before the exact working-tree count runs.
    """
    objects = tmp / ".git" / "objects"

    def check() -> None:
        total = 0
        for folder in (objects / "pack", objects):
            with contextlib.suppress(OSError), os.scandir(folder) as it:
                for entry in it:
                    if entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
        if total > max_bytes:
            raise _LimitExceeded(f"download passed {_human(max_bytes)}", "bytes")

    return check


def _tree_entries(raw: bytes) -> tuple[list[str], list[str], list[str]]:
    """Split ``ls-tree -r -z`` output into regular files, symlinks and submodules."""
    files, links, gitlinks = [], [], []
    for record in raw.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode = meta.split(b" ", 1)[0]
        name = path.decode("utf-8", "replace")
        if mode == b"120000":
            links.append(name)
        elif mode == b"160000":
            gitlinks.append(name)
        else:
            files.append(name)
    return files, links, gitlinks


def _measure_tree(root: Path, max_files: int, max_bytes: int) -> tuple[int, int, int]:
    """Count files and bytes of the working tree (never following links); stop early at limits."""
    files = size = lfs = 0
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    if not (folder == str(root) and entry.name == ".git"):
                        stack.append(entry.path)
                    continue
                st = entry.stat(follow_symlinks=False)
                files += 1
                size += st.st_size
                if files > max_files:
                    raise _LimitExceeded(f"more than {max_files} files", "files")
                if size > max_bytes:
                    raise _LimitExceeded(f"more than {_human(max_bytes)} checked out", "bytes")
                if (
                    entry.is_file(follow_symlinks=False)
                    and st.st_size < 512
                    and _is_lfs(entry.path)
                ):
                    lfs += 1
    return files, size, lfs


def _human(size: int) -> str:
    if size >= 1024**2:
        return f"{size / 1024**2:.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def _is_lfs(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    with os.fdopen(fd, "rb") as fh:
        return fh.read(len(_LFS_PREFIX)) == _LFS_PREFIX


def is_lfs_pointer(data: bytes) -> bool:
    """Whether file content is a Git LFS pointer (the real content lives elsewhere)."""
    return data.startswith(_LFS_PREFIX)


def _write_marker(tmp: Path, snapshot: RepoSnapshot) -> None:
    data = dataclasses.asdict(snapshot)
    data.pop("source", None)
    data.pop("checkout_dir", None)
    (tmp / ".git" / MARKER_NAME).write_text(json.dumps(data), encoding="utf-8")


def _reuse(dest: Path, head: str, source: RepoSource, policy: SourcePolicy) -> RepoSnapshot | None:
    """The existing checkout as a snapshot when it is complete and already at ``head``."""
    marker = dest / ".git" / MARKER_NAME
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        current = (
            run_git(["rev-parse", "--verify", "HEAD^{commit}"], dest, policy, 30, offline=True)
            .decode()
            .strip()
        )
    except (OSError, ValueError, GitCommandError, GitTimeoutError):
        return None
    if data.get("commit") != head or current != head:
        return None
    fields = {f.name for f in dataclasses.fields(RepoSnapshot)} - {"source", "checkout_dir"}
    snapshot = RepoSnapshot(
        source=source, checkout_dir=str(dest), **{k: v for k, v in data.items() if k in fields}
    )
    if snapshot.file_count > policy.max_files:
        what = f"{snapshot.file_count} files (limit {policy.max_files})"
        raise _limit_error(source, what, "files")
    if snapshot.size_bytes > policy.max_repo_bytes:
        what = f"{_human(snapshot.size_bytes)} (limit {_human(policy.max_repo_bytes)})"
        raise _limit_error(source, what, "bytes")
    return snapshot


def _replace_dir(tmp: Path, dest: Path) -> None:
    if not dest.exists():
        os.rename(tmp, dest)
        return
    old = dest.with_name(f"{dest.name}.old-{secrets.token_hex(4)}")
    os.rename(dest, old)
    os.rename(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(workspace: Path, key: str) -> None:
    """Delete temp/old dirs of this key left by a crashed run (we hold the key's lock)."""
    for pattern in (f"{key}.tmp-*", f"{key}.old-*"):
        for path in workspace.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _key_lock(workspace: Path, key: str) -> Iterator[None]:
    """Serialise clones of one key across processes (Dagster may run a partition twice)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(workspace / f".{key}.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
