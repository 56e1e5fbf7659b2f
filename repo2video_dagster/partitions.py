"""The one partitioning of the asset graph (one partition per repository) and its job.

Keys are derived from the target by :func:`repo2video_dagster.lib.source.targets.parse_target`
(``owner__name`` for GitHub, ``host__path`` for other git hosts,
``local__<name>-<hash8>`` for local paths).
"""

from dagster import DynamicPartitionsDefinition

REPOSITORIES_PARTITIONS_NAME = "repositories"

repositories_partitions = DynamicPartitionsDefinition(name=REPOSITORIES_PARTITIONS_NAME)

RENDER_JOB_NAME = "render_repository"
"""The job that materializes the whole per-repository graph for one partition."""
