"""A YouTube Data API v3 server on 127.0.0.1: enough of the real protocol that
google-api-python-client and google-auth, pointed at it, do exactly what they do
against Google.

- OAuth: ``POST /token`` (``refresh_token`` and ``authorization_code`` grants, PKCE
  S256 checked) and ``GET /auth`` (consents at once: redirects to the redirect URI
  with a code); API calls need ``Authorization: Bearer`` with an issued token.
- Resumable upload (``POST /upload/youtube/v3/videos?uploadType=resumable`` → 200 +
  ``Location``; ``PUT`` chunks with ``Content-Range``; 308 + ``Range`` while
  incomplete; ``bytes */N`` status queries; 200 + the video resource at the end).
- ``videos.update``, ``videos.list``, ``thumbnails.set`` (media upload),
  ``captions.insert`` (multipart/related), ``playlistItems.insert``.
- YouTube's metadata limits (400 ``invalidTitle``/``invalidDescription``/``invalidTags``).
- Faults a test scripts: answer a status for the next calls of a method
  (``fail``), ``quotaExceeded`` for a method (``quota_exhausted``), break the
  connection during a chunk after keeping part of it (``drop_chunks``).

Every request is recorded (method name, status, bytes of body).
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import hashlib
import itertools
import json
import socket
import struct
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Drop:
    """Break the connection during a chunk PUT (after reading it), keeping ``keep`` bytes."""

    keep: int = 0
    skip: int = 0
    """Chunks to accept normally before this drop happens."""
    finalize: bool = False
    """Complete the upload (the video exists) but never answer: the client must ask."""


@dataclass
class YouTubeState:
    videos: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    captions: list[dict] = field(default_factory=list)
    thumbnails: dict[str, bytes] = field(default_factory=dict)
    playlist_items: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    fail: dict[str, list[int | tuple[int, str]]] = field(default_factory=dict)
    """method -> statuses (or (status, reason)) answered to its next calls."""
    quota_exhausted: set[str] = field(default_factory=set)
    drop_chunks: list[Drop] = field(default_factory=list)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    """refresh token -> client id."""
    codes: dict[str, dict] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)
    """client id -> secret accepted by the token endpoint."""
    upload_bytes: int = 0
    """Bytes of video received in chunk PUTs, kept or not."""

    def count(self, method: str) -> int:
        return sum(1 for c in self.calls if c["method"] == method)


_ids = itertools.count(1)


def _new_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):06d}"


def _error(status: int, reason: str, message: str, domain: str = "youtube") -> bytes:
    return json.dumps(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"domain": domain, "reason": reason, "message": message}],
            }
        }
    ).encode()


def metadata_problem(body: dict) -> str | None:
    """YouTube's validation of the snippet (the reason it answers with HTTP 400)."""
    snippet = body.get("snippet", {})
    title = snippet.get("title", "")
    if not title or len(title) > 100 or "<" in title or ">" in title:
        return "invalidTitle"
    if len(snippet.get("description", "").encode()) > 5000 or "<" in snippet.get("description", ""):
        return "invalidDescription"
    tags = snippet.get("tags", [])
    if sum(len(t) + (2 if " " in t else 0) for t in tags) + max(0, len(tags) - 1) > 500:
        return "invalidTags"
    return None


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeYouTube/1"
    timeout = 5  # a request whose body never comes is dropped, as Google's front end does
    protocol_version = "HTTP/1.1"

    @property
    def state(self) -> YouTubeState:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    # ---- plumbing ----------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self, method: str, status: int, size: int, **extra: Any) -> None:
        self.state.calls.append({"method": method, "status": status, "bytes": size, **extra})

    def _authorized(self, method: str) -> bool:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:] in self.state.access_tokens:
            return True
        self._record(method, 401, 0)
        self._send(401, _error(401, "authError", "Invalid Credentials", "global"))
        return False

    def _fault(self, method: str) -> bool:
        """Answer a scripted failure for ``method``; True when one was answered."""
        if method in self.state.quota_exhausted:
            self._record(method, 403, 0)
            self._send(
                403,
                _error(
                    403,
                    "quotaExceeded",
                    "The request cannot be completed because you have exceeded your quota.",
                    "youtube.quota",
                ),
            )
            return True
        queued = self.state.fail.get(method)
        if queued:
            status, reason = (
                (queued.pop(0), "backendError") if isinstance(queued[0], int) else queued.pop(0)
            )
            self._record(method, status, 0)
            self._send(status, _error(status, reason, reason, "global"))
            return True
        return False

    # ---- routing -----------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/auth":
            return self._consent(query)
        if url.path == "/youtube/v3/videos":
            if not self._authorized("videos.list"):
                return
            ids = query.get("id", "").split(",")
            items = [self.state.videos[i] for i in ids if i in self.state.videos]
            self._record("videos.list", 200, 0)
            return self._send(
                200, json.dumps({"kind": "youtube#videoListResponse", "items": items}).encode()
            )
        self._send(404, _error(404, "notFound", "Not Found"))

    def do_POST(self) -> None:  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/token":
            return self._token(self._body())
        routes = {
            "/upload/youtube/v3/videos": ("videos.insert", self._insert),
            "/upload/youtube/v3/thumbnails/set": ("thumbnails.set", self._thumbnail),
            "/upload/youtube/v3/captions": ("captions.insert", self._caption),
            "/youtube/v3/playlistItems": ("playlistItems.insert", self._playlist_item),
        }
        if url.path not in routes:
            self._body()
            return self._send(404, _error(404, "notFound", "Not Found"))
        method, handler = routes[url.path]
        body = self._body()
        if not self._authorized(method) or self._fault(method):
            return
        handler(query, body)

    def do_PUT(self) -> None:  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/upload/youtube/v3/videos" and "upload_id" in query:
            return self._chunk(query["upload_id"])
        body = self._body()
        if url.path == "/youtube/v3/videos":
            if not self._authorized("videos.update") or self._fault("videos.update"):
                return
            return self._update(json.loads(body))
        self._send(404, _error(404, "notFound", "Not Found"))

    # ---- OAuth ---------------------------------------------------------------------
    def _consent(self, query: dict) -> None:
        code = _new_id("code-")
        self.state.codes[code] = query
        target = (
            query["redirect_uri"]
            + "?"
            + urllib.parse.urlencode({"code": code, "state": query.get("state", "")})
        )
        self._record("oauth.consent", 302, 0)
        self._send(302, headers={"Location": target})

    def _token(self, raw: bytes) -> None:
        form = dict(urllib.parse.parse_qsl(raw.decode()))
        client = form.get("client_id", "")
        if self.state.clients.get(client) != form.get("client_secret"):
            self._record("oauth.token", 401, 0)
            return self._send(401, json.dumps({"error": "invalid_client"}).encode())
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if self.state.refresh_tokens.get(form.get("refresh_token", "")) != client:
                self._record("oauth.token", 400, 0)
                return self._send(400, json.dumps({"error": "invalid_grant"}).encode())
            answer: dict[str, Any] = {}
        elif grant == "authorization_code":
            asked = self.state.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                not asked
                or asked.get("code_challenge") != challenge
                or asked.get("redirect_uri") != form.get("redirect_uri")
            ):
                self._record("oauth.token", 400, 0)
                return self._send(400, json.dumps({"error": "invalid_grant"}).encode())
            refresh = _new_id("refresh-")
            self.state.refresh_tokens[refresh] = client
            answer = {"refresh_token": refresh, "scope": asked.get("scope", "")}
        else:
            self._record("oauth.token", 400, 0)
            return self._send(400, json.dumps({"error": "unsupported_grant_type"}).encode())
        token = _new_id("access-")
        self.state.access_tokens.add(token)
        self._record("oauth.token", 200, 0, grant=grant)
        self._send(
            200,
            json.dumps(
                {"access_token": token, "expires_in": 3599, "token_type": "Bearer", **answer}
            ).encode(),
        )

    # ---- videos ----------------------------------------------------------------------
    def _insert(self, query: dict, body: bytes) -> None:
        if query.get("uploadType") != "resumable":
            self._record("videos.insert", 400, len(body))
            return self._send(400, _error(400, "badRequest", "only resumable uploads here"))
        metadata = json.loads(body or b"{}")
        problem = metadata_problem(metadata)
        if problem:
            self._record("videos.insert", 400, len(body))
            return self._send(400, _error(400, problem, problem))
        size = int(self.headers.get("X-Upload-Content-Length") or -1)
        upload_id = _new_id("upload-")
        self.state.sessions[upload_id] = {
            "size": size,
            "data": bytearray(),
            "metadata": metadata,
            "video": None,
            "type": self.headers.get("X-Upload-Content-Type"),
        }
        host = self.headers.get("Host")
        location = (
            f"http://{host}/upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}"
        )
        self._record("videos.insert", 200, len(body), upload_id=upload_id)
        self._send(200, headers={"Location": location})

    def _chunk(self, upload_id: str) -> None:
        body = self._body()
        session = self.state.sessions.get(upload_id)
        content_range = self.headers.get("Content-Range", "")
        if session is None:
            self._record("upload.chunk", 404, len(body))
            return self._send(404, _error(404, "notFound", "no such upload"))
        if not self._authorized("upload.chunk"):
            return
        held = len(session["data"])
        if content_range.startswith("bytes */"):
            self._record("upload.status", 308 if session["video"] is None else 200, 0, held=held)
            return self._answer_held(session)
        self.state.upload_bytes += len(body)
        first, last = (int(x) for x in content_range.split(" ")[1].split("/")[0].split("-"))
        if self._fault("upload.chunk"):
            return
        if first != held:
            self._record("upload.chunk", 400, len(body), first=first, held=held)
            return self._send(
                400, _error(400, "badContentRange", f"expected byte {held}, got {first}")
            )
        if self.state.drop_chunks and self.state.drop_chunks[0].skip > 0:
            self.state.drop_chunks[0].skip -= 1
        elif self.state.drop_chunks:
            drop = self.state.drop_chunks.pop(0)
            kept = body if drop.finalize else body[: drop.keep]
            session["data"].extend(kept)
            if drop.finalize and len(session["data"]) == session["size"]:
                self._finish(session)
            self._record("upload.drop", 0, len(body), first=first, kept=len(kept))
            # A reset (not a clean close): the client sees ECONNRESET, as on a broken
            # network, rather than an empty answer it would silently send again.
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        session["data"].extend(body)
        self._record("upload.chunk", 0, len(body), first=first, last=last)
        if len(session["data"]) >= session["size"]:
            self._finish(session)
        self._answer_held(session)

    def _answer_held(self, session: dict) -> None:
        if session["video"] is not None:
            return self._send(200, json.dumps(self.state.videos[session["video"]]).encode())
        held = len(session["data"])
        self._send(308, headers={"Range": f"bytes=0-{held - 1}"} if held else {})

    def _finish(self, session: dict) -> None:
        video_id = _new_id("vid")
        resource = {"kind": "youtube#video", "id": video_id, **session["metadata"]}
        resource["status"] = {"uploadStatus": "uploaded", **resource.get("status", {})}
        resource["fileDetails"] = {
            "fileSize": len(session["data"]),
            "sha256": hashlib.sha256(session["data"]).hexdigest(),
        }
        self.state.videos[video_id] = resource
        session["video"] = video_id

    def _update(self, body: dict) -> None:
        video = self.state.videos.get(body.get("id", ""))
        if video is None:
            self._record("videos.update", 404, 0)
            return self._send(404, _error(404, "videoNotFound", "video not found"))
        problem = metadata_problem(body)
        if problem:
            self._record("videos.update", 400, 0)
            return self._send(400, _error(400, problem, problem))
        video.update({k: v for k, v in body.items() if k in ("snippet", "status")})
        self._record("videos.update", 200, 0)
        self._send(200, json.dumps(video).encode())

    def _thumbnail(self, query: dict, body: bytes) -> None:
        video_id = query.get("videoId", "")
        if video_id not in self.state.videos:
            self._record("thumbnails.set", 404, len(body))
            return self._send(404, _error(404, "videoNotFound", "video not found"))
        if len(body) > 2 * 1024 * 1024:
            self._record("thumbnails.set", 400, len(body))
            return self._send(400, _error(400, "mediaBodyTooLarge", "thumbnail over 2 MB"))
        self.state.thumbnails[video_id] = body
        self._record(
            "thumbnails.set", 200, len(body), content_type=self.headers.get("Content-Type")
        )
        item = {"default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg"}}
        self._send(
            200, json.dumps({"kind": "youtube#thumbnailSetResponse", "items": [item]}).encode()
        )

    def _caption(self, query: dict, body: bytes) -> None:
        ctype = self.headers.get("Content-Type", "")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
        )
        parts = list(message.iter_parts()) if message.is_multipart() else []
        if len(parts) != 2:
            self._record("captions.insert", 400, len(body))
            return self._send(
                400, _error(400, "badRequest", "captions.insert needs metadata + media")
            )
        resource = json.loads(parts[0].get_payload(decode=True))
        track = parts[1].get_payload(decode=True)
        if resource.get("snippet", {}).get("videoId") not in self.state.videos:
            self._record("captions.insert", 404, len(body))
            return self._send(404, _error(404, "videoNotFound", "video not found"))
        caption = {
            "kind": "youtube#caption",
            "id": _new_id("cap"),
            **resource,
            "track": track.decode("utf-8", "replace"),
        }
        self.state.captions.append(caption)
        self._record("captions.insert", 200, len(body))
        self._send(200, json.dumps({k: v for k, v in caption.items() if k != "track"}).encode())

    def _playlist_item(self, query: dict, body: bytes) -> None:
        item = {"kind": "youtube#playlistItem", "id": _new_id("pli"), **json.loads(body)}
        self.state.playlist_items.append(item)
        self._record("playlistItems.insert", 200, len(body))
        self._send(200, json.dumps(item).encode())


@dataclass
class FakeYouTube:
    state: YouTubeState
    url: str

    @property
    def token_url(self) -> str:
        return self.url + "token"

    @property
    def auth_url(self) -> str:
        return self.url + "auth"

    def add_client(self, client_id: str, secret: str, refresh_token: str | None = None) -> None:
        self.state.clients[client_id] = secret
        if refresh_token:
            self.state.refresh_tokens[refresh_token] = client_id


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection the fake broke on purpose (``Drop``) is not worth a traceback."""


@contextlib.contextmanager
def serve_youtube() -> Iterator[FakeYouTube]:
    """A fake YouTube on an ephemeral loopback port (bound before serving: no race)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = YouTubeState()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield FakeYouTube(server.state, f"http://127.0.0.1:{server.server_address[1]}/")  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
