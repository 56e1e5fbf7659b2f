"""Jobs that add and retire repositories, so the Dagster UI is enough to manage them.

"Add partition" in the UI takes any text and knows nothing of where a repository
comes from, so adding goes through ``add_repository``: its launchpad takes a GitHub
URL, ``owner/name``, another allowed git URL or (with
``resources.source.config.allow_local: true``) a local path; the job checks it the way
the CLI does (parse, allow list, ``git ls-remote``), registers the partition and its
source (``launch.register_repository``) and tags its run with the key and commit. The
``render_added_repository`` sensor then queues the render of that partition, through
the run queue like every other run (``sensors/run_status.py``).

``retire_repository`` removes a repository again (``retire.py``).
"""

from urllib.parse import quote

from dagster import (
    Config,
    MetadataValue,
    OpExecutionContext,
    Output,
    in_process_executor,
    job,
    op,
)
from pydantic import Field

from repo2video_dagster.assets.common import user_errors
from repo2video_dagster.launch import register_repository
from repo2video_dagster.lib.core.registry import registered_target
from repo2video_dagster.lib.core.settings import ui_url
from repo2video_dagster.lib.source.checkout import remote_head
from repo2video_dagster.lib.source.targets import parse_target, with_github_shorthand
from repo2video_dagster.resources import SourceResource, StorageResource
from repo2video_dagster.retire import resolve_key, retire_repository
from repo2video_dagster.run_tags import TAG_COMMIT, TAG_REPO, TAG_TARGET

ADD_JOB_NAME = "add_repository"
ADD_OP_NAME = "add"
"""The launchpad: ``ops: add: config: target: https://github.com/owner/name``."""
RETIRE_JOB_NAME = "retire_repository"
RETIRE_OP_NAME = "retire"
"""The launchpad: ``ops: retire: config: repository: owner__name``."""


class AddRepositoryConfig(Config):
    target: str = Field(
        description="https://github.com/owner/name, owner/name, another allowed git URL, or an "
        "absolute local path (needs resources.source.config.allow_local: true)"
    )


class RetireRepositoryConfig(Config):
    repository: str = Field(
        description="the partition key (owner__name), or the URL, owner/name or path the "
        "repository was added with"
    )


@op(
    name=ADD_OP_NAME,
    description="Check the target, register its partition and source; its render follows.",
)
def add_repository_op(
    context: OpExecutionContext,
    config: AddRepositoryConfig,
    storage: StorageResource,
    source: SourceResource,
) -> Output[str]:
    policy = source.policy()
    with user_errors():
        src = parse_target(with_github_shorthand(config.target), policy)
        head = remote_head(src, policy)
    register_repository(context.instance, storage.layout.root, src)
    target = registered_target(src)
    # The sensor that queues the render reads these.
    context.instance.add_run_tags(
        context.run.run_id, {TAG_REPO: src.key, TAG_TARGET: target, TAG_COMMIT: head}
    )
    context.log.info(
        f"registered {src.display_name} as partition {src.key} at {head[:12]}; "
        "its render is queued next (sensor render_added_repository)"
    )
    page = f"{ui_url()}/assets/video?view=partitions&partition={quote(src.key, safe='')}"
    return Output(
        src.key,
        metadata={
            "partition": src.key,
            "target": target,
            "commit": head,
            "partition_page": MetadataValue.url(page),
        },
    )


@op(
    name=RETIRE_OP_NAME,
    description="Delete the repository's partition, registry entry, outputs and site page.",
)
def retire_repository_op(
    context: OpExecutionContext, config: RetireRepositoryConfig, storage: StorageResource
) -> Output[str]:
    with user_errors():
        key = resolve_key(context.instance, storage.layout.root, config.repository)
        retired = retire_repository(context.instance, storage.layout.root, key)
    context.log.info(retired.line)
    return Output(
        key,
        metadata={
            "partition": key,
            "removed": MetadataValue.json([str(p) for p in retired.removed]),
        },
    )


@job(
    name=ADD_JOB_NAME,
    executor_def=in_process_executor,
    description="Add a repository (GitHub URL, owner/name or local path) and render it. "
    "Launchpad: ops: add: config: target: https://github.com/owner/name",
)
def add_repository_job() -> None:
    add_repository_op()


@job(
    name=RETIRE_JOB_NAME,
    executor_def=in_process_executor,
    description="Retire a repository: its partition, registry entry, outputs and site page. "
    "Launchpad: ops: retire: config: repository: owner__name",
)
def retire_repository_job() -> None:
    retire_repository_op()
