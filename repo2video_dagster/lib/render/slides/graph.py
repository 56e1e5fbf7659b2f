"""The architecture picture: the main package's parts as boxes, imports as arrows.

Laid out here, without Graphviz: parts are ranked in layers (a part sits below
every part that imports it; import cycles are broken at the edge that closes them),
ordered within a layer by the average position of their importers, and drawn top to
bottom on a reel, left to right on the landscape slide. A layer wider than the
slide wraps into rows. Each part is a motion step: it lights up when the narration
names it.
"""

from __future__ import annotations

import math
from typing import Any

from repo2video_dagster.lib.render import fonts
from repo2video_dagster.lib.render.slides.canvas import DrawContext, keywords_of, mark_step
from repo2video_dagster.lib.render.slides.data import data_list
from repo2video_dagster.lib.render.slides.text import draw_heading
from repo2video_dagster.lib.render.theme import BG_BOTTOM, CARD, CARD_BORDER, MUTED, TEXT, mix

__all__ = ["graph_layers", "layout_graph"]


def graph_layers(nodes: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """Nodes in layers: importers above what they import (longest path from the top)."""
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        if a in out and b in out and a != b:
            out[a].append(b)
    # drop the edges that close cycles (depth-first, in the given node order)
    state: dict[str, int] = {}
    acyclic: dict[str, list[str]] = {n: [] for n in nodes}

    def visit(n: str) -> None:
        state[n] = 1
        for m in out[n]:
            if state.get(m) == 1:
                continue  # back edge: a cycle
            acyclic[n].append(m)
            if m not in state:
                visit(m)
        state[n] = 2

    for n in nodes:
        if n not in state:
            visit(n)
    depth = {n: 0 for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for a in nodes:
            for b in acyclic[a]:
                if depth[b] < depth[a] + 1:
                    depth[b] = depth[a] + 1
                    changed = True
        if not changed:
            break
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=0) + 1)]
    for n in nodes:
        layers[depth[n]].append(n)
    # order each layer by the mean position of its importers in the layer above
    for i in range(1, len(layers)):
        above = {n: k for k, n in enumerate(layers[i - 1])}

        def key(n: str, above: dict[str, int] = above) -> float:
            ks = [above[a] for a in above if n in out[a]]
            return sum(ks) / len(ks) if ks else len(above)

        layers[i].sort(key=key)
    return [layer for layer in layers if layer]


def _wrap(layers: list[list[str]], per_row: int) -> list[list[str]]:
    rows: list[list[str]] = []
    for layer in layers:
        for k in range(0, len(layer), per_row):
            rows.append(layer[k : k + per_row])
    return rows


def _arrow(ctx: DrawContext, a: tuple[float, float], b: tuple[float, float], color: Any) -> None:
    ctx.draw.line((a[0], a[1], b[0], b[1]), fill=color, width=4)
    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    size = 18
    left = (b[0] - size * math.cos(angle - 0.45), b[1] - size * math.sin(angle - 0.45))
    right = (b[0] - size * math.cos(angle + 0.45), b[1] - size * math.sin(angle + 0.45))
    ctx.draw.polygon((*b, *left, *right), fill=color)


def _edge_point(box: tuple[float, float, float, float], toward: tuple[float, float]):
    """Where the line from the box centre toward ``toward`` leaves the box."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    tx = (x1 - cx) / abs(dx) if dx else math.inf
    ty = (y1 - cy) / abs(dy) if dy else math.inf
    t = min(tx, ty)
    return cx + dx * t, cy + dy * t


def layout_graph(ctx: DrawContext, data: dict[str, Any]) -> float:
    """Heading, the root package's name, then the parts and their imports. Returns the
    bottom edge."""
    lay = ctx.lay
    box = lay.content
    y = draw_heading(ctx, str(data.get("heading") or ""), box)
    nodes = [str(n) for n in data_list(data.get("nodes")) if str(n).strip()][:8]
    edges = [
        (str(e[0]), str(e[1]))
        for e in data_list(data.get("edges"))
        if isinstance(e, list | tuple) and len(e) == 2
    ]
    if not nodes:
        return y
    root = str(data.get("root") or "")
    if root:
        size = lay.small_size
        label = fonts.ellipsize(f"{root}/  (arrows: imports)", "mono", size, box.w)
        fonts.draw_text(ctx.draw, (box.x, y), label, "mono", size, MUTED)
        y += round(size * 1.6)
    reel = lay.fmt == "reel"
    layers = graph_layers(nodes, edges)
    # three parts side by side on a reel: names of about ten letters fit unshortened
    size = lay.body_size - (10 if reel else 4)
    pad_x, box_h = (18 if reel else 26), round(size * 2.0)
    area_top, area_h = y, box.bottom - y
    positions: dict[str, tuple[float, float, float, float]] = {}
    if reel:
        # On a board that takes the height under the heading: the diagram's space is
        # visible even for three parts, and the rows spread over it.
        board_pad = 28
        ctx.draw.rounded_rectangle(
            (box.x, area_top, box.right, box.bottom),
            radius=lay.radius,
            fill=mix(BG_BOTTOM, CARD, 0.55),
            outline=CARD_BORDER,
            width=2,
        )
        box_h = round(size * 2.3)
        rows = _wrap(layers, 3)
        inner_top, inner_h = area_top + board_pad, area_h - 2 * board_pad
        gap = (inner_h - len(rows) * box_h) / max(1, len(rows))
        gap = max(24.0, min(gap, 150.0))
        inner_top += max(0.0, (inner_h - len(rows) * (box_h + gap) + gap) / 2)
        inner_w = box.w - 2 * board_pad
        for r, row in enumerate(rows):
            cell = inner_w / len(row)
            top = inner_top + r * (box_h + gap)
            for c, name in enumerate(row):
                w = min(cell - 20, max(200, fonts.text_width(name, "bold", size) + 2 * pad_x))
                cx = box.x + board_pad + cell * (c + 0.5)
                positions[name] = (cx - w / 2, top, cx + w / 2, top + box_h)
        bottom = box.bottom
    else:
        cols = _wrap(layers, 4)
        col_w = box.w / len(cols)
        for c, col in enumerate(cols):
            slot = area_h / len(col)
            for r, name in enumerate(col):
                w = min(col_w - 40, fonts.text_width(name, "bold", size) + 2 * pad_x)
                cx = box.x + col_w * (c + 0.5)
                cy = area_top + slot * (r + 0.5)
                positions[name] = (cx - w / 2, cy - box_h / 2, cx + w / 2, cy + box_h / 2)
        bottom = box.bottom
    edge_color = mix(CARD_BORDER, ctx.accent, 0.45)
    for a, b in edges:
        if a in positions and b in positions and a != b:
            pa, pb = positions[a], positions[b]
            ca = ((pa[0] + pa[2]) / 2, (pa[1] + pa[3]) / 2)
            cb = ((pb[0] + pb[2]) / 2, (pb[1] + pb[3]) / 2)
            _arrow(ctx, _edge_point(pa, cb), _edge_point(pb, ca), edge_color)
    for name in nodes:
        if name not in positions:
            continue
        x0, y0, x1, y1 = positions[name]
        words = [name.lower()] + [w for w in keywords_of(name) if w != name.lower()]
        mark_step(ctx, "spot", (x0 - 6, y0 - 6, x1 + 7, y1 + 7), words)
        ctx.draw.rounded_rectangle(
            (x0, y0, x1, y1), radius=box_h // 3, fill=CARD, outline=ctx.accent, width=3
        )
        label = fonts.ellipsize(name, "bold", size, x1 - x0 - 2 * pad_x + 8)
        tw = fonts.text_width(label, "bold", size)
        fonts.draw_text(
            ctx.draw,
            ((x0 + x1 - tw) / 2, y0 + (box_h - round(size * 1.17)) / 2),
            label,
            "bold",
            size,
            TEXT,
        )
    return bottom
