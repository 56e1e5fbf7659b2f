"""Reliability and security checks that need real processes, real repositories and time.

``python -m repo2video_devtools.reliability`` runs them all and prints one summary line:
hostile repositories and URLs (each must end in a verified video or one clear error,
with nothing from outside the checkout in any output), a 200 req/s webhook load from a
second process against ``repo2video webhook serve``, ``kill -9`` of the receiver,
the daemon and a run's worker, and injected transient faults (each must be retried to
success) next to permanent errors (each must fail after one attempt). The pytest files
``repo2video_tests/test_hostile_repos.py``, ``test_url_safety.py``, ``test_secrets.py``,
``test_output_faults.py`` and ``test_transient_faults.py`` call the same functions for
the fast cases; ``test_daemon_service.py`` kills the daemon and run workers on cheap runs; the
receiver under load runs here (or with ``REPO2VIDEO_HEAVY=1``).

Nothing here is imported by the product itself.
"""

HEAVY_ENV = "REPO2VIDEO_HEAVY"
"""Set to 1 to let pytest run the heavy load and kill tests too."""
