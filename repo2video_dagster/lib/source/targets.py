"""Repository targets: turn what a user typed into a validated :class:`RepoSource`.

A target (URL or path) comes from users and webhooks, so it is treated as hostile:
:func:`parse_target` refuses anything dangerous *before* any network or
subprocess call (option injection, ``ext::`` transports, credentials in URLs,
hosts outside the allow list), and derives the partition key (:func:`make_key`)
the rest of the pipeline files the repository under. Parsing never looks a name
up: which addresses a host may be reached at is decided where git connects
(:mod:`~repo2video_dagster.lib.source.pinning`), so the address checked is the
address used.
"""

from __future__ import annotations

import hashlib
import os
import re
from urllib.parse import unquote, urlsplit

from repo2video_dagster.lib.core.errors import (
    EmptyRepositoryError,
    SourceError,
)
from repo2video_dagster.lib.core.records import RepoSource
from repo2video_dagster.lib.source.addresses import is_ip_literal
from repo2video_dagster.lib.source.policy import GITHUB_HOST, SourcePolicy, launchpad_key
from repo2video_dagster.lib.source.redaction import redact_credentials

_MAX_KEY_LEN = 100


class NoCommitsError(SourceError, EmptyRepositoryError):
    """The repository exists but has no commits.

    Both a bad source (nothing to clone) and an empty repository, so callers that
    catch either class see it.
    """


_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_RE = re.compile(r"^(?:(?P<user>[^@/:\s]+)@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/].*)$")
_HOST_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})+$")
_PATH_PART_RE = re.compile(r"^[A-Za-z0-9._~+-]+$")
_GH_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_GH_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_GH_PAGES = {"tree", "blob", "commit", "commits", "pull", "pulls", "issues", "releases", "wiki"}
_URL_HINT = "Give a URL like https://github.com/owner/name"


def parse_target(target: str, policy: SourcePolicy) -> RepoSource:
    """Validate a URL or path and derive its partition key; refuse before touching git or DNS."""
    text = (target or "").strip()
    if not text:
        raise SourceError("no repository given", hint=f"{_URL_HINT} or a local path")
    shown = redact_credentials(text)
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
            return _parse_url(text, policy, ssh=False)
        if scheme in ("ssh", "git+ssh", "ssh+git"):
            return _parse_url(text, policy, ssh=True)
        if scheme == "file":
            return _parse_file_url(text, policy)
        if scheme == "http":
            raise SourceError(
                f"plain http:// is not allowed ({shown})", hint="Use the https:// URL instead"
            )
        raise SourceError(
            f"the {scheme}:// scheme is not allowed ({shown})",
            hint="Use an https:// URL (or ssh with REPO2VIDEO_ALLOW_SSH=1)",
            ui_hint=f"Use an https:// URL (or ssh with {launchpad_key('allow_ssh', 'true')})",
        )
    if scp := _SCP_RE.match(text):
        user = f"{scp.group('user')}@" if scp.group("user") else ""
        return _parse_url(
            f"ssh://{user}{scp.group('host')}/{scp.group('path')}",
            policy,
            ssh=True,
            shown=shown,
        )
    first = text.split("/", 1)[0].lower()
    looks_remote = first in policy.allowed_hosts or not os.path.exists(text)
    if "/" in text and _HOST_RE.match(first) and looks_remote:
        return _parse_url(f"https://{text}", policy, ssh=False, shown=shown)
    return _parse_local(text, text, policy)


_SHORTHAND_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")


def with_github_shorthand(text: str) -> str:
    """``owner/name`` as its GitHub URL; anything else as it is.

    For forms where a relative local path makes no sense (the Dagster launchpad runs in
    the daemon's folder), so ``pallets/click`` always means the GitHub repository.
    """
    text = (text or "").strip()
    if _SHORTHAND_RE.fullmatch(text):
        return f"https://{GITHUB_HOST}/{text}"
    return text


def key_for(target: str, policy: SourcePolicy) -> str:
    """Partition key of a target, validated (cheap and offline, like all parsing)."""
    return parse_target(target, policy).key


def _parse_url(url: str, policy: SourcePolicy, *, ssh: bool, shown: str = "") -> RepoSource:
    shown = shown or redact_credentials(url)
    if any(ch.isspace() for ch in url):
        raise SourceError(f"{shown!r} contains spaces", hint="Pass one URL without spaces")
    if ssh and not policy.allow_ssh:
        raise SourceError(
            f"ssh URLs are disabled ({shown})",
            hint="Use the https:// URL, or set REPO2VIDEO_ALLOW_SSH=1",
            ui_hint=f"Use the https:// URL, or set {launchpad_key('allow_ssh', 'true')}",
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
    if not host or not _HOST_RE.match(host) and not is_ip_literal(host):
        raise SourceError(f"{shown!r} has no valid host name", hint=_URL_HINT)
    default_port = 22 if ssh else 443
    host_port = host if port in (None, default_port) else f"{host}:{port}"
    if host_port not in policy.allowed_hosts:
        allowed = ", ".join(policy.allowed_hosts) or "none"
        raise SourceError(
            f"host {host_port} is not allowed (allowed: {allowed})",
            hint="Use a repository on an allowed host, or add the host to REPO2VIDEO_ALLOWED_HOSTS",
            ui_hint="Use a repository on an allowed host, or add the host to "
            + launchpad_key("allowed_hosts", f"[{host_port}]"),
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
        ui_hint = f"Set {launchpad_key('allow_local', 'true')}, or give an https:// URL"
        if re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+", raw) and not os.path.exists(raw):
            guess = f"Did you mean https://github.com/{raw}? For a local path, "
            hint = guess + hint[0].lower() + hint[1:]
            ui_hint = guess + ui_hint[0].lower() + ui_hint[1:]
        raise SourceError(f"local paths are disabled ({shown})", hint=hint, ui_hint=ui_hint)
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
