"""Caption bands: size, highlight of the active word, fitting, speed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.caption_bands import (
    caption_box,
    highlight_patch,
    layout_caption,
    render_caption_band,
)
from repo2video_dagster.lib.render.theme import hex_to_rgb

WORDS = ["Requests", "keeps", "connections", "alive", "and", "pools", "them"]
ACCENT = "#fbbf24"


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
def test_band_has_the_caption_box_size(fmt: str) -> None:
    band = render_caption_band(WORDS, 0, fmt, accent=ACCENT)
    box = caption_box(fmt)
    assert band.mode == "RGBA"
    assert band.size == (box.w, box.h)
    alpha = np.asarray(band)[:, :, 3]
    assert alpha.max() == 255 and alpha.min() == 0  # opaque text, transparent margins


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
def test_active_word_is_highlighted_and_only_there(fmt: str) -> None:
    plain = np.asarray(render_caption_band(WORDS, None, fmt, accent=ACCENT)).astype(int)
    active = np.asarray(render_caption_band(WORDS, 2, fmt, accent=ACCENT)).astype(int)
    lay = layout_caption(tuple(WORDS), fmt)
    word = next(w for w in lay.words if w.index == 2)
    diff = np.any(plain != active, axis=2)
    ys, xs = np.nonzero(diff)
    assert diff.sum() > 500
    # every changed pixel lies around word 2 (pill padding included), none elsewhere
    assert xs.min() >= word.x - lay.size * 0.3 and xs.max() <= word.x + word.w + lay.size * 0.3
    assert ys.min() >= word.y - lay.size * 0.2 and ys.max() <= word.y + lay.size * 1.4
    accent = np.array(hex_to_rgb(ACCENT))
    pill = np.all(np.abs(active[:, :, :3] - accent) < 8, axis=2) & (active[:, :, 3] == 255)
    assert pill.sum() > 300
    other = np.asarray(render_caption_band(WORDS, 3, fmt, accent=ACCENT)).astype(int)
    assert not np.array_equal(active, other)


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
@pytest.mark.parametrize(
    "words",
    [WORDS, ["gypsy", "jQuery", "fjord", "Qg"], ["日本語", "の", "テキスト"], ["x" * 80]],
)
def test_highlight_patch_is_all_that_changes(fmt: str, words: list[str]) -> None:
    """The band with a highlight is the plain band with the patch pasted, and every changed
    pixel lies inside the patch's box (the compositor re-converts only that box)."""
    plain = render_caption_band(words, None, fmt, accent=ACCENT)
    assert highlight_patch(words, None, fmt, accent=ACCENT) is None
    assert highlight_patch(words, len(words), fmt, accent=ACCENT) is None
    for active in range(len(words)):
        band = render_caption_band(words, active, fmt, accent=ACCENT)
        result = highlight_patch(words, active, fmt, accent=ACCENT)
        assert result is not None
        patch, (x0, y0, x1, y1) = result
        assert patch.mode == "RGBA" and patch.size == (x1 - x0, y1 - y0)
        assert 0 <= x0 < x1 <= band.width and 0 <= y0 < y1 <= band.height
        rebuilt = plain.copy()
        rebuilt.paste(patch, (x0, y0))
        assert np.array_equal(np.asarray(rebuilt), np.asarray(band))
        changed = np.any(np.asarray(band) != np.asarray(plain), axis=2)
        ys, xs = np.nonzero(changed)
        assert changed.sum() > 200
        assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1
        # the box is about the pill, not the band
        assert (x1 - x0) * (y1 - y0) < 0.5 * band.width * band.height


def test_words_stay_inside_the_band_and_within_two_lines() -> None:
    for fmt in ("reel", "landscape"):
        lay = layout_caption(tuple(WORDS), fmt)
        assert len({w.y for w in lay.words}) <= 2
        for w in lay.words:
            assert w.x >= 0 and w.x + w.w <= lay.width
            assert w.y >= 0 and w.y + lay.size * 1.17 <= lay.height


def test_long_cue_shrinks_and_long_token_fits() -> None:
    many = ("lorem ipsum dolor sit amet consectetur " * 4).split()
    lay = layout_caption(tuple(many), "reel")
    short = layout_caption(("hi",), "reel")
    assert lay.size < short.size
    assert all(w.x >= 0 and w.x + w.w <= lay.width for w in lay.words)
    huge = layout_caption(("x" * 80,), "reel")
    assert huge.words[0].x >= 0 and huge.words[0].x + huge.words[0].w <= huge.width


def test_cjk_caption_uses_fallback_font() -> None:
    words = ["日本語", "の", "テキスト"]
    band = np.asarray(render_caption_band(words, 0, "reel", accent=ACCENT))
    assert fonts.uses_fallback("日本語", "bold")
    assert (band[:, :, 3] == 255).sum() > 1000


def test_empty_cue_gives_a_transparent_band() -> None:
    band = np.asarray(render_caption_band([], None, "landscape"))
    assert band[:, :, 3].max() == 0


def test_band_render_time(capsys: pytest.CaptureFixture[str]) -> None:
    """Typical use: one call per word, cue after cue (the first call of a cue builds it)."""
    text = [
        "Requests",
        "is",
        "a",
        "simple",
        "elegant",
        "HTTP",
        "library",
        "for",
        "humans",
        "that",
        "keeps",
        "connections",
        "alive",
        "pools",
        "them",
        "and",
        "handles",
        "cookies",
        "sessions",
        "redirects",
        "and",
        "authentication",
        "for",
        "you",
    ]
    timings = []
    for fmt in ("reel", "landscape"):
        for rep in range(3):
            for start in range(0, len(text), 5):
                cue = [f"{w}{rep}" for w in text[start : start + 5]]  # new text: no cache hits
                for i in range(len(cue)):
                    t0 = time.perf_counter()
                    render_caption_band(cue, i, fmt, accent=ACCENT)
                    timings.append(time.perf_counter() - t0)
    mean_ms = 1000 * sum(timings) / len(timings)
    with capsys.disabled():
        print(f"\ncaption band: mean {mean_ms:.1f} ms over {len(timings)} bands")
    assert mean_ms < 15
