"""``status.html`` in the static site: is the render service healthy, at a glance.

Recent renders (status, trigger, when, how long, the one-line error, links to the
video page and to the run in the Dagster UI), the queue in the order it will be
served, the whole-window figures and the daily success-rate chart
(``status-success-rate.png`` next to it). Cards rather than a wide table, so it reads
on a phone; no script at all (the page's CSP forbids any). The site index links to
it once it exists.
"""

from __future__ import annotations

import os
import tempfile
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from repo2video_dagster.lib.publish.blog import esc, write_site_index
from repo2video_dagster.lib.stats.history import RunFacts

STATUS_PAGE = "status.html"
CHART_FILE = "status-success-rate.png"

_CSS = """
:root{color-scheme:light dark;--fg:#1d2330;--muted:#5b6475;--bg:#f6f7fb;--card:#fff;--accent:#3558e6}
@media (prefers-color-scheme:dark){:root{--fg:#e8ebf2;--muted:#9aa3b5;--bg:#10131a;--card:#1a1f2b;--accent:#7d98ff}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1040px;margin:0 auto;padding:20px 14px 56px}h1{font-size:1.6rem;margin:.2em 0 .3em}h2{font-size:1.15rem;margin:1.6em 0 .5em}
a{color:var(--accent)}.muted{color:var(--muted)}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:0;padding:0;list-style:none}
.figures li,.run{background:var(--card);border-radius:10px;padding:10px 14px;box-shadow:0 1px 3px #0002}
.figures b{display:block;font-size:1.3rem}.runs{display:grid;gap:10px}
.run header{display:flex;flex-wrap:wrap;gap:6px 12px;align-items:baseline}.run h3{margin:0;font-size:1rem;overflow-wrap:anywhere}
.badge{font-size:.8rem;font-weight:600;padding:1px 8px;border-radius:99px;color:#fff;background:#6b7280}
.success{background:#2e9d5b}.failure{background:#d64545}.started,.starting{background:#3558e6}.queued{background:#b7791f}
.error{margin:.4em 0 0;overflow-wrap:anywhere}.chart{width:100%;max-width:600px;height:auto;border-radius:8px;display:block}
""".strip()


def _when(epoch: float | None) -> str:
    if not epoch:
        return "–"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    minutes, seconds = divmod(int(round(value)), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _run_card(run: RunFacts, site_dir: Path, ui_url: str) -> str:
    key = run.repository or "?"
    links = [f'<a href="{esc(ui_url)}/runs/{esc(run.run_id)}">run {esc(run.run_id[:8])}</a>']
    if run.repository and (site_dir / run.repository / "index.html").is_file():
        page = urllib.parse.quote(run.repository)
        links.insert(0, f'<a href="{esc(page)}/index.html">video page</a>')
    facts = [
        f"{esc(run.trigger or 'ui')}",
        f"created {esc(_when(run.created))}",
        f"took {esc(_seconds(run.duration_s))}" if run.duration_s is not None else "",
        f"waited {esc(_seconds(run.queue_wait_s))}" if run.queue_wait_s is not None else "",
    ]
    error = f'<p class="error">{esc(run.error)}</p>' if run.error else ""
    return (
        f'<article class="run" data-run="{esc(run.run_id)}"><header>'
        f'<span class="badge {esc(run.status)}">{esc(run.status)}</span>'
        f"<h3>{esc(key)}</h3></header>"
        f'<p class="muted">{" · ".join(f for f in facts if f)}</p>{error}'
        f"<p>{' · '.join(links)}</p></article>"
    )


def _queue_card(run: RunFacts, position: int, now: float) -> str:
    return (
        f'<article class="run" data-run="{esc(run.run_id)}"><header>'
        f'<span class="badge queued">#{position}</span><h3>{esc(run.repository or "?")}</h3>'
        f'</header><p class="muted">priority {run.priority} · {esc(run.trigger or "ui")} · '
        f"waiting {esc(_seconds(max(0.0, now - run.created)))}</p></article>"
    )


def _figures(summary: dict[str, Any]) -> str:
    rate = summary.get("success_rate")
    items = [
        ("finished renders", str(summary.get("runs", 0))),
        ("success rate", f"{rate:.0%}" if rate is not None else "–"),
        ("render median", _seconds(summary.get("render_median_s"))),
        ("render p95", _seconds(summary.get("render_p95_s"))),
        ("queue wait median", _seconds(summary.get("queue_wait_median_s"))),
        ("queue wait p95", _seconds(summary.get("queue_wait_p95_s"))),
    ]
    cells = "".join(f"<li><b>{esc(v)}</b>{esc(k)}</li>" for k, v in items)
    return f'<ul class="figures">{cells}</ul>'


def write_status_page(
    site_dir: Path,
    *,
    recent: Sequence[RunFacts],
    queue: Sequence[RunFacts],
    summary: dict[str, Any],
    chart_png: bytes | None,
    ui_url: str,
    now: float,
) -> Path:
    """Write ``site_dir/status.html`` (and its chart), then refresh the index's link to it."""
    site_dir = Path(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    ui_url = ui_url.rstrip("/")
    chart = ""
    if chart_png:
        _atomic_write(site_dir / CHART_FILE, chart_png)
        chart = (
            f'<img class="chart" src="{CHART_FILE}?v={int(now)}" width="600" height="300" '
            'alt="Renders per day, successes and failures">'
        )
    renders = "".join(_run_card(r, site_dir, ui_url) for r in recent)
    waiting = "".join(_queue_card(r, i, now) for i, r in enumerate(queue, 1))
    body = (
        '<p><a href="index.html">All videos</a></p><h1>Render status</h1>'
        f'<p class="muted">Updated {esc(_when(now))}</p>'
        f"{_figures(summary)}<h2>Success rate</h2>{chart or '<p>No finished renders yet.</p>'}"
        f'<h2>Queue ({len(queue)})</h2><div class="runs" id="queue">'
        f"{waiting or '<p>Nothing waiting.</p>'}</div>"
        f'<h2>Recent renders</h2><div class="runs" id="recent">'
        f"{renders or '<p>No renders yet.</p>'}</div>"
    )
    csp = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'"
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n'
        '<meta name="viewport" content="width=device-width,initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<link rel="icon" href="data:,">\n'  # no favicon request (a 404 on a static host)
        f"<title>Render status</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )
    path = site_dir / STATUS_PAGE
    _atomic_write(path, page.encode("utf-8"))
    write_site_index(site_dir)
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
