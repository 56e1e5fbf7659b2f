"""What to publish where, per repository: the deployment's defaults plus overrides.

Defaults come from the ``PublishResource`` (``REPO2VIDEO_PUBLISH``,
``REPO2VIDEO_YOUTUBE_*``). A deployment that wants one repository published
differently lists it in a JSON file (``REPO2VIDEO_PUBLISH_OVERRIDES``, default
``<data dir>/publish.json``), keyed by partition key, ``"*"`` for all::

    {
      "*": {"privacy": "unlisted"},
      "owner__name": {"targets": ["youtube"], "formats": ["landscape"],
                      "playlist": "PLxxxx", "publish_at": "2026-12-24T09:00:00Z"}
    }

JSON rather than the source registry: the registry is written by the receiver
and the CLI for every repository, overrides are written by a person for a few.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from repo2video_dagster.lib.publish.errors import PublishError
from repo2video_dagster.lib.publish.youtube.metadata import PRIVACY_VALUES

TARGETS = ("youtube", "github")
FORMATS = ("reel", "landscape")
OVERRIDE_FIELDS = {
    "targets",
    "formats",
    "privacy",
    "playlist",
    "publish_at",
    "category",
    "language",
    "release_assets",
    "commit_status",
}


@dataclass(frozen=True)
class PublishSettings:
    """The publication of one repository: where, which formats, how."""

    targets: tuple[str, ...] = ()
    formats: tuple[str, ...] = FORMATS
    privacy: str = "private"
    playlist: str | None = None
    publish_at: str | None = None
    category: str = "28"
    language: str = "en"
    release_assets: bool = True
    commit_status: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.targets)

    def validated(self, where: str) -> PublishSettings:
        bad = [t for t in self.targets if t not in TARGETS]
        if bad:
            raise PublishError(
                f"{where}: unknown publication target {bad[0]!r} (use youtube, github)"
            )
        bad = [f for f in self.formats if f not in FORMATS]
        if bad:
            raise PublishError(f"{where}: unknown format {bad[0]!r} (use reel, landscape)")
        if self.privacy not in PRIVACY_VALUES:
            raise PublishError(
                f"{where}: privacy {self.privacy!r} is not one of {', '.join(PRIVACY_VALUES)}"
            )
        if self.publish_at:
            try:
                when = datetime.fromisoformat(self.publish_at.replace("Z", "+00:00"))
            except ValueError:
                raise PublishError(
                    f"{where}: publish_at {self.publish_at!r} is not an ISO 8601 time"
                ) from None
            if when.tzinfo is None:
                raise PublishError(
                    f"{where}: publish_at {self.publish_at!r} needs a time zone (e.g. Z)"
                )
        return self


def read_overrides(path: Path) -> dict[str, dict[str, Any]]:
    """The overrides file (``{}`` when absent); a malformed one is a one-line error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as err:
        raise PublishError(f"{path}: {err}", hint="Fix the publication overrides file") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise PublishError(f"{path}: expected an object of objects keyed by repository")
    for key, entry in data.items():
        unknown = sorted(set(entry) - OVERRIDE_FIELDS)
        if unknown:
            raise PublishError(
                f"{path}: {key}: unknown field {unknown[0]!r}",
                hint=f"Known fields: {', '.join(sorted(OVERRIDE_FIELDS))}",
            )
    return data


def settings_for(key: str, defaults: PublishSettings, overrides_path: Path) -> PublishSettings:
    """``defaults`` with the ``"*"`` entry, then the repository's entry, applied."""
    overrides = read_overrides(overrides_path)
    settings = defaults
    for entry in (overrides.get("*", {}), overrides.get(key, {})):
        changes = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()}
        settings = replace(settings, **changes)
    return settings.validated(
        f"{overrides_path} ({key})" if key in overrides else "publication settings"
    )
