"""Stages that read the repository: checkout and profile."""

import warnings

from dagster import (
    AssetExecutionContext,
    BetaWarning,
    DataVersion,
    Failure,
    MetadataValue,
    Output,
    asset,
)

from repo2video_dagster.assets.common import (
    TRANSIENT_RETRY,
    code_version,
    human_bytes,
    markdown_table,
    path_value,
    user_errors,
    user_failure,
)
from repo2video_dagster.lib import source as source_lib
from repo2video_dagster.lib.core.errors import UI, TransientError, UserError
from repo2video_dagster.lib.core.records import RepoProfile, RepoSnapshot
from repo2video_dagster.lib.core.registry import SourceRegistry, valid_key
from repo2video_dagster.lib.source.checkout import clone_snapshot
from repo2video_dagster.lib.source.github_api import GitHubApiError, GitHubClient, enrich_profile
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.profile import build_profile, languages_frame
from repo2video_dagster.lib.source.targets import parse_target, with_github_shorthand
from repo2video_dagster.partitions import repositories_partitions
from repo2video_dagster.resources import GitHubApiResource, SourceResource, StorageResource
from repo2video_dagster.run_tags import TAG_COMMIT, TAG_REPO, TAG_TARGET

SOURCE_CODE_VERSION = code_version(__name__, source_lib)


@asset(
    partitions_def=repositories_partitions,
    group_name="source",
    kinds={"git"},
    code_version=SOURCE_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "A checkout of the repository's default branch (shallow, blob-filtered for remote URLs). "
        "The commit SHA is the data version, so downstream stages know when the code changed."
    ),
)
def repo_snapshot(
    context: AssetExecutionContext, storage: StorageResource, source: SourceResource
) -> Output[RepoSnapshot]:
    key = context.partition_key
    policy = source.policy()
    target = SourceRegistry(storage.layout.root).target_for(key)
    if not target:
        raise Failure(description=unregistered_partition(key, policy), allow_retries=False)
    with user_errors():
        src = parse_target(target, policy)
        if src.key != key:
            raise Failure(
                description=f"partition {key!r} does not match its target {target!r} (key {src.key!r})",
                allow_retries=False,
            )
        context.log.info(f"fetching {src.display_name} from {src.url}")
        snap = clone_snapshot(src, storage.layout.workspace, policy)
    # Runs started from the UI or a backfill carry no repository tags: record what was
    # rendered, so /jobs and the runs list show the repository and its commit.
    tags = {TAG_REPO: key, TAG_TARGET: target, TAG_COMMIT: snap.commit}
    missing = {k: v for k, v in tags.items() if k not in context.run.tags}
    if missing:
        context.instance.add_run_tags(context.run.run_id, missing)
    with warnings.catch_warnings():  # data_version is a beta parameter; we rely on it knowingly
        warnings.simplefilter("ignore", BetaWarning)
        return Output(
            snap,
            data_version=DataVersion(snap.commit),
            metadata={
                "commit": snap.commit,
                "branch": snap.branch or "",
                "commit_date": snap.commit_date,
                "url": src.web_url or src.url,
                "files": snap.file_count,
                "size": human_bytes(snap.size_bytes),
                "checkout": path_value(snap.checkout_dir),
                "skipped": MetadataValue.md("\n".join(f"- {s}" for s in snap.skipped) or "_none_"),
            },
        )


def unregistered_partition(key: str, policy: SourcePolicy) -> str:
    """Why partition ``key`` has nothing to render, and the form that works, in one line.

    Dagster's "Add partition" takes any text: a pasted URL becomes a partition whose key
    is the URL itself, which is not the key the repository renders under.
    """
    add = "add it with the add_repository job (a GitHub URL, owner/name or a local path)"
    retire = "remove this partition with the retire_repository job"
    try:
        src = parse_target(with_github_shorthand(key), policy)
    except UserError as err:
        if valid_key(key):
            return f"no repository is registered for partition {key!r}: {add}"
        return f"partition {key!r} is not a repository key ({err.line_for(UI)}); {retire}"
    return (
        f"partition {key!r} is a URL or path, not a repository key (its key is {src.key}): "
        f"add the repository with the add_repository job (target: {key}), "
        f"then {retire}"
    )


@asset(
    partitions_def=repositories_partitions,
    group_name="source",
    kinds={"python", "pandas"},
    code_version=SOURCE_CODE_VERSION,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "Facts about the repository read offline from the checkout: description, languages by "
        "lines, key files, entry points, dependencies, license, tree and git history. Optionally "
        "enriched with stars and topics from the GitHub API."
    ),
)
def repo_profile(
    context: AssetExecutionContext,
    repo_snapshot: RepoSnapshot,
    source: SourceResource,
    github: GitHubApiResource,
) -> Output[RepoProfile]:
    with user_errors():
        profile = build_profile(repo_snapshot, require_readme=source.require_readme)
    src = repo_snapshot.source
    enrichment = "off"
    if github.active() and src.kind == "github" and src.owner:
        client = GitHubClient(
            base_url=github.base_url, token=github.token(), timeout_s=github.timeout_s
        )
        try:
            profile = enrich_profile(profile, client.repo_info(src.owner, src.name))
            enrichment = "ok"
        except GitHubApiError as err:
            # Enrichment is optional: a transient failure gets the step's retries, and
            # when the last attempt fails too, the render goes on without stars.
            if err.transient and context.retry_number < TRANSIENT_RETRY.max_retries:
                raise user_failure(TransientError(f"GitHub enrichment: {err}")) from err
            context.log.warning(f"GitHub enrichment skipped: {err}")
            enrichment = f"skipped: {err}"
    frame = languages_frame(profile)
    return Output(
        profile,
        metadata={
            "description": profile.description,
            "languages": MetadataValue.md(markdown_table(frame.to_dict("records"))),
            "primary_language": profile.primary_language or "",
            "total_lines": profile.total_lines,
            "total_files": profile.total_files,
            "license": profile.license or "unknown",
            "entry_points": MetadataValue.json(profile.entry_points),
            "dependencies": MetadataValue.json(profile.dependencies),
            "commits": profile.history.commits,
            "contributors": profile.history.people,
            "tree": MetadataValue.md("```\n" + "\n".join(profile.tree) + "\n```"),
            "notes": MetadataValue.md("\n".join(f"- {n}" for n in profile.notes) or "_none_"),
            "github_enrichment": enrichment,
        },
    )
