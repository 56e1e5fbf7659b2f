"""Slides and thumbnail: exact sizes, safe zones, CJK glyphs, fitting of long text."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from repo2video_dagster.lib.core.errors import EngineError
from repo2video_dagster.lib.core.records import VisualSpec
from repo2video_dagster.lib.render import fonts, slides
from repo2video_dagster.lib.render.slides.coverage import safe_area_coverage
from repo2video_dagster.lib.render.theme import (
    REEL_BOTTOM_KEEPOUT,
    REEL_RIGHT_KEEPOUT,
    REEL_TOP_KEEPOUT,
    THUMBNAIL_SIZE,
    accent_for,
    hex_to_rgb,
    layout,
    resolve_accent,
)

REPO = "octo-org/hello-world"
LONG = (
    "A deliberately long description that goes on and on about what the project does, "
    "why it exists, how it is built and who maintains it, so that every layout has to "
    "wrap it, shrink it, and finally cut it off with an ellipsis instead of overflowing "
    "into the caption band or the areas covered by the platform's buttons and labels."
)
CODE = '''import sys

def main(argv: list[str]) -> int:
    """Entry point with a rather long docstring line that must be clipped at the card edge."""
    for arg in argv:  # iterate over every argument given on the command line, one by one
        print(f"hello {arg}!")
    return 0

class Greeter:
    def greet(self, name):
        return "hi " + name

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''

SPECS: dict[str, VisualSpec] = {
    "title": VisualSpec(
        "title",
        {
            "title": "octo-org/hello-worldWithAnExtraordinarilyLongRepositoryName_v2",
            "subtitle": LONG,
            "badges": ["Python", "MIT", "★ 12,345", "a very long badge label that must be cut"],
        },
    ),
    "overview": VisualSpec(
        "overview",
        {"heading": "What it does, in more words than fit one line", "bullets": [LONG] * 6},
    ),
    "command": VisualSpec(
        "command",
        {
            "heading": "Install",
            "commands": [
                "pip install hello-world",
                "hello-world --config ./config/production.yaml --verbose --output /tmp/out",
                "# comment line",
            ]
            + [f"step-{i} --flag" for i in range(20)],
        },
    ),
    "code": VisualSpec(
        "code",
        {"heading": "Usage", "code": CODE * 2, "language": "python", "source": "src/hello/cli.py"},
    ),
    "tree": VisualSpec(
        "tree",
        {
            "heading": "Layout",
            "lines": ["hello-world/", "├── src/", "│   └── hello/", "│       └── cli.py"]
            + [f"├── file_{i}.txt" for i in range(30)]
            + ["└── README.md"],
            "highlights": ["src/hello/cli.py", "README.md"],
        },
    ),
    "languages": VisualSpec(
        "languages",
        {
            "heading": "Languages",
            "languages": [
                {"name": n, "share": s, "lines": 100}
                for n, s in [
                    ("Python", 0.6),
                    ("Shell", 0.1),
                    ("C", 0.08),
                    ("Go", 0.07),
                    ("Rust", 0.05),
                    ("HTML", 0.04),
                    ("CSS", 0.03),
                    ("Lua", 0.02),
                    ("Perl", 0.01),
                ]
            ],
        },
    ),
    "stats": VisualSpec(
        "stats",
        {
            "heading": "Activity",
            "stats": [
                {"label": "commits", "value": 123456789},
                {"label": "contributors", "value": 42},
                {"label": "first commit", "value": "2009-01-01"},
                {"label": "lines of code and a long label here", "value": 1234.5},
            ],
        },
    ),
    "outro": VisualSpec(
        "outro",
        {
            "heading": "Try it today",
            "lines": [LONG, "Star the repository"],
            "url": "https://github.com/octo-org/hello-world-with-a-very-long-name/tree/main/docs",
        },
    ),
}


def _drawn(img: Image.Image, fmt: str) -> np.ndarray:
    """Boolean mask of pixels that differ from the empty background."""
    bg = slides.render_background(img.size, resolve_accent(None, REPO))
    return np.any(np.asarray(img) != np.asarray(bg), axis=2)


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
@pytest.mark.parametrize("kind", list(SPECS))
def test_every_kind_renders_at_exact_size_with_content(kind: str, fmt: str) -> None:
    img = slides.render_slide(SPECS[kind], fmt, repo_name=REPO, scene_index=2, scene_count=7)
    lay = layout(fmt)
    assert img.mode == "RGB"
    assert img.size == (lay.width, lay.height)
    drawn = _drawn(img, fmt)
    c = lay.content
    # the body was drawn (well beyond the chrome strip), not just the chrome
    assert drawn[c.y : c.bottom, c.x : c.right].mean() > 0.02


@pytest.mark.parametrize("kind", list(SPECS))
def test_reel_keeps_everything_out_of_platform_ui_and_caption_band(kind: str) -> None:
    img = slides.render_slide(SPECS[kind], "reel", repo_name=REPO, scene_index=6, scene_count=7)
    drawn = _drawn(img, "reel")
    lay = layout("reel")
    assert not drawn[:REEL_TOP_KEEPOUT].any(), "pixels drawn under the top bar"
    assert not drawn[lay.height - REEL_BOTTOM_KEEPOUT :].any(), "pixels under the bottom UI"
    assert not drawn[:, lay.width - REEL_RIGHT_KEEPOUT :].any(), "pixels under the side buttons"
    cap = lay.caption
    assert not drawn[cap.y : cap.bottom, cap.x : cap.right].any(), "slide drew in the caption band"
    ys, xs = np.nonzero(drawn)
    assert xs.min() >= lay.safe.x and xs.max() < lay.safe.right


@pytest.mark.parametrize("kind", list(SPECS))
def test_landscape_leaves_the_caption_band_empty(kind: str) -> None:
    img = slides.render_slide(
        SPECS[kind], "landscape", repo_name=REPO, scene_index=0, scene_count=3
    )
    drawn = _drawn(img, "landscape")
    lay = layout("landscape")
    cap = lay.caption
    assert not drawn[cap.y : cap.bottom, cap.x : cap.right].any()
    ys, xs = np.nonzero(drawn)
    assert xs.min() >= lay.safe.x and xs.max() < lay.safe.right
    assert ys.min() >= lay.safe.y and ys.max() < lay.safe.bottom


MIN_REEL_COVERAGE = 0.20
"""Least share of the reel's safe area a slide covers with content (cards, pictures, text).

The content box (between the chrome strip and the caption band) is about 63 % of the
safe area, so 20 % means at least a third of the space a slide may use carries
something. The old title and outro cards (a few lines of text) measured 4-7 % and read
as a slideshow; the busiest slides (stats, overview) measure 35-45 %.
"""


def _sparse_specs(picture: Path) -> dict[str, VisualSpec]:
    """Every kind with as little as a small real repository gives the script: one badge,
    one command, a one-line snippet, one language, two parts, no install command."""
    return {
        "title": VisualSpec("title", {"title": "tiny", "subtitle": "Says hello.", "badges": ["C"]}),
        "overview": VisualSpec(
            "overview",
            {"heading": "What it does", "bullets": ["Written in C", "3 files · 120 lines", "MIT"]},
        ),
        "command": VisualSpec("command", {"heading": "Install", "commands": ["make"]}),
        "code": VisualSpec(
            "code",
            {"heading": "Usage", "code": "hello --name you", "language": "text", "source": "x"},
        ),
        "tree": VisualSpec("tree", {"heading": "Layout", "lines": ["src/", "README.md"]}),
        "languages": VisualSpec(
            "languages",
            {
                "heading": "Languages",
                "languages": [{"name": "Python", "share": 1.0}],  # one card, not one strip
            },
        ),
        "stats": VisualSpec(
            "stats", {"heading": "Activity", "stats": [{"label": "Commits", "value": "3"}]}
        ),
        "outro": VisualSpec(
            "outro",
            {
                "heading": "Try it",
                "lines": ["octo-org/hello-world", "C", "MIT"],
                "url": "https://github.com/octo-org/hello-world",
            },
        ),
        "image": VisualSpec(
            "image", {"heading": "A look", "image": picture.name, "image_file": str(picture)}
        ),
        "graph": VisualSpec(
            "graph",
            {
                "heading": "Parts",
                "root": "tiny",
                "nodes": ["cli", "core"],
                "edges": [["cli", "core"]],
            },
        ),
    }


@pytest.fixture(scope="module")
def sparse(tmp_path_factory: pytest.TempPathFactory) -> dict[str, VisualSpec]:
    picture = tmp_path_factory.mktemp("picture") / "banner.png"
    Image.new("RGB", (1200, 400), (240, 240, 240)).save(picture)  # a wide 3:1 banner
    return _sparse_specs(picture)


@pytest.mark.parametrize("kind", sorted(slides.scene.LAYOUTS))
def test_reel_content_fills_the_safe_area_and_stays_out_of_the_ui(
    kind: str, sparse: dict[str, VisualSpec]
) -> None:
    lay = layout("reel")
    for spec in (sparse[kind], SPECS.get(kind)):
        if spec is None:
            continue
        img = slides.render_slide(spec, "reel", repo_name=REPO, scene_index=1, scene_count=9)
        share = safe_area_coverage(img, "reel", accent_for(REPO))
        assert share >= MIN_REEL_COVERAGE, f"{kind}: {share:.1%} of the safe area"
        drawn = _drawn(img, "reel")
        cap = lay.caption
        assert not drawn[cap.y :].any(), "drawn in the caption band or the bottom UI"
        assert not drawn[:REEL_TOP_KEEPOUT].any() and not drawn[:, lay.safe.right :].any()


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
@pytest.mark.parametrize("kind", list(SPECS))
def test_empty_data_still_renders(kind: str, fmt: str) -> None:
    img = slides.render_slide(
        VisualSpec(kind, {}), fmt, repo_name="r", scene_index=0, scene_count=1
    )  # type: ignore[arg-type]
    assert img.size == layout(fmt).size


def test_cjk_is_drawn_with_the_fallback_font_not_tofu() -> None:
    assert fonts.split_runs("漢字", "sans") == (("漢字", True),)
    assert fonts.split_runs("Привет αβγ", "sans") == (("Привет αβγ", False),)

    def bitmap(ch: str, *, fallback: bool) -> np.ndarray:
        img = Image.new("L", (80, 80), 0)
        draw = ImageDraw.Draw(img)
        if fallback:
            fonts.draw_text(draw, (4, 4), ch, "sans", 56, 255)
        else:  # the primary font alone: DejaVu has no CJK, so this draws .notdef boxes
            draw.text((4, 4), ch, font=fonts.get_font("sans", 56), fill=255)
        return np.asarray(img)

    tofu_a, tofu_b = bitmap("漢", fallback=False), bitmap("字", fallback=False)
    glyph_a, glyph_b = bitmap("漢", fallback=True), bitmap("字", fallback=True)
    assert np.array_equal(tofu_a, tofu_b), "primary font should draw identical .notdef boxes"
    assert glyph_a.any() and glyph_b.any()
    assert not np.array_equal(glyph_a, glyph_b), "CJK glyphs must differ from each other"
    assert not np.array_equal(glyph_a, tofu_a)


def test_cjk_and_cyrillic_slide_text_renders() -> None:
    spec = VisualSpec(
        "overview", {"heading": "概要 — Обзор", "bullets": ["日本語のドキュメント", "Ελληνικά"]}
    )
    img = slides.render_slide(spec, "reel", repo_name="例/リポジトリ", scene_index=0, scene_count=1)
    assert img.size == (1080, 1920)
    assert fonts.uses_fallback("日本語のドキュメント")
    assert not fonts.uses_fallback("Ελληνικά")


def test_characters_in_no_font_are_left_out_not_boxed() -> None:
    runs = fonts.split_runs("ok \U000e0001\u200b!", "sans")  # tag char, zero-width space
    assert "".join(r for r, _ in runs) in {"ok !", "ok \u200b!"}


def test_long_repo_names_break_at_separators_and_camel_case() -> None:
    tokens = slides.name_tokens("octo-org/superLongRepoName_with.dots")
    assert tokens == ["octo-", "org/", "super", "Long", "Repo", "Name_", "with.", "dots"]
    assert "".join(tokens) == "octo-org/superLongRepoName_with.dots"
    lay = layout("reel")
    size, lines = slides.fit_name(
        "octo-org/superLongRepoName_with.dots", [124, 100, 80, 64], lay.content.w
    )
    assert len(lines) <= 3
    assert all(fonts.text_width(line, "bold", size) <= lay.content.w for line in lines)
    assert "".join(lines) == "octo-org/superLongRepoName_with.dots"


def test_unbreakable_name_is_cut_with_ellipsis_within_width() -> None:
    name = "x" * 300
    size, lines = slides.fit_name(name, [124, 64], 880)
    assert len(lines) == 3 and lines[-1].endswith(fonts.ELLIPSIS)
    assert all(fonts.text_width(line, "bold", size) <= 880 for line in lines)


def test_wrap_and_clamp_keep_lines_within_width() -> None:
    lines = fonts.wrap_text(LONG, "sans", 48, 880)
    assert len(lines) > 4
    assert all(fonts.text_width(line, "sans", 48) <= 880 for line in lines)
    clamped = fonts.clamp_lines(lines, 4, "sans", 48, 880)
    assert len(clamped) == 4 and clamped[-1].endswith(fonts.ELLIPSIS)
    assert fonts.text_width(clamped[-1], "sans", 48) <= 880
    cjk = fonts.wrap_text("漢字" * 40, "sans", 48, 400)
    assert len(cjk) > 1 and all(fonts.text_width(line, "sans", 48) <= 400 for line in cjk)


def test_code_slide_is_syntax_highlighted() -> None:
    img = slides.render_slide(
        SPECS["code"], "landscape", repo_name=REPO, scene_index=0, scene_count=1
    )
    arr = np.asarray(img).reshape(-1, 3)
    keyword = np.array(hex_to_rgb("#66d9ef"))  # monokai keyword colour ("def", "class")
    string = np.array(hex_to_rgb("#e6db74"))  # monokai string colour
    assert (np.abs(arr - keyword).sum(axis=1) < 30).sum() > 50
    assert (np.abs(arr - string).sum(axis=1) < 30).sum() > 50
    lines = slides.highlight_lines("def f():\n    return 1\n", "python")
    assert len(lines) == 2 and lines[0][0] == (hex_to_rgb("#66d9ef"), "def")


def test_progress_indicator_and_accent_are_deterministic() -> None:
    a = slides.render_slide(SPECS["overview"], "reel", repo_name=REPO, scene_index=1, scene_count=5)
    b = slides.render_slide(SPECS["overview"], "reel", repo_name=REPO, scene_index=1, scene_count=5)
    c = slides.render_slide(SPECS["overview"], "reel", repo_name=REPO, scene_index=3, scene_count=5)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    chrome = layout("reel").chrome
    region = (slice(chrome.y, chrome.bottom), slice(chrome.x, chrome.right))
    assert not np.array_equal(np.asarray(a)[region], np.asarray(c)[region])
    assert accent_for(REPO) == accent_for(REPO.upper())
    assert len({accent_for(f"repo-{i}") for i in range(20)}) > 3


def test_readable_type_sizes() -> None:
    reel, land = layout("reel"), layout("landscape")
    assert reel.body_min >= 40 and reel.heading_size >= 64
    assert land.body_min >= 36


def test_thumbnail_size_and_content() -> None:
    img = slides.render_thumbnail(
        "octo-org/hello-world", LONG, ["Python", "MIT"], repo_name=REPO, accent="#34d399"
    )
    assert img.size == THUMBNAIL_SIZE and img.mode == "RGB"
    bg = slides.render_background(THUMBNAIL_SIZE, hex_to_rgb("#34d399"))
    assert np.any(np.asarray(img) != np.asarray(bg), axis=2).mean() > 0.03


def test_missing_font_error_names_the_package() -> None:
    with pytest.raises(EngineError, match="apt-get install fonts-dejavu-core"):
        fonts.find_font(("NoSuchFont-Regular.ttf",), "fonts-dejavu-core")
    assert fonts.check_fonts()["fallback"].name.startswith("DroidSansFallback")


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown slide kind"):
        slides.render_slide(
            VisualSpec("nope", {}),  # type: ignore[arg-type]
            "reel",
            repo_name=REPO,
            scene_index=0,
            scene_count=1,
        )


def test_slide_render_time(capsys: pytest.CaptureFixture[str]) -> None:
    timings = []
    for fmt in ("reel", "landscape"):
        for spec in SPECS.values():
            start = time.perf_counter()
            slides.render_slide(spec, fmt, repo_name=REPO, scene_index=0, scene_count=8)
            timings.append(time.perf_counter() - start)
    mean_ms = 1000 * sum(timings) / len(timings)
    with capsys.disabled():
        print(f"\nslide render: mean {mean_ms:.0f} ms, max {1000 * max(timings):.0f} ms")
    assert mean_ms < 1000


@pytest.mark.parametrize(
    "language, source",
    [
        ("yaml", "ops:\n  add:\n    config:\n      target: pallets/click  # or a path\n"),
        ("toml", '[project]\nname = "x"\nversion = "1.0"\n'),
        ("json", '{"a": [1, 2.5, true, null]}\n'),
        ("dockerfile", "FROM python:3.11\nRUN pip install x\n"),
        ("make", "test:\n\tpytest -q\n"),
        ("bash", 'for f in *.py; do echo "$f"; done\n'),
    ],
)
def test_code_colours_exist_for_every_token_a_lexer_makes(language: str, source: str) -> None:
    """Lexers make token subtypes the colour style does not list (YAML's
    Token.Literal.Scalar.Plain failed the demo's visuals once)."""
    from pygments import lex
    from pygments.lexers import get_lexer_by_name

    from repo2video_dagster.lib.render.slides.monospace import _token_color

    for ttype, _ in lex(source, get_lexer_by_name(language)):
        assert len(_token_color(ttype)) == 3
