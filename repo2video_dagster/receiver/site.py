"""Read-only routes for the results: the static site and each repository's outputs.

The links on materializations (``lib/publish/links.py``) point here, so a click in the
Dagster UI plays the video or opens the page:

- ``GET /site/<path>``: files under the data directory's ``site/`` folder (a folder
  answers with its ``index.html``);
- ``GET /output/<key>/<path>``: the deliverables under ``output/<key>/`` (videos,
  thumbnail and slides, subtitles, words JSON, the markdown post), by file type.

Paths are checked part by part before the disk is touched (no ``..``, no hidden
files or folders, no backslashes or control characters), then the resolved file
must still lie under its root, so a link inside the data directory cannot lead out
of it. Range requests work (the video player seeks). ``REPO2VIDEO_SERVE_SITE=0``
turns the routes off (a receiver reachable from the internet that should not
publish the videos).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from repo2video_dagster.lib.core.settings import default_data_dir, env_bool
from repo2video_dagster.lib.publish.links import OUTPUT_ROUTE, SITE_ROUTE

OUTPUT_SUFFIXES = frozenset({".mp4", ".png", ".jpg", ".srt", ".vtt", ".json", ".md", ".wav"})
"""What ``/output`` serves: deliverables, not checkouts or caches."""
_TYPES = {".vtt": "text/vtt", ".srt": "text/plain", ".md": "text/markdown", ".mp4": "video/mp4"}
_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


def _not_found() -> JSONResponse:
    return JSONResponse({"error": "not found"}, status_code=404, headers=_HEADERS)


def safe_file(root: Path, path: str, suffixes: frozenset[str] | None = None) -> Path | None:
    """The regular file ``path`` names under ``root``, or None when it is not one we serve."""
    parts = [p for p in path.split("/") if p]
    for part in parts:
        if part.startswith(".") or "\\" in part or any(ord(c) < 32 or ord(c) == 127 for c in part):
            return None
    try:
        base = root.resolve(strict=True)
        file = base.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return None
    if file.is_dir():
        file = file / "index.html"
    if not file.is_relative_to(base) or not file.is_file():
        return None
    if suffixes is not None and file.suffix.lower() not in suffixes:
        return None
    return file


def _file_response(file: Path) -> Response:
    media = _TYPES.get(file.suffix.lower()) or mimetypes.guess_type(file.name)[0]
    return FileResponse(file, media_type=media or "application/octet-stream", headers=_HEADERS)


def site_routes(data_dir: Path | None = None) -> list[BaseRoute]:
    """The two routes over ``data_dir`` (default: ``REPO2VIDEO_DATA_DIR``, read now);
    none when ``REPO2VIDEO_SERVE_SITE=0``."""
    if not env_bool("SERVE_SITE", True):
        return []
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    site_root, output_root = root / "site", root / "output"

    async def site(request: Request) -> Response:
        file = safe_file(site_root, request.path_params["path"])
        return _file_response(file) if file else _not_found()

    async def output(request: Request) -> Response:
        file = safe_file(output_root, request.path_params["path"], OUTPUT_SUFFIXES)
        return _file_response(file) if file else _not_found()

    return [
        Route(SITE_ROUTE + "/{path:path}", site, methods=["GET", "HEAD"]),
        Route(OUTPUT_ROUTE + "/{path:path}", output, methods=["GET", "HEAD"]),
    ]
