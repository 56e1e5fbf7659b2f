"""Blog post, per-repository page and site index; escaping of repository text."""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from repo2video_dagster.lib.core.records import (
    Captions,
    Chapter,
    RenderedVideo,
    RepoProfile,
    TimedWord,
    VideoFile,
    VideoScript,
)
from repo2video_dagster.lib.publish.blog import (
    md_escape,
    safe_http_url,
    site_key,
    write_blog,
    write_site_index,
    yaml_quote,
)
from repo2video_dagster.lib.script.template.writer import TemplateWriter
from repo2video_tests import profiles

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class _Collector(HTMLParser):
    """Every tag with its attributes, and the text of script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def _media(tmp_path: Path) -> dict[str, Path]:
    media = tmp_path / "render"
    media.mkdir()
    files = {
        "landscape": media / "video 16x9.mp4",
        "reel": media / "reel.mp4",
        "thumbnail": media / "thumb.png",
        "vtt": media / "captions.vtt",
        "srt": media / "captions.srt",
    }
    for role, path in files.items():
        path.write_bytes(f"{role} bytes".encode())
    return files


def _render(
    profile: RepoProfile, media: dict[str, Path], duration: float = 61.5
) -> tuple[VideoScript, RenderedVideo, list[TimedWord]]:
    script = TemplateWriter().write(profile)
    words: list[TimedWord] = []
    chapters: list[Chapter] = []
    t = 0.0
    for scene in script.scenes:
        chapters.append(Chapter(start_s=t, title=scene.title))
        for word in scene.narration.split():
            words.append(TimedWord(word, t, t + 0.3, scene.id, aligned=True))
            t += 0.4
        t += 0.5
    video = RenderedVideo(
        videos=[
            VideoFile("landscape", str(media["landscape"]), 1920, 1080, duration, 100),
            VideoFile("reel", str(media["reel"]), 1080, 1920, duration, 100),
        ],
        thumbnail_path=str(media["thumbnail"]),
        chapters=chapters,
        duration_s=duration,
    )
    return script, video, words


def _front_matter(markdown: str) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", markdown, re.S)
    assert match, markdown[:200]
    return yaml.safe_load(match.group(1))


def _captions(words: list[TimedWord], media: dict[str, Path]) -> Captions:
    return Captions(
        words=words,
        srt_path=str(media["srt"]),
        vtt_path=str(media["vtt"]),
        words_json_path="",
        wer=0.05,
        coverage=0.97,
        engine="faster-whisper",
        model="base.en",
        device="cpu",
    )


def test_post_page_and_index(tmp_path: Path) -> None:
    media = _media(tmp_path)
    profile = profiles.python_cli()
    script, video, words = _render(profile, media)
    out_dir, site_dir = tmp_path / "out" / "acme__csv-wrangler", tmp_path / "site"
    post = write_blog(
        profile,
        script,
        video,
        _captions(words, media),
        out_dir=out_dir,
        site_dir=site_dir,
        commit=COMMIT,
        rendered_at="2024-06-01T12:00:00+00:00",
        key="acme__csv-wrangler",
    )
    md_path, html_path = Path(post.markdown_path), Path(post.html_path)
    assert md_path == out_dir / "post.md"
    assert html_path == site_dir / "acme__csv-wrangler" / "index.html"
    assert Path(post.index_path) == site_dir / "index.html"
    assert post.url == html_path.resolve().as_uri()

    markdown = md_path.read_text(encoding="utf-8")
    front = _front_matter(markdown)
    assert front["title"] == script.title
    assert front["repo"] == "acme/csv-wrangler" and front["commit"] == COMMIT
    assert front["tags"] == script.tags and front["duration"] == 61.5
    assert front["date"] == "2024-06-01T12:00:00+00:00"
    # Relative links in the post resolve to the real media.
    for key, role in (("video", "landscape"), ("reel", "reel"), ("thumbnail", "thumbnail")):
        target = out_dir / urllib.parse.unquote(front[key])
        assert target.resolve() == media[role].resolve(), key
    assert "<video controls" in markdown and "## Chapters" in markdown
    assert "- 00:00 csv-wrangler" in markdown
    assert "## Transcript" in markdown
    assert md_escape(script.scenes[1].narration) in markdown
    assert "- Repository: <https://github.com/acme/csv-wrangler>" in markdown

    # The page: media next to it (hard links, so no copy), relative URLs, captions track.
    page_dir = html_path.parent
    for name in ("landscape.mp4", "reel.mp4", "thumbnail.png", "captions.vtt", "captions.srt"):
        assert (page_dir / name).is_file(), name
    assert os.stat(page_dir / "landscape.mp4").st_ino == os.stat(media["landscape"]).st_ino
    page = _parse(html_path)
    videos = [a for t, a in page.tags if t == "video"]
    assert len(videos) == 2 and all(v["poster"] == "thumbnail.png" for v in videos)
    sources = [a["src"] for t, a in page.tags if t == "source"]
    assert sources == ["landscape.mp4", "reel.mp4"]
    tracks = [a for t, a in page.tags if t == "track"]
    assert tracks and tracks[0]["src"] == "captions.vtt" and tracks[0]["kind"] == "captions"
    seeks = [a for t, a in page.tags if t == "a" and (a.get("href") or "").startswith("#t=")]
    assert seeks[0]["href"] == "#t=0.00"
    assert len({a["href"] for a in seeks}) == len(script.scenes)
    html_text = html_path.read_text(encoding="utf-8")
    assert "MIT" in html_text and "3,400" in html_text and "Python 86%" in html_text
    assert script.scenes[2].narration in html_text
    # No external requests: every src is relative.
    for _, attrs in page.tags:
        for name in ("src", "poster"):
            if attrs.get(name):
                assert "://" not in attrs[name] and not attrs[name].startswith("/"), attrs

    meta = json.loads((page_dir / "meta.json").read_text())
    assert meta["title"] == script.title and meta["thumbnail"] == "thumbnail.png"
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="acme__csv-wrangler/index.html"' in index
    assert 'src="acme__csv-wrangler/thumbnail.png"' in index and "01:01" in index
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert not leftovers


def test_index_lists_newest_first_and_skips_broken_entries(tmp_path: Path) -> None:
    media = _media(tmp_path)
    site_dir = tmp_path / "site"
    for i, (make, when) in enumerate(
        [
            (profiles.python_cli, "2024-01-01T00:00:00+00:00"),
            (profiles.go_service, "2024-03-01T00:00:00+00:00"),
            (profiles.js_library, "2024-02-01T00:00:00+00:00"),
        ]
    ):
        profile = make()
        script, video, words = _render(profile, media, duration=50 + i)
        write_blog(
            profile,
            script,
            video,
            words,
            out_dir=tmp_path / f"out{i}",
            site_dir=site_dir,
            commit=COMMIT,
            rendered_at=when,
        )
    (site_dir / "broken").mkdir()
    (site_dir / "broken" / "meta.json").write_text("{not json")
    (site_dir / "broken" / "index.html").write_text("x")
    index = write_site_index(site_dir).read_text(encoding="utf-8")
    order = [m.group(1) for m in re.finditer(r'<article><a href="([^"]+)/index.html"', index)]
    assert order == ["fin__ledgerd", "dates__tinyDate", "acme__csv-wrangler"]
    assert "3 repositories" in index


def test_plain_transcript_and_missing_media(tmp_path: Path) -> None:
    profile = profiles.tiny_repo()
    script = TemplateWriter().write(profile)
    video = RenderedVideo(
        videos=[VideoFile("landscape", str(tmp_path / "missing.mp4"), 1920, 1080, 40.0, 0)],
        thumbnail_path=str(tmp_path / "missing.png"),
        chapters=[],
        duration_s=40.0,
    )
    post = write_blog(
        profile,
        script,
        video,
        "Hello. This is the whole transcript.",
        out_dir=tmp_path / "out",
        site_dir=tmp_path / "site",
        commit=COMMIT,
        rendered_at="2024-06-01T00:00:00Z",
    )
    html_text = Path(post.html_path).read_text(encoding="utf-8")
    assert "This is the whole transcript." in html_text
    assert "<video" not in html_text
    markdown = Path(post.markdown_path).read_text(encoding="utf-8")
    assert _front_matter(markdown)["video"] == ""
    assert Path(post.html_path).parent.name == "hello"


def test_hostile_repository_text_is_inert(tmp_path: Path) -> None:
    media = _media(tmp_path)
    profile = profiles.hostile_repo()
    script, video, words = _render(profile, media)
    # A writer could pass repository text through to titles and descriptions.
    script.title = profile.name + " in 60 seconds"
    script.description = profile.description + "\n\n" + profile.readme_excerpt
    script.tags = [*script.tags, '"><script>alert(8)</script>']
    video.chapters[1].title = "<img src=x onerror=alert(9)>"
    post = write_blog(
        profile,
        script,
        video,
        _captions(words, media),
        out_dir=tmp_path / "out",
        site_dir=tmp_path / "site",
        commit=COMMIT,
        rendered_at="2024-06-01T00:00:00Z",
        repo_url="javascript:alert(10)",
    )
    for path in (Path(post.html_path), Path(post.index_path)):
        page = _parse(path)
        for tag, attrs in page.tags:
            for name, value in attrs.items():
                assert not name.startswith("on"), (tag, name, path)
                if name in ("href", "src", "poster") and value:
                    assert not value.lower().startswith("javascript"), (tag, value)
                    assert "://" not in value or value.startswith(("http://", "https://"))
        assert all("alert" not in s for s in page.scripts), "only our own script runs"
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<img src=x" not in text
    page = _parse(Path(post.html_path))
    assert sum(1 for t, _ in page.tags if t == "script") == 1
    assert not any(a.get("href", "").startswith("javascript") for t, a in page.tags if t == "a")
    # The escaped text is still shown.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in Path(post.html_path).read_text()

    markdown = Path(post.markdown_path).read_text(encoding="utf-8")
    front = _front_matter(markdown)
    assert front["repo"] == profile.full_name  # YAML round trip, nothing injected
    assert front["title"] == script.title
    assert set(front) == {
        "title",
        "date",
        "repo",
        "commit",
        "tags",
        "video",
        "reel",
        "thumbnail",
        "duration",
    }
    body = markdown.split("\n---\n", 1)[1]
    assert "<script" not in body and "<img" not in body and "<b " not in body
    assert "](javascript" not in body and "javascript:alert(10)" not in body
    assert "<video controls" in body  # our own tag survives


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://github.com/a/b", True),
        ("http://example.org/x?y=1", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>", False),
        ('https://x.org/"onmouseover=alert(1)', False),
        ("//evil.example/x", False),
        ("https:///nohost", False),
        (" https://a.b/ c", False),
        (None, False),
    ],
)
def test_safe_http_url(url: str | None, ok: bool) -> None:
    assert (safe_http_url(url) is not None) == ok


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        'a "quoted" \\ back',
        "line\nbreak\ttab",
        "key: value # not a comment",
        "\x00\x07\x85\u2028\ufeff",
        "- [x] {y}",
        "多语言 🚀",
    ],
)
def test_yaml_quote_round_trips(value: str) -> None:
    assert yaml.safe_load(f"k: {yaml_quote(value)}") == {"k": value}


def test_site_key() -> None:
    assert site_key("acme/csv-wrangler") == "acme__csv-wrangler"
    assert site_key("../../etc/passwd") == "__..__etc__passwd"
    assert site_key("..") == "repository"
    assert site_key("例子/x") == "__x"
