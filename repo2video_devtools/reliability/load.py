"""Webhook load generator: signed, mixed GitHub deliveries at a fixed rate, as its own process.

    python -m repo2video_devtools.reliability.load --port 8787 --rate 200 --seconds 60 \\
        --out results.jsonl [--seed 1] [--replay indices.json]

The secret comes from ``REPO2VIDEO_WEBHOOK_SECRET`` (never from the command line,
where ``ps`` would show it). Deliveries are open-loop: delivery ``i`` is due at
``start + i / rate`` whatever happened to the earlier ones, as GitHub's are, and
each uses a new connection. Every delivery is a pure function of ``(seed, i)``, so
a redelivery (``--replay``) sends exactly the same id and body again. One JSON line
per delivery goes to ``--out``; a summary goes to stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repo2video_dagster.receiver.webhooks import compute_signature

SECRET_ENV = "REPO2VIDEO_WEBHOOK_SECRET"
OWNER = "loadtest"
REPOS = 50
# (kind, weight, what the receiver does with it)
EVENT_MIX: list[tuple[str, int, str]] = [
    ("star", 36, "accept"),
    ("push", 20, "accept"),
    ("push_tag", 8, "ignore"),
    ("watch", 10, "accept"),
    ("release", 6, "accept"),
    ("repository_dispatch", 6, "accept"),
    ("ping", 4, "pong"),
    ("issues", 6, "ignore"),
    ("star_deleted", 4, "ignore"),
]


@dataclass(frozen=True)
class Delivery:
    index: int
    delivery_id: str
    event: str
    """The ``X-GitHub-Event`` header."""
    body: bytes
    expect: str
    """``accept`` (recorded, 202), ``ignore`` or ``pong`` (200)."""


def _repository(rng: random.Random) -> dict[str, Any]:
    name = f"repo-{rng.randrange(REPOS):03d}"
    return {
        "id": 1000 + rng.randrange(10**6),
        "name": name,
        "full_name": f"{OWNER}/{name}",
        "private": False,
        "html_url": f"https://github.com/{OWNER}/{name}",
        "clone_url": f"https://github.com/{OWNER}/{name}.git",
        "default_branch": "main",
        "owner": {"login": OWNER},
    }


def make_delivery(seed: int, index: int) -> Delivery:
    """Delivery ``index`` of run ``seed``: deterministic id, event and signed-ready body."""
    rng = random.Random(seed * 1_000_003 + index)
    delivery_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    kind, _weight, expect = rng.choices(EVENT_MIX, weights=[w for _k, w, _e in EVENT_MIX])[0]
    repo = _repository(rng)
    sender = {"login": f"user{rng.randrange(1000)}"}
    sha = f"{rng.getrandbits(160):040x}"
    event = {"push_tag": "push", "star_deleted": "star"}.get(kind, kind)
    payload: dict[str, Any] = {"repository": repo, "sender": sender}
    if kind == "star":
        payload.update(action="created", starred_at="2024-03-01T10:00:00Z")
    elif kind == "star_deleted":
        payload.update(action="deleted", starred_at=None)
    elif kind == "watch":
        payload.update(action="started")
    elif kind in ("push", "push_tag"):
        ref = "refs/heads/main" if kind == "push" else "refs/tags/v1.0"
        payload.update(
            ref=ref,
            before="0" * 39 + "1",
            after=sha,
            deleted=False,
            head_commit={"id": sha, "message": "Update README\n\nMore text."},
            commits=[{"id": sha, "message": "Update README"}],
        )
    elif kind == "release":
        payload.update(action="published", release={"tag_name": "v1.0", "target_commitish": "main"})
    elif kind == "repository_dispatch":
        payload.update(action="render", branch="main", client_payload={"sha": sha})
    elif kind == "ping":
        payload.update(zen="Keep it logically awesome.", hook_id=1)
    elif kind == "issues":
        payload.update(action="opened", issue={"number": 1, "title": "It breaks"})
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Delivery(index, delivery_id, event, body, expect)


def send(port: int, delivery: Delivery, secret: str, timeout: float) -> dict[str, Any]:
    """POST one delivery on a new connection; the outcome as one JSON-able record."""
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": delivery.event,
        "X-GitHub-Delivery": delivery.delivery_id,
        "X-Hub-Signature-256": compute_signature(secret, delivery.body),
        "User-Agent": "GitHub-Hookshot/r2v-load",
        "Connection": "close",
    }
    record: dict[str, Any] = {
        "i": delivery.index,
        "id": delivery.delivery_id,
        "event": delivery.event,
        "expect": delivery.expect,
        "status": None,
        "answer": None,
        "error": None,
    }
    started = time.perf_counter()
    record["sent_at"] = time.time()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/webhook", body=delivery.body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        record["status"] = resp.status
        try:
            record["answer"] = json.loads(raw).get("status") or json.loads(raw).get("error")
        except (ValueError, AttributeError):
            record["answer"] = raw[:100].decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        record["error"] = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        conn.close()
    record["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return record


def run_load(
    port: int,
    secret: str,
    indices: list[int],
    *,
    rate: float,
    seed: int,
    out: Path,
    workers: int = 64,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Send ``indices`` open-loop at ``rate`` per second; write records; return the summary."""
    deliveries = [make_delivery(seed, i) for i in indices]
    start = time.monotonic() + 0.2
    lock = threading.Lock()
    lags: list[float] = []

    with open(out, "w", encoding="utf-8") as fh:

        def one(pos: int) -> dict[str, Any]:
            due = start + pos / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # the point: open-loop pacing at `rate`
            lag = time.monotonic() - due
            record = send(port, deliveries[pos], secret, timeout)
            record["lag_ms"] = round(lag * 1000, 2)
            with lock:
                lags.append(lag)
                fh.write(json.dumps(record) + "\n")
            return record

        with ThreadPoolExecutor(workers) as pool:
            records = list(pool.map(one, range(len(deliveries))))
    return summarize(records, time.monotonic() - start)


def summarize(records: list[dict[str, Any]], elapsed_s: float) -> dict[str, Any]:
    latencies = sorted(r["ms"] for r in records if r["status"] is not None)
    statuses = Counter(str(r["status"]) for r in records)

    def pct(p: float) -> float | None:
        if not latencies:
            return None
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))]

    return {
        "sent": len(records),
        "answered": len(latencies),
        "no_answer": sum(1 for r in records if r["status"] is None),
        "statuses": dict(statuses),
        "seconds": round(elapsed_s, 2),
        "rate": round(len(records) / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] if latencies else None,
        "max_lag_ms": max((r.get("lag_ms", 0) for r in records), default=0),
    }


def read_records(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--replay", type=Path, help="JSON list of delivery indices to send again")
    parser.add_argument("--workers", type=int, default=64)
    args = parser.parse_args(argv)
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        print(f"error: set {SECRET_ENV}", file=sys.stderr)
        return 2
    if args.replay:
        indices = [int(i) for i in json.loads(args.replay.read_text(encoding="utf-8"))]
    else:
        indices = list(range(int(args.rate * args.seconds)))
    summary = run_load(
        args.port,
        secret,
        indices,
        rate=args.rate,
        seed=args.seed,
        out=args.out,
        workers=args.workers,
    )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
