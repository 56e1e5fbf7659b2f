#!/bin/sh
# One-shot, before the long-running services start (compose service `init-storage`):
# creates Dagster's tables in PostgreSQL (and migrates them after an upgrade), then the
# webhook receiver's event table. Several processes creating the same tables at once
# race; after this every service finds them in place.
set -eu
dagster instance migrate
python - <<'PY'
from repo2video_dagster.receiver.event_storage import default_events_url
from repo2video_dagster.receiver.eventlog import EventLog

EventLog(default_events_url()).close()
print("event table ready")
PY
