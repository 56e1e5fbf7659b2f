"""How the code is put together: the main package's parts and the imports between them.

For Python (``import``/``from`` statements) and JavaScript/TypeScript (relative
``import``/``require``), the parts are the direct children of the main package
(subpackages and modules); an edge ``a -> b`` says some file of ``a`` imports
something of ``b``. Other languages get no graph (the slide shows the tree). Reading
is bounded: at most :data:`MAX_FILES` files of :data:`MAX_FILE_BYTES` each.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from typing import Any

from repo2video_dagster.lib.source.profile.files import CheckoutScan
from repo2video_dagster.lib.source.profile.walk import read_text

__all__ = ["MAX_NODES", "import_graph"]

MAX_NODES = 8
MAX_FILES = 400
MAX_FILE_BYTES = 200_000

_PY_IMPORT = re.compile(
    r"^\s*(?:from\s+([\w.]+)\s+import\s+([\w*, ()]+)|import\s+([\w., ]+))", re.M
)
_JS_IMPORT = re.compile(
    r"(?:import\s[^'\"]*?from\s*|import\s*\(?\s*|require\s*\(\s*)['\"](\.{1,2}/[^'\"]+)['\"]"
)


def _python_graph(
    scan: CheckoutScan, package: str
) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Lines per part and import counts between parts of the Python package at ``package``."""
    prefix = package.rstrip("/") + "/"
    dotted = package.rstrip("/").replace("/", ".")
    if dotted.startswith("src."):
        dotted = dotted[4:]
    lines: Counter[str] = Counter()
    edges: Counter[tuple[str, str]] = Counter()
    files = [f for f in scan.files if f.rel.startswith(prefix) and f.rel.endswith(".py")]
    for f in files[:MAX_FILES]:
        rest = f.rel[len(prefix) :]
        part = rest.split("/")[0].removesuffix(".py")
        if part == "__init__" or part.startswith("_") and part != "__main__":
            continue
        lines[part] += f.lines
        text = read_text(scan.root, f.rel, MAX_FILE_BYTES) or ""
        here = dotted + "." + rest.removesuffix(".py").replace("/", ".")
        for m in _PY_IMPORT.finditer(text):
            if m.group(1):
                module = m.group(1)
                if module.startswith("."):  # relative: resolve against this file's package
                    dots = len(module) - len(module.lstrip("."))
                    base = here.split(".")[:-dots] if dots else here.split(".")
                    module = ".".join(base + [x for x in module.lstrip(".").split(".") if x])
                names = [n.strip(" ()") for n in m.group(2).split(",")]
                targets = [module] + [f"{module}.{n}" for n in names if n and n != "*"]
            else:
                targets = [t.strip().split(" as ")[0] for t in m.group(3).split(",")]
            for target in targets:
                if target.startswith(dotted + "."):
                    other = target[len(dotted) + 1 :].split(".")[0]
                    if other and other != part and not other.startswith("_"):
                        edges[(part, other)] += 1
    return lines, edges


def _js_graph(scan: CheckoutScan, package: str) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    prefix = package.rstrip("/") + "/"
    lines: Counter[str] = Counter()
    edges: Counter[tuple[str, str]] = Counter()
    suffixes = (".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx")
    files = [f for f in scan.files if f.rel.startswith(prefix) and f.rel.endswith(suffixes)]
    for f in files[:MAX_FILES]:
        rest = f.rel[len(prefix) :]
        part = re.sub(r"\.(m|c)?[jt]sx?$", "", rest.split("/")[0])
        if part in ("index", "") or ".test" in part or ".spec" in part:
            continue
        lines[part] += f.lines
        text = read_text(scan.root, f.rel, MAX_FILE_BYTES) or ""
        for m in _JS_IMPORT.finditer(text):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(f.rel), m.group(1)))
            if target.startswith(prefix):
                other = re.sub(r"\.(m|c)?[jt]sx?$", "", target[len(prefix) :].split("/")[0])
                if other and other != part and other != "index":
                    edges[(part, other)] += 1
    return lines, edges


def import_graph(scan: CheckoutScan, modules: list[str], language: str | None) -> dict[str, Any]:
    """``{"root", "nodes": [{"name", "lines"}], "edges": [[from, to], ...]}`` of the main
    package, or ``{}`` when there is no package with three connected parts."""
    packages = [m for m in modules if m.endswith("/")][:2]
    for package in packages:
        if language == "Python":
            lines, edges = _python_graph(scan, package)
        elif language in ("JavaScript", "TypeScript"):
            lines, edges = _js_graph(scan, package)
        else:
            return {}
        degree: Counter[str] = Counter()
        for (a, b), n in edges.items():
            if a in lines and b in lines:
                degree[a] += n
                degree[b] += n
        connected = [p for p in lines if degree[p] > 0]
        pool = connected if len(connected) >= 3 else list(lines)
        ranked = sorted(pool, key=lambda p: (-lines[p], p))[:MAX_NODES]
        keep = set(ranked)
        kept_edges = sorted([a, b] for (a, b) in edges if a in keep and b in keep)
        if len(ranked) >= 3 and len(kept_edges) >= 2:
            return {
                "root": package.rstrip("/"),
                "nodes": [{"name": p, "lines": lines[p]} for p in ranked],
                "edges": kept_edges,
            }
    return {}
