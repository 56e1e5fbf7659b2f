"""Profile a checkout: what the project is, how it is built, used and who made it.

Everything here is read from the checkout alone (no network), so profiles are
reproducible and cheap to recompute. The checkout is untrusted input: files are
opened only after checking that their real path is inside the checkout and with
``O_NOFOLLOW``, symbolic links are never followed out of it, binary, huge and
undecodable content is skipped or decoded with replacement characters, and
malformed manifests become notes instead of crashes.

One concern per module: :mod:`.files` (what is known of each file), :mod:`.walk`
(listing and safe reading), :mod:`.languages`, :mod:`.markdown` and
:mod:`.readme` (the README's structure, title, description and excerpt),
:mod:`.usage` (install commands and a usage example), :mod:`.manifests`
(dependencies, entry points, project name), :mod:`.licenses`, :mod:`.structure`
(tree, key files, main modules), :mod:`.history` and :mod:`.code_sample`;
:mod:`.build` puts them together and :mod:`.summary` shows the result.
"""

from repo2video_dagster.lib.source.profile.build import build_profile
from repo2video_dagster.lib.source.profile.summary import languages_frame, profile_summary_markdown

__all__ = ["build_profile", "languages_frame", "profile_summary_markdown"]
