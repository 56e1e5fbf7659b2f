"""Build a :class:`RepoProfile` from a snapshot: each part of the profile from its own module."""

from __future__ import annotations

import os

from repo2video_dagster.lib.core.errors import EmptyRepositoryError
from repo2video_dagster.lib.core.records import RepoImage, RepoProfile, RepoSnapshot
from repo2video_dagster.lib.source.policy import launchpad_key
from repo2video_dagster.lib.source.profile.code_sample import code_sample
from repo2video_dagster.lib.source.profile.files import CheckoutScan, dedupe, display_name
from repo2video_dagster.lib.source.profile.history import read_history
from repo2video_dagster.lib.source.profile.images import github_name, repo_images
from repo2video_dagster.lib.source.profile.imports import import_graph
from repo2video_dagster.lib.source.profile.languages import language_shares
from repo2video_dagster.lib.source.profile.licenses import LICENSE_RE, detect_license
from repo2video_dagster.lib.source.profile.manifests import Manifests
from repo2video_dagster.lib.source.profile.markdown import Block, markdown_blocks
from repo2video_dagster.lib.source.profile.readme import (
    README_RE,
    find_readme,
    readme_description,
    readme_excerpt,
    title_name,
)
from repo2video_dagster.lib.source.profile.story import readme_features, readme_problem
from repo2video_dagster.lib.source.profile.structure import (
    key_files,
    main_modules,
    top_level_entries,
    tree_outline,
)
from repo2video_dagster.lib.source.profile.usage import install_commands, usage_example
from repo2video_dagster.lib.source.profile.walk import git_symlinks, scan_contents, walk_checkout


def build_profile(
    snapshot: RepoSnapshot, *, max_file_bytes: int = 1_000_000, require_readme: bool = True
) -> RepoProfile:
    """Read the checkout and describe the project for the script and the slides."""
    root = os.path.realpath(snapshot.checkout_dir)
    scan = walk_checkout(root)
    scan.notes.extend(snapshot.skipped)
    links = git_symlinks(root) | {f.rel for f in scan.files if f.link}
    for f in scan.files:
        f.link = f.rel in links
    readme_rel, readme_text = find_readme(scan, max_file_bytes)
    if readme_rel is None and require_readme:
        raise EmptyRepositoryError(
            f"{snapshot.source.display_name} has no README to describe it",
            hint="Add a README.md that says what the project does "
            "(or set REPO2VIDEO_REQUIRE_README=0)",
            ui_hint="Add a README.md that says what the project does "
            f"(or set {launchpad_key('require_readme', 'false')})",
        )
    scan_contents(scan, max_file_bytes)
    meaningful = [
        f
        for f in scan.files
        if f.text and not README_RE.match(f.name) and not LICENSE_RE.match(f.name)
    ]
    blocks = markdown_blocks(readme_text or "")
    if not meaningful and not _readme_only(scan, blocks):
        raise EmptyRepositoryError(
            f"{snapshot.source.display_name} has no text files to describe (only binary files)",
            hint="Pick a repository with source code or documentation",
        )
    manifests = Manifests(scan, max_file_bytes)
    languages = language_shares(scan.files)
    primary = languages[0].name if languages else None
    description = readme_description(blocks)
    source = snapshot.source
    history = read_history(root, snapshot, scan.notes)
    usage = usage_example(blocks, scan, primary, max_file_bytes)
    # A local checkout's directory name is often meaningless ("repo", "src", a clone
    # path): the manifest's project name is what people call it. Remote repositories
    # keep their owner/name, which is how people find them.
    name = (
        title_name(blocks) or manifests.project_name if source.kind == "local" else None
    ) or source.name
    profile = RepoProfile(
        name=name,
        full_name=name if source.kind == "local" else source.display_name,
        description=description,
        readme_path=display_name(readme_rel) if readme_rel else None,
        readme_excerpt=readme_excerpt(blocks),
        languages=languages,
        total_files=len(scan.files),
        total_lines=sum(lang.lines for lang in languages),
        key_files=key_files(scan, readme_rel, manifests),
        entry_points=manifests.entry_points(),
        dependencies=manifests.dependencies,
        license=detect_license(scan, manifests, max_file_bytes),
        top_level=top_level_entries(root),
        tree=tree_outline(scan),
        modules=main_modules(scan),
        history=history,
        install_commands=install_commands(blocks, manifests, snapshot),
        usage=usage,
        code_sample=code_sample(scan, primary, max_file_bytes),
        homepage=manifests.homepage,
    )
    profile.notes = dedupe(scan.notes + manifests.notes)
    profile.problem = readme_problem(blocks)
    profile.features = readme_features(blocks)
    profile.architecture = import_graph(scan, profile.modules, profile.primary_language)
    # A local clone of a GitHub project: its README gives pictures by GitHub address.
    own_names = {profile.full_name, github_name(manifests.homepage) or profile.full_name}
    profile.images = [
        RepoImage(path, alt)
        for path, alt in repo_images(
            scan,
            readme_rel,
            readme_text,
            own_names,
            profile.notes,
        )
    ]
    return profile


def _readme_only(scan: CheckoutScan, blocks: list[Block]) -> bool:
    """A repository of a README (and maybe a licence) alone is described from its README.

    Only when every file is text and the README has prose: a README next to binaries
    only is a data dump, not a project the video can explain.
    """
    return bool(readme_description(blocks)) and all(f.text for f in scan.files)
