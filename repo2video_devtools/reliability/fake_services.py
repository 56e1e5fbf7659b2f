"""Real HTTP servers on 127.0.0.1 that answer like the services the product calls.

:class:`FakeLlm` speaks the OpenAI chat-completions shape, :class:`FakeGitHub` the
``GET /repos/{owner}/{name}`` shape. Both serve a queue of :class:`Reply` objects
(the last one repeats) and record every request, so a test can script "503 twice,
then a valid answer" and check what the product sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    content: str | None = None
    """The assistant message (LLM); wrapped in a chat-completions envelope."""
    raw: bytes | None = None
    """Exact body instead of an envelope."""
    delay_s: float = 0.0


@dataclass
class FakeService:
    """Serves queued replies (the last one repeats) and records every request."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def next_reply(self) -> Reply:
        with self._lock:
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def body_for(self, reply: Reply, request: Any) -> bytes:
        return reply.raw if reply.raw is not None else b""

    @property
    def statuses(self) -> list[int]:
        """The status answered to each request so far."""
        return [r["status"] for r in self.requests]


@dataclass
class FakeLlm(FakeService):
    """An OpenAI-compatible ``POST /v1/chat/completions``."""

    def body_for(self, reply: Reply, request: Any) -> bytes:
        if reply.raw is not None:
            return reply.raw
        model = request.get("model") if isinstance(request, dict) else None
        return json.dumps(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content},
                        "finish_reason": "stop",
                    }
                ],
            }
        ).encode()


@dataclass
class FakeGitHub(FakeService):
    """``GET /repos/{owner}/{name}``: every reply's ``raw`` is the JSON body."""


GITHUB_REPO: dict[str, Any] = {
    "full_name": "octo/tally",
    "description": "Count words fast",
    "homepage": "https://tally.example.org",
    "stargazers_count": 1234,
    "forks_count": 56,
    "topics": ["cli", "text"],
    "license": {"key": "mit", "spdx_id": "MIT"},
    "default_branch": "main",
}


def github_reply(status: int = 200, body: Any = None) -> Reply:
    """A GitHub answer: ``GITHUB_REPO`` for 200, else ``{"message": ...}``."""
    if body is None:
        body = GITHUB_REPO if status == 200 else {"message": f"injected {status}"}
    return Reply(status=status, raw=json.dumps(body).encode())


SENTENCE = "This scene explains one real fact about the project in plain words"  # 12 words


def llm_script(n_scenes: int = 7) -> dict[str, Any]:
    """What a well-behaved LLM answers (kinds only, no slide data: the product fills it from
    the profile, so it suits any repository, ``repo2video_tests.profiles.python_cli`` first)."""
    kinds = ["title", "overview", "command", "code", "tree", "languages", "stats", "outro"]
    ids = ["hook", "what", "install", "usage", "architecture", "languages", "activity", "outro"]
    scenes = []
    for i in range(n_scenes):
        j = min(i, len(ids) - 1) if i < n_scenes - 1 else len(ids) - 1
        scenes.append(
            {
                "id": ids[j] if i < n_scenes - 1 else "outro",
                "title": f"Chapter {i + 1}",
                "narration": f"{SENTENCE}. It is scene {i + 1}.",
                "visual": {"kind": kinds[j], "heading": f"Heading {i + 1}"},
            }
        )
    return {
        "title": "csv-wrangler in 60 seconds",
        "description": "A tour.",
        "tags": ["Python", "CSV", "python"],
        "scenes": scenes,
    }


def _handler(fake: FakeService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._answer(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            self._answer(json.loads(self.rfile.read(length)))

        def _answer(self, body: Any) -> None:
            reply = fake.next_reply()
            fake.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": body,
                    "status": reply.status,
                }
            )
            if reply.delay_s:
                time.sleep(reply.delay_s)
            data = fake.body_for(reply, body)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

    return Handler


@contextlib.contextmanager
def serve(fake: FakeService, path: str = "") -> Iterator[FakeService]:
    """Serve ``fake`` on an ephemeral loopback port; ``fake.url`` is its base URL + ``path``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def serve_llm(replies: list[Reply] | None = None) -> Iterator[FakeLlm]:
    """A :class:`FakeLlm`; its ``url`` is the base URL the writer takes (``.../v1``)."""
    with serve(FakeLlm(replies=list(replies or [])), "/v1") as fake:
        assert isinstance(fake, FakeLlm)
        yield fake


@contextlib.contextmanager
def serve_github(replies: list[Reply] | None = None) -> Iterator[FakeGitHub]:
    """A :class:`FakeGitHub`; its ``url`` is the API base URL."""
    with serve(FakeGitHub(replies=list(replies or [])), "") as fake:
        assert isinstance(fake, FakeGitHub)
        yield fake
