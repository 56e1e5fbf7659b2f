"""The site: Open Graph / Twitter tags and the YouTube link on a video page, the Atom
feed of the index, and ``repo2video site publish`` pushing it to a real git branch."""

from __future__ import annotations

import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

from repo2video_dagster.cli import main
from repo2video_dagster.lib.core.records import Captions, Chapter, RenderedVideo, VideoFile
from repo2video_dagster.lib.publish.blog import write_blog
from repo2video_dagster.lib.publish.social import HEAD_MARK, PageSocial, annotate_page
from repo2video_dagster.lib.script.template.writer import TemplateWriter
from repo2video_tests import profiles

ATOM = "{http://www.w3.org/2005/Atom}"
YOUTUBE = {
    "landscape": "https://www.youtube.com/watch?v=vid1",
    "reel": "https://www.youtube.com/shorts/vid2",
}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(path: Path) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


def make_site(tmp_path: Path, rendered_at: str = "2026-12-01T10:00:00+00:00") -> Path:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    for name in ("landscape.mp4", "thumbnail.png", "captions.vtt", "captions.srt"):
        (media / name).write_bytes(name.encode())
    profile = profiles.python_cli()
    script = TemplateWriter().write(profile)
    video = RenderedVideo(
        videos=[VideoFile("landscape", str(media / "landscape.mp4"), 1920, 1080, 30.0, 10)],
        thumbnail_path=str(media / "thumbnail.png"),
        chapters=[Chapter(0.0, "Intro"), Chapter(12.0, "Use")],
        duration_s=30.0,
    )
    captions = Captions(
        [], str(media / "captions.srt"), str(media / "captions.vtt"), "", 0, 1, "e", "m", "cpu"
    )
    write_blog(
        profile,
        script,
        video,
        captions,
        out_dir=tmp_path / "data" / "output" / "acme__csv",
        site_dir=tmp_path / "data" / "site",
        commit="ab" * 20,
        rendered_at=rendered_at,
        key="acme__csv",
    )
    return tmp_path / "data" / "site"


def test_page_gets_social_tags_and_the_youtube_link_once(tmp_path) -> None:
    site = make_site(tmp_path)
    page = site / "acme__csv"
    social = PageSocial(
        title="csv-wrangler explained", description="A tool.\nFor CSV.", youtube=YOUTUBE
    )
    assert annotate_page(page, social, "https://videos.example.com")
    assert annotate_page(page, social, "https://videos.example.com")  # again: replaced, not added
    html = (page / "index.html").read_text()
    assert html.count(HEAD_MARK[0]) == 1 and html.count('class="youtube"') == 3  # <p> + 2 links
    meta = {
        a.get("property") or a.get("name"): a.get("content")
        for t, a in parse(page / "index.html")
        if t == "meta"
    }
    assert (
        meta["og:title"] == "csv-wrangler explained"
        and meta["og:description"] == "A tool. For CSV."
    )
    assert meta["og:image"] == "https://videos.example.com/acme__csv/thumbnail.png"
    assert (
        meta["twitter:image"] == meta["og:image"] and meta["twitter:card"] == "summary_large_image"
    )
    assert meta["og:url"] == "https://videos.example.com/acme__csv/"
    assert meta["og:video"] == "https://videos.example.com/acme__csv/landscape.mp4"
    links = [
        a["href"] for t, a in parse(page / "index.html") if t == "a" and a.get("class") == "youtube"
    ]
    assert links == [YOUTUBE["landscape"], YOUTUBE["reel"]]
    tracks = [a for t, a in parse(page / "index.html") if t == "track"]
    assert tracks and tracks[0]["src"] == "captions.vtt" and tracks[0]["kind"] == "captions"

    # Without a public URL there is no absolute address to give: no og:image/og:url.
    annotate_page(page, social, None)
    names = {a.get("property") for t, a in parse(page / "index.html") if t == "meta"}
    assert "og:title" in names and "og:image" not in names and "og:url" not in names


def test_index_has_an_atom_feed(tmp_path) -> None:
    site = make_site(tmp_path)
    index = parse(site / "index.html")
    assert (
        "link",
        {
            "rel": "alternate",
            "type": "application/atom+xml",
            "title": "Repository videos",
            "href": "feed.xml",
        },
    ) in index
    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}updated").text == "2026-12-01T10:00:00+00:00"
    assert entry.find(f"{ATOM}link").get("href") == "acme__csv/index.html"
    assert entry.find(f"{ATOM}id").text == "urn:repo2video:acme__csv:" + "ab" * 20


def _git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_site_publish_pushes_the_site_to_a_branch(tmp_path, monkeypatch, capsys) -> None:
    site = make_site(tmp_path)
    annotate_page(site / "acme__csv", PageSocial("t", "d", YOUTUBE), None)
    remote = tmp_path / "pages.git"
    _git("init", "-q", "--bare", str(remote))
    monkeypatch.setenv("REPO2VIDEO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REPO2VIDEO_SITE_REMOTE", str(remote))
    monkeypatch.setenv("REPO2VIDEO_SITE_URL", "https://acme.github.io/videos")

    assert main(["site", "publish"]) == 0
    assert "pushed" in capsys.readouterr().out
    files = _git("ls-tree", "-r", "--name-only", "gh-pages", cwd=remote).splitlines()
    assert {
        ".nojekyll",
        "index.html",
        "feed.xml",
        "acme__csv/index.html",
        "acme__csv/captions.vtt",
    } <= set(files)
    page = _git("show", "gh-pages:acme__csv/index.html", cwd=remote)
    assert 'content="https://acme.github.io/videos/acme__csv/thumbnail.png"' in page
    feed = _git("show", "gh-pages:feed.xml", cwd=remote)
    assert "<id>https://acme.github.io/videos/</id>" in feed
    first = _git("rev-parse", "gh-pages", cwd=remote)

    assert main(["site", "publish"]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert _git("rev-parse", "gh-pages", cwd=remote) == first

    make_site(tmp_path, rendered_at="2026-12-02T10:00:00+00:00")  # a re-render
    assert main(["site", "publish"]) == 0
    assert _git("rev-parse", "gh-pages~1", cwd=remote) == first  # history kept, one commit on top
    assert json.loads(_git("show", "gh-pages:acme__csv/meta.json", cwd=remote))[
        "rendered_at"
    ].startswith("2026-12-02")


def test_site_publish_without_a_remote_is_one_line(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("REPO2VIDEO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REPO2VIDEO_SITE_REMOTE", raising=False)
    assert main(["site", "publish"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: no git remote for the site. Pass --remote or set REPO2VIDEO_SITE_REMOTE"
    )
