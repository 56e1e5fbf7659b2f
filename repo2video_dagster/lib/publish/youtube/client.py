"""The YouTube Data API v3 client, built from the discovery document shipped in
google-api-python-client (no network fetch of the document), with the API root
replaceable so the same code talks to YouTube or to a loopback test server.

The API root is changed in the document itself (``rootUrl``/``baseUrl``) rather than
through ``client_options.api_endpoint``: the client derives media-upload URLs from
``rootUrl`` and would keep ``https`` for a plain-HTTP test server.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

YOUTUBE_API_ROOT = "https://youtube.googleapis.com/"


@cache
def _shipped_document() -> str:
    import googleapiclient

    path = Path(googleapiclient.__file__).parent / "discovery_cache/documents/youtube.v3.json"
    return path.read_text(encoding="utf-8")


def discovery_document(api_root: str = YOUTUBE_API_ROOT) -> dict[str, Any]:
    """The YouTube v3 discovery document, pointing at ``api_root``."""
    doc = json.loads(_shipped_document())
    root = api_root.rstrip("/") + "/"
    if root != doc["rootUrl"]:
        doc["rootUrl"] = root
        doc["baseUrl"] = root + doc.get("servicePath", "")
        doc.pop("mtlsRootUrl", None)
    return doc


def authorized_http(credentials, timeout_s: float):
    """An ``httplib2`` transport that adds (and refreshes) the OAuth access token."""
    import google_auth_httplib2
    import httplib2

    transport = httplib2.Http(timeout=timeout_s)
    # HTTP 308 is "resume incomplete" in the upload protocol, not a redirect (as in
    # googleapiclient.http.build_http, which offers no timeout).
    transport.redirect_codes = transport.redirect_codes - {308}
    return google_auth_httplib2.AuthorizedHttp(credentials, http=transport)


def build_youtube(http, api_root: str = YOUTUBE_API_ROOT):
    """The ``youtube`` v3 service object over ``http`` (an authorized transport)."""
    from googleapiclient.discovery import build_from_document

    return build_from_document(discovery_document(api_root), http=http)
