"""Plain-Python engine of repo2video.

Nothing under ``lib`` imports dagster: each module is usable and testable on its
own, and the Dagster layer (``repo2video_dagster.assets``) only wires them together.
"""
