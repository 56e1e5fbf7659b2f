"""GitHub webhook receiver and job API (``repo2video webhook serve``).

Import from the submodules: ``receiver.app.create_app``, ``receiver.serve.serve``,
``receiver.jobs.get_job`` / ``list_jobs`` / ``health``. This package module stays
empty so that ``python -m repo2video_dagster.receiver.serve`` does not import
the server twice.
"""
