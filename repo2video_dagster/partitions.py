"""The one partitioning of the asset graph: one partition per repository.

Keys are derived from the target by :func:`repo2video_dagster.lib.source.targets.parse_target`
(``owner__name`` for GitHub, ``host__path`` for other git hosts,
``local__<name>-<hash8>`` for local paths).
"""

from dagster import DynamicPartitionsDefinition

REPOSITORIES_PARTITIONS_NAME = "repositories"

repositories_partitions = DynamicPartitionsDefinition(name=REPOSITORIES_PARTITIONS_NAME)

# Job that materializes the whole per-repository graph for one partition.
RENDER_JOB_NAME = "render_repository"

# Run tags shared by the CLI, the sensor, the schedule and the /jobs API.
TAG_REPO = "repo2video/repo"
TAG_TARGET = "repo2video/target"
TAG_DELIVERY = "repo2video/delivery_id"
TAG_EVENT = "repo2video/event"
TAG_COMMIT = "repo2video/commit"
TAG_TRIGGER = "repo2video/trigger"
