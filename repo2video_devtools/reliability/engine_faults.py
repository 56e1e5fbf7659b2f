"""An encoder that dies once: the real ffmpeg behind a wrapper that SIGKILLs its first run.

The product finds ffmpeg through imageio-ffmpeg, which honours ``IMAGEIO_FFMPEG_EXE``
(see :func:`repo2video_dagster.lib.render.media.ffmpeg_path`). The wrapper kills
itself with SIGKILL on its first invocation (as the OOM killer would kill the
encoder) and execs the real binary on every later one. ``mkdir`` claims the first
invocation atomically, so concurrent encoders (scene chunks) see exactly one death.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FFMPEG_ENV = "IMAGEIO_FFMPEG_EXE"


@dataclass(frozen=True)
class KilledOnce:
    wrapper: Path
    marker: Path
    """Created by the invocation that killed itself."""
    real: str

    @property
    def fired(self) -> bool:
        return self.marker.exists()


def write_wrapper(folder: Path, real: str) -> KilledOnce:
    """A shell script in ``folder`` that dies by SIGKILL once, then is ``real``."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "killed-once"
    wrapper = folder / "ffmpeg"
    wrapper.write_text(
        "#!/bin/sh\n"
        "# the first invocation dies by SIGKILL, every later one is the real ffmpeg\n"
        f"if mkdir {shlex.quote(str(marker))} 2>/dev/null; then kill -KILL $$; fi\n"
        f'exec {shlex.quote(real)} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return KilledOnce(wrapper, marker, real)


@contextlib.contextmanager
def ffmpeg_killed_once(folder: Path) -> Iterator[KilledOnce]:
    """Point the product (in this process) at a wrapper around its own ffmpeg until the
    block ends; the first encoder started in the block is killed."""
    from repo2video_dagster.lib.render import media

    real = media.ffmpeg_path()
    fault = write_wrapper(folder, real)
    old = os.environ.get(FFMPEG_ENV)
    os.environ[FFMPEG_ENV] = str(fault.wrapper)
    media.ffmpeg_path.cache_clear()
    try:
        yield fault
    finally:
        if old is None:
            os.environ.pop(FFMPEG_ENV, None)
        else:
            os.environ[FFMPEG_ENV] = old
        media.ffmpeg_path.cache_clear()
