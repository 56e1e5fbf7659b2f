"""Attacks on the webhook receiver's port, each against the real ``repo2video webhook serve``.

Every case must end in a clear refusal (a one-line 4xx, or the connection closed
by the server on time) with the receiver's memory bounded, no traceback in its
log and nothing of the secret in any answer; the ``hostile inputs`` count of
``python -m repo2video_devtools.reliability`` includes them. Sizes are those of
the issue that was filed (250 MB of header lines, 30 x 24 MB bodies, a signed
24 MB body of empty objects, 400 slow connections); the head and body timeouts
are set to 5 s here so the slow-client cases take seconds, not the default 10/30 s.

Outcomes (see :mod:`.hostile`): ``error`` = refused as required, ``crash`` = a 5xx
or a traceback, ``leak`` = the secret in an answer, ``wrong`` = anything else
(accepted, not closed, too slow, too much memory).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from repo2video_dagster.receiver.webhooks import compute_signature
from repo2video_devtools.reliability.hostile import CaseResult
from repo2video_devtools.reliability.procs import Service, instance_home, service_env

SECRET = "r2v-attack-secret-6b0f"
API_TOKEN = "r2v-attack-api-token-52aa"
TIMEOUT_S = 5.0
RSS_BUDGET_MB = 50.0
HEALTH_P99_MS = 50.0
MB = 1024 * 1024


class Target:
    """The receiver process under attack: its port, pid and log."""

    def __init__(self, port: int, pid: int, log: Path) -> None:
        self.port = port
        self.pid = pid
        self.log = log

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def peak_growth(self, attack: Callable[[], Any]) -> tuple[Any, float]:
        """Run ``attack`` while sampling RSS every 5 ms; its result and the peak growth (MB)."""
        base = self.rss_mb()
        peak = [base]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    peak[0] = max(peak[0], self.rss_mb())
                time.sleep(0.005)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            result = attack()
        finally:
            stop.set()
            sampler.join()
        return result, peak[0] - base

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


# ---- HTTP helpers ---------------------------------------------------------------------


def _request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, dict[str, Any], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read().decode("utf-8", "replace")
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {"raw": raw[:200]}
        return resp.status, answer, raw
    finally:
        conn.close()


def _signed(event: str, body: bytes, secret: str = SECRET, **extra: str) -> dict[str, str]:
    return {
        "Content-Type": extra.pop("content_type", "application/json"),
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": compute_signature(secret, body),
        **extra,
    }


def _deliver(port: int, event: str, payload: dict | bytes, **extra: str) -> tuple[int, dict, str]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return _request(port, "POST", "/webhook", body, _signed(event, body, **extra))


def _star(full_name: str = "pallets/click", html_url: str | None = None) -> dict[str, Any]:
    repo: dict[str, Any] = {"full_name": full_name, "private": False, "default_branch": "main"}
    repo["html_url"] = html_url if html_url is not None else f"https://github.com/{full_name}"
    return {"action": "created", "repository": repo, "sender": {"login": "mallory"}}


def _clear_4xx(status: int, answer: dict[str, Any], raw: str) -> tuple[str, str] | None:
    """None when the answer is a one-line 4xx error that leaks nothing; else the outcome."""
    if SECRET in raw:
        return "leak", "the secret is in the answer"
    if status >= 500:
        return "crash", f"{status} {raw[:120]}"
    if not 400 <= status < 500:
        return "wrong", f"answered {status} {raw[:120]}"
    error = answer.get("error")
    if not isinstance(error, str) or "\n" in error or "Traceback" in raw:
        return "wrong", f"{status} without a one-line error: {raw[:120]}"
    return None


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=60)


def _until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    started = time.monotonic()
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            data += chunk
    return data, time.monotonic() - started


def _status_of(raw: bytes) -> int | None:
    return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.1 ") else None


# ---- connection attacks -----------------------------------------------------------------


def _flood(port: int, head: bytes, piece: bytes, total: int) -> bool:
    """True when the server cut the connection before ``total`` bytes of one head went out."""
    sock = _connect(port)
    try:
        sock.sendall(head)
        sent = 0
        while sent < total:
            try:
                sock.sendall(piece)
            except OSError:
                return True
            sent += len(piece)
        raw, _ = _until_closed(sock, 30)
        return _status_of(raw) in (400, 408, 414, 431) or raw == b""
    finally:
        sock.close()


_LINES = b"".join(b"X-A: %s\r\n" % (b"a" * 1000) for _ in range(64))
HEAD_FLOODS: dict[str, tuple[bytes, bytes]] = {
    "4 x 250 MB of header lines": (b"POST /webhook HTTP/1.1\r\nHost: r\r\n", _LINES),
    "4 x 250 MB header value": (b"POST /webhook HTTP/1.1\r\nHost: r\r\nX-A: ", b"a" * 65536),
    "4 x 250 MB query string": (b"GET /jobs?q=", b"a" * 65536),
}


def head_flood(target: Target, name: str) -> tuple[str, str]:
    head, piece = HEAD_FLOODS[name]
    with ThreadPoolExecutor(4) as pool:
        cut, growth = target.peak_growth(
            lambda: list(pool.map(lambda _: _flood(target.port, head, piece, 250 * MB), range(4)))
        )
    if not all(cut):
        return "wrong", f"{cut.count(False)} of 4 connections were not cut off"
    if growth > RSS_BUDGET_MB:
        return "wrong", f"receiver RSS grew {growth:.0f} MB"
    return "error", f"all 4 cut off at the head limit; receiver RSS +{growth:.1f} MB"


def _trickle(socks: list[socket.socket], stop: threading.Event) -> None:
    live = list(socks)
    while live and not stop.wait(1.0):
        for sock in list(live):
            try:
                sock.send(b"x")
            except OSError:
                live.remove(sock)


def slow_clients(target: Target) -> tuple[str, str]:
    """400 slow-head and 400 slow-body connections, one idle, one short body; all closed on time."""
    port = target.port
    body_head = (
        b"POST /webhook HTTP/1.1\r\nHost: r\r\nContent-Type: application/json\r\n"
        b"X-GitHub-Event: star\r\nX-GitHub-Delivery: slow-%d\r\n"
        b"X-Hub-Signature-256: sha256=" + b"0" * 64 + b"\r\nContent-Length: %d\r\n\r\n{"
    )
    heads = [_connect(port) for _ in range(400)]
    bodies = [_connect(port) for _ in range(400)]
    idle, short = _connect(port), _connect(port)
    for sock in heads:
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: r\r\nX-Slow: ")
    for i, sock in enumerate(bodies):
        sock.sendall(body_head % (i, 1000))
    short.sendall(body_head % (9999, 100) + b"x" * 50)
    stop = threading.Event()
    trickler = threading.Thread(target=_trickle, args=(heads + bodies, stop), daemon=True)
    trickler.start()
    everyone = [*heads, *bodies, idle, short]
    latencies = []
    try:
        with ThreadPoolExecutor(64) as pool:
            endings = pool.map(lambda s: _until_closed(s, TIMEOUT_S + 20), everyone)
            for _ in range(10):
                t0 = time.monotonic()
                status = _deliver(port, "star", _star())[0]
                latencies.append(time.monotonic() - t0)
                if status != 202:
                    return "wrong", f"a normal delivery got {status} during the attack"
            endings = list(endings)
    finally:
        stop.set()
        trickler.join()
        for sock in everyone:
            sock.close()
    statuses = [_status_of(raw) for raw, _ in endings]
    slowest = max(t for _, t in endings)
    if statuses[:800] != [408] * 800 or endings[800][0] != b"" or statuses[801] != 408:
        return "wrong", f"answers {sorted(set(map(str, statuses)))}"
    if slowest > TIMEOUT_S + 5:
        return "wrong", f"a slow connection stayed open {slowest:.1f} s"
    return (
        "error",
        f"800 slow + idle + short-body connections closed within {slowest:.1f} s (408 / silent); "
        f"normal deliveries meanwhile answered in <= {max(latencies) * 1000:.0f} ms",
    )


def keep_alive(target: Target) -> tuple[str, str]:
    sock = _connect(target.port)
    try:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: r\r\n\r\n")
        data = b""
        while b"}" not in data:
            data += sock.recv(65536)
        _, waited = _until_closed(sock, 30)
    finally:
        sock.close()
    if waited > 5 + 2:
        return "wrong", f"idle keep-alive connection open for {waited:.1f} s"
    return "error", f"idle keep-alive connection closed after {waited:.1f} s"


# ---- bodies ------------------------------------------------------------------------------


def unsigned_bodies(target: Target) -> tuple[str, str]:
    body = b'{"pad": "' + b"p" * (24 * MB) + b'"}'

    def one(_: int) -> int:
        headers = _signed("star", body, secret="not-the-secret")
        return _request(target.port, "POST", "/webhook", body, headers)[0]

    with ThreadPoolExecutor(30) as pool:
        statuses, growth = target.peak_growth(lambda: list(pool.map(one, range(30))))
    # 503: the temporary files of bodies in flight reached REPO2VIDEO_WEBHOOK_SPOOL_BYTES.
    if set(statuses) - {401, 503}:
        return "wrong", f"statuses {sorted(set(statuses))}"
    if growth > RSS_BUDGET_MB:
        return "wrong", f"receiver RSS grew {growth:.0f} MB"
    return (
        "error",
        f"30 concurrent unsigned 24 MB bodies: {statuses.count(401)} x 401, "
        f"{statuses.count(503)} x 503; receiver RSS +{growth:.1f} MB",
    )


def signed_huge_structure(target: Target) -> tuple[str, str]:
    """A signed 24 MB body of empty objects: decoded in a child while /health stays fast."""
    payload = json.dumps(_star()).encode()[:-1]
    body = payload + b', "a": [' + b"{}," * (8 * MB - 1) + b"{}]}"
    stop = threading.Event()
    probes: list[float] = []

    def probe() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            _request(target.port, "GET", "/health")
            probes.append(time.perf_counter() - t0)
            time.sleep(0.01)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    try:
        (status, answer, raw), growth = target.peak_growth(
            lambda: _deliver(target.port, "star", body)
        )
    finally:
        stop.set()
        prober.join()
    ordered = sorted(probes)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000 if ordered else 0.0
    if status >= 500:
        return "crash", f"{status} {raw[:120]}"
    if status not in (202, 400, 413):
        return "wrong", f"answered {status}"
    if p99 > HEALTH_P99_MS or growth > RSS_BUDGET_MB:
        return "wrong", f"/health p99 {p99:.0f} ms, receiver RSS +{growth:.0f} MB"
    return (
        "error",
        f"answered {status}; /health p99 {p99:.1f} ms over {len(probes)} probes meanwhile; "
        f"receiver RSS +{growth:.1f} MB (decoded in a child process)",
    )


def _long_int() -> str:
    return "7" * 5000


def _deep(levels: int) -> bytes:
    return b'{"a":' + b"[" * levels + b"]" * levels + b"}"


MALFORMED: dict[str, tuple[str, bytes, str]] = {
    "JSON nested 100,000 levels": ("star", _deep(100_000), "application/json"),
    "JSON nested 1,000 levels": ("star", _deep(1000), "application/json"),
    "integer of 5,000 digits": (
        "star",
        b'{"zen": ' + _long_int().encode() + b"}",
        "application/json",
    ),
    "integer of 5,000 digits in form payload=": (
        "ping",
        urlencode({"payload": '{"zen": ' + _long_int() + "}"}).encode(),
        "application/x-www-form-urlencoded",
    ),
    '"repository": [1] in a push': (
        "push",
        json.dumps({"ref": "refs/heads/main", "repository": [1]}).encode(),
        "application/json",
    ),
}


def malformed(target: Target, name: str) -> tuple[str, str]:
    event, body, ctype = MALFORMED[name]
    status, answer, raw = _deliver(target.port, event, body, content_type=ctype)
    if problem := _clear_4xx(status, answer, raw):
        return problem
    return "error", f"{status}: {answer['error']}"


def _cursor(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CURSORS = {
    "list as event id": _cursor({"p": "a", "k": [1]}),
    "event id beyond BIGINT": _cursor({"p": "a", "k": 10**30}),
    "object as run id": _cursor({"p": "r", "k": {"x": 1}}),
    "nested 5,000 levels": _cursor(b"[" * 5000 + b"]" * 5000),
}


def crafted_cursors(target: Target) -> tuple[str, str]:
    for name, cursor in CURSORS.items():
        status, answer, raw = _request(target.port, "GET", f"/jobs?cursor={quote(cursor)}")
        if problem := _clear_4xx(status, answer, raw):
            return problem[0], f"{name}: {problem[1]}"
    return "error", f"{len(CURSORS)} crafted cursors: 400 invalid cursor"


def disconnect_mid_body(target: Target) -> tuple[str, str]:
    before = len(target.log_text())
    body = json.dumps(_star()).encode()
    headers = _signed("star", body)
    delivery = headers["X-GitHub-Delivery"]
    head = "POST /webhook HTTP/1.1\r\nHost: r\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    sock = _connect(target.port)
    sock.sendall(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:20])
    time.sleep(0.2)
    sock.close()
    deadline = time.monotonic() + 10
    while delivery not in target.log_text()[before:] and time.monotonic() < deadline:
        time.sleep(0.05)
    new = target.log_text()[before:]
    lines = [line for line in new.splitlines() if delivery in line]
    if "Traceback" in new:
        return "crash", "a traceback in the receiver's log"
    if len(lines) != 1 or not lines[0].startswith("INFO"):
        return "wrong", f"logged {lines}"
    return "error", lines[0][:160]


def _concurrent(port: int, jobs: list[tuple[str, dict]]) -> list[int]:
    barrier = threading.Barrier(len(jobs))

    def one(job: tuple[str, dict]) -> int:
        event, payload = job
        body = json.dumps(payload).encode()
        headers = _signed(event, body)
        barrier.wait()
        return _request(port, "POST", "/webhook", body, headers)[0]

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(one, jobs))


def hostile_rows(target: Target) -> tuple[str, str]:
    """A lone-surrogate star and a 301-character tag among 54 good concurrent deliveries."""
    release = _star()
    release.update(action="published", release={"tag_name": "v" * 301})
    push = _star()
    push["repository"]["default_branch"] = "b\ud800"
    push.update(ref="refs/heads/b\ud800", after="a" * 40)
    hostile = [("star", _star("pallets/\ud800")), ("release", release), ("push", push)]
    statuses = _concurrent(target.port, [("star", _star())] * 54 + hostile)
    good, bad = statuses[:54], statuses[54:]
    if any(s >= 500 for s in bad):
        return "crash", f"hostile deliveries answered {bad}"
    if good != [202] * 54:
        return "wrong", f"good deliveries answered {sorted(set(good))}"
    return "error", f"54 good deliveries 202 alongside hostile ones answered {bad}"


def api_exposure(target: Target) -> tuple[str, str]:
    """/jobs without the token, Host header links, X-Forwarded-For in the log."""
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    for headers in ({}, forwarded, {"Authorization": "Bearer wrong"}):
        status, answer, raw = _request(target.port, "GET", "/jobs", headers=headers)
        if status != 401:
            return "wrong", f"/jobs with {headers} answered {status}"
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    if _request(target.port, "GET", "/jobs", headers=bearer)[0] != 200:
        return "wrong", "/jobs with the token refused"
    status, answer, raw = _deliver(target.port, "star", _star(), Host="evil.example")
    if status != 202 or "evil" in answer.get("status_url", ""):
        return "wrong", f"status_url {answer.get('status_url')}"
    health = _request(target.port, "GET", "/health", headers=forwarded)
    if health[:2] != (200, {"status": "ok"}):
        return "wrong", f"/health to a stranger: {health[2][:120]}"
    if "203.0.113.9" in target.log_text():
        return "wrong", "X-Forwarded-For from an untrusted peer reached the log"
    return "error", "401 for /jobs without the token; status_url from the socket; liveness /health"


def repository_lies(target: Target) -> tuple[str, str]:
    status, answer, _ = _deliver(
        target.port, "star", _star("torvalds/linux", "https://github.com/pallets/click")
    )
    if (status, answer.get("status")) != (200, "ignored"):
        return "wrong", f"full_name/html_url mismatch answered {status} {answer}"
    body = json.dumps(_star("pallets/flask")).encode()
    headers = _signed("star", body)
    first = _request(target.port, "POST", "/webhook", body, headers)[1]
    other = json.dumps(_star("psf/requests")).encode()
    again_headers = {**_signed("star", other), "X-GitHub-Delivery": headers["X-GitHub-Delivery"]}
    replay = _request(target.port, "POST", "/webhook", other, again_headers)[1]
    if replay.get("status") != "duplicate" or replay.get("repo") != first.get("repo"):
        return "wrong", f"replay with another body answered {replay}"
    reasons = {
        _deliver(target.port, "star", _star("o/x", url))[1].get("reason")
        for url in ("repo2video_dagster", "no_such_dir_4b1e/x", "/etc")
    }
    if len(reasons) != 1:
        return "wrong", f"reasons differ by path: {reasons}"
    return "error", "mismatch ignored; replay answered with the stored delivery; one reason"


# ---- running -------------------------------------------------------------------------------


def _case(name: str, body: Callable[[], tuple[str, str]]) -> CaseResult:
    started = time.monotonic()
    try:
        outcome, detail = body()
    except Exception as exc:  # the harness or the receiver broke: a crash, with the reason
        outcome, detail = "crash", f"{type(exc).__name__}: {exc}"
    return CaseResult(
        f"receiver: {name}", "error", outcome, detail[:300], round(time.monotonic() - started, 2)
    )


def _cases(target: Target) -> list[tuple[str, Callable[[], tuple[str, str]]]]:
    cases: list[tuple[str, Callable[[], tuple[str, str]]]] = []
    for name in HEAD_FLOODS:
        cases.append((name, lambda n=name: head_flood(target, n)))
    cases += [
        ("800 slow connections, idle, short body", lambda: slow_clients(target)),
        ("idle keep-alive connection", lambda: keep_alive(target)),
        ("30 x 24 MB unsigned bodies", lambda: unsigned_bodies(target)),
        ("signed 24 MB of {} objects", lambda: signed_huge_structure(target)),
    ]
    for name in MALFORMED:
        cases.append((name, lambda n=name: malformed(target, n)))
    cases += [
        ("crafted /jobs cursors", lambda: crafted_cursors(target)),
        ("client gone mid-body", lambda: disconnect_mid_body(target)),
        ("surrogate and 301-char tag among 54", lambda: hostile_rows(target)),
        ("job API exposure and forwarded headers", lambda: api_exposure(target)),
        ("repository lies and replays", lambda: repository_lies(target)),
    ]
    return cases


def run_all(work: Path) -> list[CaseResult]:
    """Start a receiver on a temp instance and run every attack against it."""
    work.mkdir(parents=True, exist_ok=True)
    home = instance_home(work / "home")
    env = service_env(
        home,
        work / "var",
        REPO2VIDEO_WEBHOOK_SECRET=SECRET,
        # With a token, /health without it is liveness only: the probe measures the event
        # loop, not storage reads.
        REPO2VIDEO_API_TOKEN=API_TOKEN,
        REPO2VIDEO_WEBHOOK_HEADER_TIMEOUT_S=str(TIMEOUT_S),
        REPO2VIDEO_WEBHOOK_BODY_TIMEOUT_S=str(TIMEOUT_S),
    )
    env.pop("REPO2VIDEO_EVENTS_URL", None)
    service = Service(work / "logs")
    try:
        proc, port = service.receiver(env)
        target = Target(port, proc.pid, work / "logs" / "receiver.log")
        results = [_case(name, body) for name, body in _cases(target)]
        if "Traceback" in target.log_text():
            results.append(
                CaseResult("receiver: log", "error", "crash", "a traceback in the log", 0.0)
            )
    finally:
        service.stop()
    return results
