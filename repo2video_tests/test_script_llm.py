"""The LLM writer against a real OpenAI-compatible HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from repo2video_dagster.lib.core.errors import ScriptError
from repo2video_dagster.lib.script.llm import LlmWriter, extract_json_object
from repo2video_tests import profiles
from repo2video_tests.profiles import llm_script

API_KEY = "sk-test-SECRET-1234567890"


@dataclass
class Reply:
    status: int = 200
    content: str | None = None
    """The assistant message; wrapped in a chat-completions envelope."""
    raw: bytes | None = None
    """Exact body instead of an envelope."""
    delay_s: float = 0.0


@dataclass
class FakeLlm:
    """Serves queued replies (the last one repeats) and records every request."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def _handler(fake: FakeLlm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            reply = fake.next_reply()
            if reply.delay_s:
                time.sleep(reply.delay_s)  # the point: a slow LLM server (timeouts)
            if reply.raw is not None:
                data = reply.raw
            else:
                data = json.dumps(
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "model": body.get("model"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply.content},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                ).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

    return Handler


@pytest.fixture
def fake_llm() -> Iterator[FakeLlm]:
    fake = FakeLlm()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield fake
    server.shutdown()
    server.server_close()


def _valid_content() -> str:
    return json.dumps(llm_script(7))


def test_valid_script_wrapped_in_fences_and_chatter(fake_llm: FakeLlm) -> None:
    content = f"Sure! Here is your script:\n```json\n{_valid_content()}\n```\nEnjoy."
    fake_llm.replies = [Reply(content=content)]
    writer = LlmWriter(fake_llm.url + "/", "qwen2.5-7b", api_key=API_KEY, timeout_s=5)
    script = writer.write(profiles.python_cli())
    assert script.writer == "llm:qwen2.5-7b"
    assert len(script.scenes) == 7
    assert script.scenes[3].visual.data["code"] == profiles.python_cli().usage.code
    # The request the server received.
    (request,) = fake_llm.requests
    assert request["path"] == "/v1/chat/completions"  # trailing slash tolerated
    assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    body = request["body"]
    assert body["model"] == "qwen2.5-7b"
    assert body["temperature"] == 0.4
    assert body["response_format"] == {"type": "json_object"}
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user"]
    user = body["messages"][1]["content"]
    assert "acme/csv-wrangler" in user and "csv-wrangler" in user
    assert '"narration"' in user and '"scenes"' in user  # the expected shape
    assert API_KEY not in json.dumps(body["messages"])


def test_no_key_no_authorization_header(fake_llm: FakeLlm) -> None:
    fake_llm.replies = [Reply(content=_valid_content())]
    LlmWriter(fake_llm.url, "m", timeout_s=5).write(profiles.go_service())
    assert "Authorization" not in fake_llm.requests[0]["headers"]
    assert "fin/ledgerd" in fake_llm.requests[0]["body"]["messages"][1]["content"]


def test_narration_from_the_model_is_cleaned(fake_llm: FakeLlm) -> None:
    obj = llm_script(7)
    obj["scenes"][0]["narration"] = "# Meet **csv-wrangler** 🚀\nSee https://github.com/acme/x."
    obj["scenes"][0]["narration"] += " " + obj["scenes"][1]["narration"]
    fake_llm.replies = [Reply(content=json.dumps(obj))]
    script = LlmWriter(fake_llm.url, "m", timeout_s=5).write(profiles.python_cli())
    assert script.scenes[0].narration.startswith("Meet csv-wrangler. See GitHub.")


def test_malformed_json_is_retried_once_then_reported(fake_llm: FakeLlm) -> None:
    fake_llm.replies = [Reply(content="I cannot do that {not json")]
    writer = LlmWriter(fake_llm.url, "m", api_key=API_KEY, timeout_s=5, max_attempts=2)
    with pytest.raises(ScriptError) as info:
        writer.write(profiles.python_cli())
    assert len(fake_llm.requests) == 2
    assert str(info.value).startswith("LLM script invalid: the answer is not valid JSON")
    assert API_KEY not in str(info.value)


def test_retry_recovers_from_one_bad_answer(fake_llm: FakeLlm) -> None:
    fake_llm.replies = [Reply(content="nope"), Reply(content=_valid_content())]
    script = LlmWriter(fake_llm.url, "m", timeout_s=5).write(profiles.python_cli())
    assert len(fake_llm.requests) == 2 and len(script.scenes) == 7


def test_schema_violation_names_the_problem(fake_llm: FakeLlm) -> None:
    fake_llm.replies = [
        Reply(content=json.dumps(llm_script(7) | {"scenes": llm_script(7)["scenes"][:3]}))
    ]
    with pytest.raises(ScriptError) as info:
        LlmWriter(fake_llm.url, "m", timeout_s=5, max_attempts=1).write(profiles.python_cli())
    assert "LLM script invalid: it has 3 scenes (need 6 to 9)" in str(info.value)
    assert len(fake_llm.requests) == 1


def test_http_500_reports_status_and_short_body(fake_llm: FakeLlm) -> None:
    body = ("model exploded " + API_KEY + " ") * 100
    fake_llm.replies = [Reply(status=500, raw=body.encode())]
    writer = LlmWriter(fake_llm.url, "m", api_key=API_KEY, timeout_s=5, max_attempts=2)
    with pytest.raises(ScriptError) as info:
        writer.write(profiles.python_cli())
    text = str(info.value)
    assert "answered HTTP 500" in text and "model exploded" in text
    assert API_KEY not in text
    assert len(text) < 400 and "\n" not in text
    assert len(fake_llm.requests) == 2  # 5xx is retried


def test_http_401_is_not_retried(fake_llm: FakeLlm) -> None:
    fake_llm.replies = [Reply(status=401, raw=b'{"error": "bad key"}')]
    writer = LlmWriter(fake_llm.url, "m", api_key=API_KEY, timeout_s=5)
    with pytest.raises(ScriptError, match="HTTP 401.*check the API key"):
        writer.write(profiles.python_cli())
    assert len(fake_llm.requests) == 1


def test_slow_answer_times_out_with_advice(fake_llm: FakeLlm) -> None:
    fake_llm.replies = [Reply(content=_valid_content(), delay_s=1.5)]
    writer = LlmWriter(fake_llm.url, "m", api_key=API_KEY, timeout_s=0.5, max_attempts=2)
    started = time.monotonic()
    with pytest.raises(ScriptError) as info:
        writer.write(profiles.python_cli())
    elapsed = time.monotonic() - started
    assert str(info.value) == (
        f"LLM endpoint {fake_llm.url} did not answer within 0.5 s; "
        "raise REPO2VIDEO_LLM_TIMEOUT_S or use the template writer"
    )
    assert len(fake_llm.requests) == 2
    assert elapsed < 3.0


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the request: nothing listens
    writer = LlmWriter(f"http://127.0.0.1:{port}/v1", "m", api_key=API_KEY, timeout_s=2)
    with pytest.raises(ScriptError) as info:
        writer.write(profiles.python_cli())
    assert "refused the connection" in str(info.value)
    assert API_KEY not in str(info.value)


def test_non_json_envelope(fake_llm: FakeLlm) -> None:
    fake_llm.replies = [Reply(raw=b"<html>gateway</html>")]
    with pytest.raises(ScriptError, match="not JSON: '<html>gateway</html>'"):
        LlmWriter(fake_llm.url, "m", timeout_s=5, max_attempts=1).write(profiles.python_cli())


def test_error_envelope_is_reported(fake_llm: FakeLlm) -> None:
    fake_llm.replies = [Reply(raw=json.dumps({"error": {"message": "model not found"}}).encode())]
    with pytest.raises(ScriptError, match="returned an error: model not found"):
        LlmWriter(fake_llm.url, "m", timeout_s=5).write(profiles.python_cli())


def test_credentials_in_the_url_are_not_shown() -> None:
    writer = LlmWriter("http://user:pw-secret@127.0.0.1:9/v1", "m", timeout_s=1)
    with pytest.raises(ScriptError) as info:
        writer.write(profiles.python_cli())
    assert "pw-secret" not in str(info.value) and "pw-secret" not in repr(writer)


def test_bad_configuration() -> None:
    with pytest.raises(ScriptError, match="not an http"):
        LlmWriter("ftp://x", "m")
    with pytest.raises(ScriptError, match="no LLM model"):
        LlmWriter("http://127.0.0.1:1/v1", "")


def test_extract_json_object() -> None:
    assert extract_json_object('{"a": 1}') == {"a": 1}
    assert extract_json_object('```json\n{"a": {"b": 2}}\n```') == {"a": {"b": 2}}
    assert extract_json_object('Here you go: {"a": [1, {"c": 3}]} hope it helps {"x": 1}') == {
        "a": [1, {"c": 3}]
    }
    with pytest.raises(ValueError, match="no JSON object"):
        extract_json_object("no braces at all")
