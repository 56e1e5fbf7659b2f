"""Script writer backed by any OpenAI-compatible chat endpoint.

Works with a local llama.cpp / vLLM / Ollama server or a hosted API, through
``urllib`` only, so there is no SDK to install or pin. The model only chooses
words, layouts and headings: every slide's data is filled from the profile by
:func:`~repo2video_dagster.lib.script.slide_data.fill_visual`, and the answer goes
through the same validation as the template writer's script.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from repo2video_dagster.lib.core.errors import ScriptError, ScriptServiceError
from repo2video_dagster.lib.core.records import RepoProfile, VideoScript
from repo2video_dagster.lib.script.schema import (
    MAX_NARRATION_CHARS,
    MAX_SCENES,
    MIN_SCENES,
    validate_script,
)
from repo2video_dagster.lib.script.slide_data import ALLOWED_KINDS

logger = logging.getLogger(__name__)

__all__ = [
    "LlmWriter",
    "build_messages",
    "extract_json_object",
    "language_rule",
    "profile_facts",
]

_BODY_SNIPPET = 200
_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_SCENE_IDS = "hook, problem, what, architecture, install, usage, activity, outro"

SYSTEM_PROMPT = f"""You write scripts for one-minute narrated explainer videos about source code repositories.
Answer with ONE JSON object and nothing else.
Rules:
- {MIN_SCENES} to {MAX_SCENES} scenes, in this order where the facts allow: {_SCENE_IDS}. Ids are unique lowercase words.
- Tell a story: a hook (the project's own one-line pitch), the problem it solves in the README's own words (problem, features), what it does, how it works (main modules and how they fit), how to use it (the real install command and usage example), signs of life (commits, contributors, dates, stars), and a call to action (the install command and where the repository lives).
- Vary sentence openings and rhythm; never end on an empty verdict such as "That was X, a mid-sized project".
- Each scene: 1 to 3 short spoken sentences (at most {MAX_NARRATION_CHARS} characters). About 150 words in total (never fewer than 70 or more than 230).
- Narration is read aloud by a text-to-speech voice and shown as captions: plain sentences only. No markdown, no code, no URLs, no emoji, no symbols; say file and package names as words.
- Use ONLY the facts given. Never invent features, numbers, users, benchmarks or opinions that the facts do not support.
- visual.kind is one of: {", ".join(ALLOWED_KINDS)}. The slide contents (code, file tree, numbers) are filled in from the facts automatically; you only choose the kind and a short heading (at most 6 words).
- Use kind "title" for the first scene and "outro" for the last.
- title: at most 80 characters. description: 2 or 3 plain sentences. tags: up to 10 lowercase keywords."""

RESPONSE_SHAPE: dict[str, Any] = {
    "title": "string",
    "description": "string",
    "tags": ["string"],
    "scenes": [
        {
            "id": "hook",
            "title": "chapter title",
            "narration": "spoken text",
            "visual": {"kind": "title", "heading": "short heading"},
        }
    ],
}


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def profile_facts(profile: RepoProfile) -> dict[str, Any]:
    """The facts an LLM may use: measured values only, no paths outside the repo."""
    history = profile.history
    deps = {path: names[:15] for path, names in list(profile.dependencies.items())[:5]}
    facts: dict[str, Any] = {
        "name": profile.name,
        "full_name": profile.full_name,
        "description": _truncate(profile.description, 500),
        "readme_excerpt": _truncate(profile.readme_excerpt, 1500),
        "problem": _truncate(profile.problem, 400),
        "features": profile.features[:5],
        "languages": [
            {"name": lang.name, "percent": round(lang.share * 100, 1), "lines": lang.lines}
            for lang in profile.languages[:6]
        ],
        "total_files": profile.total_files,
        "total_lines": profile.total_lines,
        "license": profile.license,
        "top_level": profile.top_level[:25],
        "main_modules": profile.modules[:8],
        "key_files": profile.key_files[:12],
        "entry_points": profile.entry_points[:5],
        "dependencies": deps,
        "install_commands": profile.install_commands[:4],
        "history": {
            "commits": history.commits,
            "commits_is_lower_bound": history.truncated,
            "contributors": history.people,
            "first_commit": history.first_commit,
            "last_commit": history.last_commit,
            "recent_commit_subjects": history.recent_subjects[:5],
        },
        "stars": profile.stars,
        "forks": profile.forks,
        "topics": profile.topics[:10],
        "homepage": profile.homepage,
    }
    if profile.usage:
        facts["usage_example"] = {
            "source": profile.usage.source,
            "code": _truncate(profile.usage.code, 1200),
        }
    if profile.code_sample:
        facts["code_excerpt"] = {
            "source": profile.code_sample.source,
            "code": _truncate(profile.code_sample.code, 1200),
        }
    return facts


def language_rule(language: str, english_name: str, scene_ids: list[str]) -> str:
    """The instruction for a script in another language: written in it (not translated
    word for word) with the default script's scenes, so the slides stay shared."""
    return (
        f"Write the title, description, scene titles and narration in {english_name} "
        f"(language code {language}), as a native speaker would say them: that language's "
        "numbers, dates, plurals and way of reading lists; do not translate word for word. "
        f"Use exactly these scene ids, in this order: {', '.join(scene_ids)}.\n\n"
    )


def build_messages(profile: RepoProfile, *, language_note: str = "") -> list[dict[str, str]]:
    """System rules plus the repository facts and the exact JSON shape expected
    (``language_note``: :func:`language_rule` for a script in another language)."""
    user = (
        f"Write the video script for the repository {profile.full_name}.\n\n"
        f"{language_note}"
        "Repository facts (JSON):\n"
        f"{json.dumps(profile_facts(profile), ensure_ascii=False, indent=1)}\n\n"
        "Answer with a JSON object of exactly this shape:\n"
        f"{json.dumps(RESPONSE_SHAPE, indent=1)}"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def extract_json_object(content: str) -> Any:
    """Parse a model's answer: tolerate ```json fences and chatter around one object."""
    text = content.strip()
    fence = re.search(r"```(?:json|JSON)?\s*\n?(.*?)```", text, re.S)
    if fence and "{" in fence.group(1):
        text = fence.group(1).strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    start = text.find("{")
    if start < 0:
        raise ValueError("the answer contains no JSON object")
    decoder = json.JSONDecoder()
    # The outermost object is the first '{' that parses; later ones are nested.
    while start >= 0:
        try:
            obj, _ = decoder.raw_decode(text, start)
            return obj
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
    raise ValueError("the answer is not valid JSON")


class _Retryable(Exception):
    """A failure worth one more try here: a malformed answer (the model may do better), or
    (``transient``) the endpoint failed: a timeout, a dropped connection, HTTP 429/5xx."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class LlmWriter:
    """``LlmWriter(base_url, model).write(profile)`` -> a validated :class:`VideoScript`."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60,
        max_attempts: int = 2,
        temperature: float = 0.4,
    ) -> None:
        if not base_url or not re.match(r"https?://", base_url.strip(), re.I):
            raise ScriptError(
                f"LLM base URL {base_url!r} is not an http(s) URL",
                hint="set it like http://127.0.0.1:8080/v1",
            )
        if not model:
            raise ScriptError("no LLM model name given", hint="set the model the endpoint serves")
        self.base_url = base_url.strip().rstrip("/")
        self.model = model
        self._api_key = api_key or None
        self.timeout_s = float(timeout_s)
        self.max_attempts = max(1, int(max_attempts))
        self.temperature = temperature

    @property
    def name(self) -> str:
        return f"llm:{self.model}"

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/chat/completions"

    def __repr__(self) -> str:  # never show the key
        return f"LlmWriter(base_url={self._display_url!r}, model={self.model!r})"

    @property
    def _display_url(self) -> str:
        """The base URL without credentials or query string, for messages."""
        parts = urllib.parse.urlsplit(self.base_url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))

    def _redact(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return text

    def write(self, profile: RepoProfile, *, language_note: str = "") -> VideoScript:
        """Ask the endpoint for a script; retry once on a timeout or a malformed answer.

        When the last try failed because of the endpoint, the error is a
        :class:`ScriptServiceError` (transient: the step tries again later); a malformed
        answer is a plain :class:`ScriptError`.
        """
        messages = build_messages(profile, language_note=language_note)
        last: str = ""
        transient = False
        for attempt in range(1, self.max_attempts + 1):
            try:
                script = self._attempt(messages, profile)
                logger.info(
                    "LLM script from %s (attempt %d): %d scenes, %d words",
                    self.model,
                    attempt,
                    len(script.scenes),
                    script.word_count,
                )
                return script
            except _Retryable as err:
                last, transient = str(err), err.transient
                logger.warning("LLM attempt %d/%d failed: %s", attempt, self.max_attempts, last)
                if attempt < self.max_attempts:
                    time.sleep(min(0.5 * attempt, 2.0))
        raise (ScriptServiceError if transient else ScriptError)(self._redact(last))

    def ask_json(self, messages: list[dict[str, str]]) -> Any:
        """One JSON object from the endpoint for other tasks than a script (translation):
        the same request, limits and one-line errors; tried ``max_attempts`` times."""
        last, transient = "", False
        for attempt in range(1, self.max_attempts + 1):
            try:
                return extract_json_object(self._content(self._post(messages)))
            except ValueError as err:
                last, transient = f"LLM answer is not JSON: {err}", False
            except _Retryable as err:
                last, transient = str(err), err.transient
            if attempt < self.max_attempts:
                time.sleep(min(0.5 * attempt, 2.0))
        raise (ScriptServiceError if transient else ScriptError)(self._redact(last))

    def _attempt(self, messages: list[dict[str, str]], profile: RepoProfile) -> VideoScript:
        answer = self._post(messages)
        content = self._content(answer)
        try:
            obj = extract_json_object(content)
        except ValueError as err:
            raise _Retryable(
                f"LLM script invalid: {err}; try again, or use the template writer"
            ) from None
        try:
            script = validate_script(obj, profile=profile)
        except ScriptError as err:
            raise _Retryable(str(err)) from None
        script.writer = self.name
        return script

    def _post(self, messages: list[dict[str, str]]) -> Any:
        """POST the chat request; every failure becomes one redacted line.

        The causes are dropped (``from None``) on purpose: urllib's and http.client's
        messages can carry the base URL with its credentials, and the line says it all.
        """
        payload = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "response_format": {"type": "json_object"},
        }
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(
            self.endpoint, data=json.dumps(payload).encode(), headers=headers, method="POST"
        )
        where = self._display_url
        deadline = time.monotonic() + self.timeout_s
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                body = self._read(response, deadline)
        except urllib.error.HTTPError as err:
            snippet = self._error_body(err)
            message = f"LLM endpoint {where} answered HTTP {err.code} {err.reason}{snippet}"
            if err.code == 429 or err.code >= 500:
                raise _Retryable(message, transient=True) from None
            hint = "check the API key" if err.code in (401, 403) else "check the URL and model"
            raise ScriptError(self._redact(message), hint=hint) from None
        except TimeoutError as err:
            raise _Retryable(self._timeout_message(), transient=True) from err
        except urllib.error.URLError as err:
            reason = err.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise _Retryable(self._timeout_message(), transient=True) from None
            if isinstance(reason, ConnectionRefusedError):  # a server restarting, or none
                raise ScriptServiceError(
                    f"LLM endpoint {where} refused the connection",
                    hint="start the server or fix the base URL, or use the template writer",
                ) from None
            raise ScriptServiceError(
                self._redact(f"LLM endpoint {where} is unreachable ({reason})"),
                hint="check the base URL, or use the template writer",
            ) from None
        except (ConnectionError, OSError, http.client.HTTPException) as err:
            raise _Retryable(
                self._redact(f"LLM endpoint {where} dropped the connection ({err})"),
                transient=True,
            ) from None
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            text = body[:_BODY_SNIPPET].decode("utf-8", "replace")
            raise _Retryable(
                self._redact(
                    f"LLM endpoint {where} answered with something that is not JSON: {text!r}"
                )
            ) from None

    def _read(self, response: Any, deadline: float) -> bytes:
        """Read the body, holding the whole exchange to the timeout (not each socket read)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError
            chunk = response.read(65536)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > _MAX_RESPONSE_BYTES:
                raise _Retryable(f"LLM endpoint {self._display_url} sent more than 4 MB")
            chunks.append(chunk)

    def _error_body(self, err: urllib.error.HTTPError) -> str:
        try:
            raw = err.read(_BODY_SNIPPET * 4)
        except OSError:
            return ""
        text = " ".join(raw.decode("utf-8", "replace").split())
        if not text:
            return ""
        return ": " + self._redact(_truncate(text, _BODY_SNIPPET))

    def _timeout_message(self) -> str:
        seconds = f"{self.timeout_s:g}"
        return (
            f"LLM endpoint {self._display_url} did not answer within {seconds} s; "
            "raise REPO2VIDEO_LLM_TIMEOUT_S or use the template writer"
        )

    def _content(self, answer: Any) -> str:
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            if isinstance(answer, dict) and isinstance(answer.get("error"), dict | str):
                error = answer["error"]
                detail = error.get("message", "") if isinstance(error, dict) else error
                raise ScriptError(
                    self._redact(
                        f"LLM endpoint {self._display_url} returned an error: "
                        f"{_truncate(str(detail), _BODY_SNIPPET)}"
                    ),
                    hint="check the model name",
                ) from None
            raise _Retryable(
                f"LLM endpoint {self._display_url} answered without choices[0].message.content"
            ) from None
        if not isinstance(content, str) or not content.strip():
            raise _Retryable(f"LLM endpoint {self._display_url} answered with an empty message")
        return content
