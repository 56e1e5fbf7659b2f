"""Secrets given as a variable or as a file that a variable names (Docker/Kubernetes
secrets are files): one reader, so every secret fails the same way when its file is
missing or empty, and the error names the variables, never the value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from repo2video_dagster.lib.core.errors import UserError


def read_secret(
    value_env: str,
    file_env: str,
    what: str,
    env: Mapping[str, str] | None = None,
    *,
    strip_blanks: bool = True,
) -> bytes | None:
    """The secret in ``value_env``, else in the file named by ``file_env``; None when unset.

    ``strip_blanks``: surrounding whitespace is not part of it (tokens); otherwise only
    the file's trailing line break is dropped (a webhook secret may hold spaces, and
    GitHub signs with it byte for byte).
    """
    env = os.environ if env is None else env
    value = env.get(value_env, "")
    if strip_blanks:
        value = value.strip()
    if value:
        return value.encode("utf-8")
    path = env.get(file_env, "").strip()
    if not path:
        return None
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(
            f"Cannot read the {what} file {path} ({exc.strerror})",
            hint=f"Fix {file_env} or set {value_env}",
        ) from exc
    data = raw.strip() if strip_blanks else raw.rstrip(b"\r\n")
    if not data:
        raise UserError(f"The {what} file {path} is empty", hint=f"Put the {what} in it")
    return data
