"""Run priorities: urgent work jumps the render queue.

Dagster's queued run coordinator launches the queued run with the highest
``dagster/priority`` tag first (ties: oldest first), so every run request carries one,
chosen by what asked for the render (:func:`priority_for`). A person waiting for a
result (a ``repository_dispatch`` delivery, a launch from the UI or the CLI) comes
first; then a published release, a push to the default branch, a star or watch; the
daily refresh, which nobody is waiting for, comes last.

Each level is a ``REPO2VIDEO_PRIORITY_<LEVEL>`` setting (a whole number >= 0; higher
runs first). Runs without the tag (other jobs) have Dagster's default, 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from repo2video_dagster.lib.core.settings import env_number

PRIORITY_TAG = "dagster/priority"

MANUAL = "manual"
DISPATCH = "dispatch"
RELEASE = "release"
PUSH = "push"
STAR = "star"
REFRESH = "refresh"

DEFAULT_PRIORITIES: dict[str, int] = {
    MANUAL: 40,
    DISPATCH: 40,
    RELEASE: 30,
    PUSH: 20,
    STAR: 10,
    REFRESH: 0,
}
"""Level -> priority; ``REPO2VIDEO_PRIORITY_<LEVEL>`` overrides one."""

_EVENT_LEVELS = {
    "repository_dispatch": DISPATCH,
    "release": RELEASE,
    "push": PUSH,
    "repository": PUSH,  # a repository created or made public: like its first push
    "star": STAR,
    "watch": STAR,
}
_TRIGGER_LEVELS = {"cli": MANUAL, "ui": MANUAL, "schedule": REFRESH, "watcher": STAR}


def priorities(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """Every level's priority, the environment's overrides applied."""
    return {
        level: env_number(f"PRIORITY_{level.upper()}", default, env)
        for level, default in DEFAULT_PRIORITIES.items()
    }


def level_for(trigger: str, event: str | None = None) -> str:
    """The level of a run started by ``trigger`` (a ``TRIGGER_*``), for webhook ``event``."""
    if event and event in _EVENT_LEVELS:
        return _EVENT_LEVELS[event]
    return _TRIGGER_LEVELS.get(trigger, STAR)


def priority_for(
    trigger: str, events: Iterable[str] = (), env: Mapping[str, str] | None = None
) -> int:
    """The priority of a run: the highest of the deliveries' events it stands for."""
    table = priorities(env)
    levels = [level_for(trigger, event) for event in events] or [level_for(trigger)]
    return max(table[level] for level in levels)


def priority_tags(
    trigger: str, events: Iterable[str] = (), env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``{dagster/priority: "<n>"}`` for a run request."""
    return {PRIORITY_TAG: str(priority_for(trigger, events, env))}
