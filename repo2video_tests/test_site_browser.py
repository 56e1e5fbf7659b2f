"""A published video page in Debian's chromium (Playwright): it loads without console
errors, the video plays, the caption track is listed, a chapter link seeks, and the
YouTube link is there. The page is the blog stage's, with the publication's additions,
served over HTTP (Starlette's static files, which answer Range requests) on loopback."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from repo2video_dagster.lib.core.records import Captions, Chapter, RenderedVideo, VideoFile
from repo2video_dagster.lib.publish.blog import write_blog
from repo2video_dagster.lib.publish.social import PageSocial, annotate_page
from repo2video_dagster.lib.script.template.writer import TemplateWriter
from repo2video_tests import profiles
from repo2video_tests.loopback import serve_app

pytestmark = pytest.mark.slow
playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello there\n\n00:00:02.000 --> 00:00:05.000\nSecond cue\n"


def _site(tmp_path: Path) -> Path:
    media = tmp_path / "media"
    media.mkdir()
    video_path = media / "landscape.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", "5", "-c:v", "libx264", "-preset",
         "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart",
         str(video_path)],
        check=True,
        timeout=60,
    )  # fmt: skip
    (media / "captions.vtt").write_text(VTT)
    (media / "captions.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nHello there\n")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=navy:s=640x360", "-frames:v", "1", str(media / "thumbnail.png")],
        check=True,
        timeout=60,
    )  # fmt: skip
    profile = profiles.python_cli()
    video = RenderedVideo(
        videos=[VideoFile("landscape", str(video_path), 320, 180, 5.0, video_path.stat().st_size)],
        thumbnail_path=str(media / "thumbnail.png"),
        chapters=[Chapter(0.0, "Intro"), Chapter(1.5, "Install"), Chapter(3.0, "Use")],
        duration_s=5.0,
    )
    captions = Captions(
        [], str(media / "captions.srt"), str(media / "captions.vtt"), "", 0, 1, "e", "m", "cpu"
    )
    site = tmp_path / "site"
    write_blog(
        profile, TemplateWriter().write(profile), video, captions,
        out_dir=tmp_path / "out", site_dir=site, commit="cd" * 20,
        rendered_at="2026-12-01T10:00:00+00:00", key="acme__csv",
    )  # fmt: skip
    youtube = {"landscape": "https://www.youtube.com/watch?v=vid1"}
    annotate_page(
        site / "acme__csv", PageSocial("csv explained", "A tool.", youtube), "https://v.example"
    )
    return site


def _until(page, expression: str, timeout_s: float = 30.0) -> None:
    """Poll ``expression`` from outside: the page's CSP forbids the eval that
    ``wait_for_function`` would need (and the page must stay as published)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def test_video_page_plays_lists_the_track_and_seeks(tmp_path: Path) -> None:
    site = _site(tmp_path)
    with (
        serve_app(Starlette(routes=[Mount("/", StaticFiles(directory=site, html=True))])) as port,
        playwright_api.sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.on(
                "response",
                lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
            )
            page.goto(f"http://127.0.0.1:{port}/acme__csv/index.html", wait_until="load")

            _until(page, "document.getElementById('video').readyState >= 1")
            tracks = page.evaluate(
                "Array.from(document.getElementById('video').textTracks).map(t => [t.kind, t.label, t.language])"
            )
            assert tracks == [["captions", "English", "en"]]

            page.evaluate(
                "v => { v.muted = true; return v.play(); }", page.query_selector("#video")
            )
            _until(page, "document.getElementById('video').currentTime > 0.5")

            page.click('a[data-t="3.00"]')
            _until(page, "document.getElementById('video').currentTime >= 2.9")
            assert page.url.endswith("#t=3.00")
            youtube = page.get_attribute("a.youtube", "href")
            assert youtube == "https://www.youtube.com/watch?v=vid1"
            og_image = page.get_attribute('meta[property="og:image"]', "content")
            assert og_image == "https://v.example/acme__csv/thumbnail.png"
            assert errors == []
        finally:
            browser.close()
