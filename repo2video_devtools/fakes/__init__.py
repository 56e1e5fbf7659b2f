"""Loopback servers that speak the protocols of the services publishing talks to
(YouTube Data API v3 + resumable uploads + Google's OAuth token endpoint; the GitHub
REST API + uploads endpoint), for tests and for trying publishing without accounts."""
