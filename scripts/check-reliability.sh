#!/usr/bin/env bash
# Hostile inputs, webhook load and kill -9 tests; prints one summary line (see
# repo2video_dagster/reliability/__main__.py). Extra arguments go to the runner,
# e.g. --seconds 20 --no-service for a quicker pass, --json report.json to keep details.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
exec .venv/bin/python -m repo2video_devtools.reliability "$@"
