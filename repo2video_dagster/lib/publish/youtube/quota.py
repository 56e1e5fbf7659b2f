"""The YouTube Data API's daily quota, kept as a ledger so a publication is deferred,
not failed, when today's budget cannot cover it.

YouTube counts ``videos.insert`` calls in their own daily bucket (100 by default) and
every other call in units out of 10,000 (``captions.insert`` 400, ``thumbnails.set``
50, ``videos.update`` 50, ``playlistItems.insert`` 50, reads 1). Both reset at
midnight Pacific time. These numbers change, so they are configuration
(:class:`QuotaLimits`). The ledger records what was spent today (one JSON file under
the data directory, updated under a file lock because several runs may publish at
once); an API answer ``quotaExceeded`` marks the bucket spent until the reset even
when the ledger thought otherwise (another client may share the project).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

UPLOAD_METHOD = "videos.insert"
DEFAULT_COSTS: dict[str, int] = {
    "captions.insert": 400,
    "thumbnails.set": 50,
    "videos.update": 50,
    "videos.list": 1,
    "playlistItems.insert": 50,
}
BUCKET_UPLOADS = "uploads"
BUCKET_UNITS = "units"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class QuotaLimits:
    uploads_per_day: int = 100
    units_per_day: int = 10_000
    costs: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_COSTS))
    timezone: str = "America/Los_Angeles"

    def cost(self, method: str) -> int:
        """Units of ``method`` (``videos.insert`` counts in its own bucket, so 0 here)."""
        return 0 if method == UPLOAD_METHOD else int(self.costs.get(method, 1))


def parse_costs(raw: str) -> dict[str, int]:
    """``captions.insert=400,thumbnails.set=50`` over the defaults (ValueError if malformed)."""
    costs = dict(DEFAULT_COSTS)
    for part in filter(None, (p.strip() for p in raw.split(","))):
        method, sep, value = part.partition("=")
        if not sep or not value.strip().isdigit():
            raise ValueError(f"{part!r} is not method=units")
        costs[method.strip()] = int(value)
    return costs


@dataclass(frozen=True)
class Deferred:
    """A publication that waits for the quota reset: not an error, not retried now."""

    until: datetime
    reason: str

    def line(self) -> str:
        return f"deferred until {self.until.isoformat(timespec='minutes')}: {self.reason}"


class QuotaLedger:
    """Units and uploads spent today (Pacific day), in ``path``."""

    def __init__(self, path: Path, limits: QuotaLimits, clock: Clock = utc_now) -> None:
        self.path = path
        self.limits = limits
        self.clock = clock
        self.zone = ZoneInfo(limits.timezone)

    def today(self) -> date:
        return self.clock().astimezone(self.zone).date()

    def next_reset(self) -> datetime:
        """The next midnight in the quota's time zone, in UTC."""
        tomorrow = self.today() + timedelta(days=1)
        return datetime.combine(tomorrow, time(0), tzinfo=self.zone).astimezone(UTC)

    @contextmanager
    def _locked(self) -> Iterator[dict]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self._read()
            yield state
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)

    def _read(self) -> dict:
        fresh = {
            "day": self.today().isoformat(),
            "uploads": 0,
            "units": 0,
            "calls": {},
            "spent": [],
        }
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return fresh
        return state if isinstance(state, dict) and state.get("day") == fresh["day"] else fresh

    def state(self) -> dict:
        """Today's record: ``uploads``, ``units``, calls per method, buckets found spent."""
        return self._read()

    def _fits(self, state: dict, calls: Mapping[str, int]) -> str | None:
        uploads = calls.get(UPLOAD_METHOD, 0)
        units = sum(self.limits.cost(m) * n for m, n in calls.items())
        if uploads and (
            BUCKET_UPLOADS in state["spent"]
            or state["uploads"] + uploads > self.limits.uploads_per_day
        ):
            return f"today's {self.limits.uploads_per_day} videos.insert calls are used"
        if units and (
            BUCKET_UNITS in state["spent"] or state["units"] + units > self.limits.units_per_day
        ):
            left = max(0, self.limits.units_per_day - state["units"])
            return f"needs {units} quota units, {left} of {self.limits.units_per_day} left today"
        return None

    def check(self, calls: Mapping[str, int]) -> Deferred | None:
        """A :class:`Deferred` when ``calls`` (method -> count) do not fit today's budget."""
        reason = self._fits(self._read(), calls)
        return Deferred(self.next_reset(), reason) if reason else None

    def spend(self, method: str, count: int = 1) -> None:
        """Record ``count`` calls of ``method`` (called before each call is sent)."""
        with self._locked() as state:
            if method == UPLOAD_METHOD:
                state["uploads"] += count
            else:
                state["units"] += self.limits.cost(method) * count
            state["calls"][method] = state["calls"].get(method, 0) + count

    def exhausted(self, method: str, reason: str = "YouTube answered quotaExceeded") -> Deferred:
        """The API said the quota is spent: mark the bucket of ``method`` full until the reset."""
        bucket = BUCKET_UPLOADS if method == UPLOAD_METHOD else BUCKET_UNITS
        with self._locked() as state:
            if bucket not in state["spent"]:
                state["spent"].append(bucket)
        return Deferred(self.next_reset(), f"{reason} ({method})")
