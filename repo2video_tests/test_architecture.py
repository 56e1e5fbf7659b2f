"""The architecture picture made from the code: a package's parts and the imports between
them, read from the checkout, laid out in layers for both formats, named in the script."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from repo2video_dagster.lib.core.records import RepoSnapshot, RepoSource, VisualSpec
from repo2video_dagster.lib.render import slides
from repo2video_dagster.lib.render.slides.graph import graph_layers
from repo2video_dagster.lib.script.template.writer import TemplateWriter
from repo2video_dagster.lib.source.profile import build_profile

FILES = {
    "README.md": "# shop\n\nA tiny web shop backend with a catalog, carts and payments.\n",
    "shop/__init__.py": "",
    "shop/api.py": "from shop import cart, catalog\nfrom .payments import charge\n\n"
    + "def route():\n    return cart, catalog, charge\n" * 5,
    "shop/cart.py": "from shop.catalog import price\nimport shop.db\n\n" + "x = 1\n" * 30,
    "shop/catalog.py": "from . import db\n\n" + "y = 2\n" * 40,
    "shop/payments.py": "from shop.db import ledger\n\n" + "z = 3\n" * 20,
    "shop/db.py": "import sqlite3\n\n" + "w = 4\n" * 50,
    "tests/test_cart.py": "from shop import cart\n",
}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("arch") / "shop"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _snapshot(root: Path) -> RepoSnapshot:
    source = RepoSource(target=str(root), kind="local", url=str(root), key="local__s", name="shop")
    return RepoSnapshot(source, str(root), "0" * 40, "main", "2024-01-01T00:00:00+00:00", 0, 0)


def test_import_graph_of_the_main_package(checkout: Path) -> None:
    graph = build_profile(_snapshot(checkout)).architecture
    assert graph["root"] == "shop"
    assert {n["name"] for n in graph["nodes"]} == {"api", "cart", "catalog", "payments", "db"}
    assert sorted(map(tuple, graph["edges"])) == [
        ("api", "cart"),
        ("api", "catalog"),
        ("api", "payments"),
        ("cart", "catalog"),
        ("cart", "db"),
        ("catalog", "db"),
        ("payments", "db"),
    ]


def test_layers_put_importers_above_and_survive_cycles() -> None:
    layers = graph_layers(["db", "api", "cart"], [("api", "cart"), ("cart", "db"), ("db", "api")])
    assert sorted(n for layer in layers for n in layer) == ["api", "cart", "db"]
    assert len(layers) == 3  # the cycle is broken at one edge, the rest stays a chain
    chain = graph_layers(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("a", "d")])
    assert chain[0] == ["a"] and set(chain[1]) == {"b", "d"} and chain[2] == ["c"]


@pytest.mark.parametrize("fmt", ["reel", "landscape"])
def test_graph_slide_and_narration(checkout: Path, fmt: str) -> None:
    profile = build_profile(_snapshot(checkout))
    script = TemplateWriter().write(profile)
    scene = next(s for s in script.scenes if s.id == "architecture")
    assert scene.visual.kind == "graph"
    assert "db is at the center: 3 other parts import it." in scene.narration.lower()
    img, steps = slides.render_slide_motion(
        VisualSpec("graph", scene.visual.data), fmt, repo_name="shop", scene_index=2, scene_count=8
    )
    assert [s["kind"] for s in steps] == ["spot"] * 5
    boxes = [s["box"] for s in steps]
    for i, a in enumerate(boxes):  # no two parts overlap, all inside the frame
        assert 0 <= a[0] < a[2] <= img.width and 0 <= a[1] < a[3] <= img.height
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
    by_name = {s["keywords"][0]: s["box"] for s in steps}
    if fmt == "reel":  # importers above what they import
        assert by_name["api"][3] <= by_name["cart"][1] <= by_name["db"][1]
    else:  # left to right
        assert by_name["api"][2] <= by_name["cart"][0] <= by_name["db"][0]
    pixels = np.asarray(img)
    x0, y0, x1, y1 = by_name["db"]
    assert (pixels[y0:y1, x0:x1].max(axis=2) > 200).any(), "the part's name is drawn"
