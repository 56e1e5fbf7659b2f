"""Errors of the publication stage, in the project's two kinds (see lib/core/errors.py).

A refused credential or a video YouTube rejects is permanent (:class:`PublishError`);
a service that answers 5xx, drops the connection or times out is transient
(:class:`PublishServiceError`) and the step's RetryPolicy runs it again. A spent
quota is neither: it is a :class:`~repo2video_dagster.lib.publish.youtube.quota.Deferred`
result, because retrying before the daily reset cannot succeed.
"""

from __future__ import annotations

from repo2video_dagster.lib.core.errors import TransientError, UserError


class PublishError(UserError):
    """Publishing is misconfigured, or a service refused the publication for good."""


class PublishServiceError(PublishError, TransientError):
    """YouTube or GitHub was unreachable, timed out, or answered HTTP 5xx (or 429)."""
