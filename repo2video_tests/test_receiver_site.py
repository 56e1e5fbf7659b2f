"""The receiver's read-only routes for results (/site, /output) over real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
from pathlib import Path

import pytest
from starlette.applications import Starlette

from repo2video_dagster.lib.publish.links import PublicLinks
from repo2video_dagster.receiver.app import create_app
from repo2video_dagster.receiver.event_storage import sqlite_url
from repo2video_dagster.receiver.eventlog import EventLog
from repo2video_dagster.receiver.site import site_routes
from repo2video_tests.loopback import serve_app

MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40


def get(port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "var"
    page = data / "site" / "octo__tool"
    page.mkdir(parents=True)
    (data / "site" / "index.html").write_text("<h1>Repository videos</h1>")
    (page / "index.html").write_text("<h1>tool</h1>")
    (page / "reel.mp4").write_bytes(MP4)
    (page / "captions.vtt").write_text("WEBVTT\n")
    out = data / "output" / "octo__tool"
    (out / "slides").mkdir(parents=True)
    (out / "reel.mp4").write_bytes(MP4)
    (out / "slides" / "thumbnail.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (out / "manifest.json").write_text("{}")
    (out / ".memo").mkdir()
    (out / ".memo" / "video_reel.json").write_text("{}")
    (out / "notes.txt").write_text("not a deliverable")
    (tmp_path / "secret.txt").write_text("outside the data directory")
    os.symlink(tmp_path / "secret.txt", page / "escape.txt")
    return data


@pytest.fixture()
def port(data_dir: Path):
    with serve_app(Starlette(routes=site_routes(data_dir))) as port:
        yield port


def test_site_pages_and_media_are_served(port: int) -> None:
    status, headers, body = get(port, "/site/")
    assert status == 200 and b"Repository videos" in body
    assert headers["content-type"].startswith("text/html")
    status, _, body = get(port, "/site/octo__tool/")
    assert status == 200 and b"tool" in body
    status, headers, body = get(port, "/site/octo__tool/reel.mp4")
    assert (status, headers["content-type"], body) == (200, "video/mp4", MP4)
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, _ = get(port, "/site/octo__tool/captions.vtt")
    assert status == 200 and headers["content-type"].startswith("text/vtt")


def test_outputs_serve_deliverables_only(port: int) -> None:
    status, headers, body = get(port, "/output/octo__tool/reel.mp4")
    assert (status, headers["content-type"], body) == (200, "video/mp4", MP4)
    assert get(port, "/output/octo__tool/slides/thumbnail.png")[0] == 200
    assert get(port, "/output/octo__tool/manifest.json")[0] == 200
    assert get(port, "/output/octo__tool/notes.txt")[0] == 404  # not a deliverable type
    assert get(port, "/output/octo__tool/.memo/video_reel.json")[0] == 404  # hidden folder
    assert get(port, "/output/octo__tool/")[0] == 404  # no listings


@pytest.mark.parametrize(
    "path",
    [
        "/site/../secret.txt",
        "/site/%2e%2e/secret.txt",
        "/site/octo__tool/%2e%2e/%2e%2e/secret.txt",
        "/site/octo__tool/..%2f..%2fsecret.txt",
        "/site/octo__tool/escape.txt",  # a symlink out of the data directory
        "/site/octo__tool/..%5c..%5csecret.txt",
        "/output/../site/index.html",
        "/output/octo__tool/%00reel.mp4",
        "/site/nothing-here.html",
    ],
)
def test_no_way_out_of_the_data_directory(port: int, path: str) -> None:
    status, _, body = get(port, path)
    assert status == 404, path
    assert b"outside the data directory" not in body


def test_range_requests_let_the_player_seek(port: int) -> None:
    status, headers, body = get(
        port, "/output/octo__tool/reel.mp4", headers={"Range": "bytes=8-15"}
    )
    assert status == 206
    assert body == MP4[8:16]
    assert headers["content-range"] == f"bytes 8-15/{len(MP4)}"


def test_head_and_write_methods(port: int) -> None:
    status, headers, body = get(port, "/site/octo__tool/reel.mp4", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["content-length"] == str(len(MP4))
    assert get(port, "/site/octo__tool/reel.mp4", method="PUT")[0] == 405
    assert get(port, "/site/octo__tool/reel.mp4", method="DELETE")[0] == 405


def test_links_point_at_these_routes(data_dir: Path, port: int) -> None:
    links = PublicLinks(f"http://127.0.0.1:{port}/", data_dir / "output")
    reel = links.output_file(data_dir / "output" / "octo__tool" / "reel.mp4")
    assert reel == f"http://127.0.0.1:{port}/output/octo__tool/reel.mp4"
    thumb = links.output_file(data_dir / "output" / "octo__tool/slides/thumbnail.png", version=True)
    assert "?v=" in thumb
    for url in (reel, thumb, links.site_page("octo__tool"), links.site_index()):
        assert get(port, url.removeprefix(f"http://127.0.0.1:{port}"))[0] == 200, url


def test_the_receiver_serves_them_unless_turned_off(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPO2VIDEO_DATA_DIR", str(data_dir))
    eventlog = EventLog(sqlite_url(tmp_path / "events.db"))
    try:
        with serve_app(create_app(eventlog=eventlog, secret="s")) as port:
            assert get(port, "/site/octo__tool/reel.mp4")[0] == 200
        monkeypatch.setenv("REPO2VIDEO_SERVE_SITE", "0")
        with serve_app(create_app(eventlog=eventlog, secret="s")) as port:
            assert get(port, "/site/octo__tool/reel.mp4")[0] == 404
    finally:
        eventlog.close()
