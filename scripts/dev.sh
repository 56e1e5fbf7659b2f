#!/usr/bin/env bash
# `make dev`: the Dagster UI (dagster-webserver), the daemon (dagster-daemon) and the
# webhook receiver, together.
#
# Why not `dagster dev`: it is superseded (it warns and points to `dg dev`, which is
# not part of the pinned Dagster family), and on SIGTERM it shut its daemon threads
# down but left itself, the webserver, the daemon and the code servers running.
# Here each component runs in its own process group; Ctrl-C or SIGTERM (also when
# this script was started in the background by another script) sends SIGTERM to
# every group, waits up to REPO2VIDEO_DEV_GRACE_S seconds, then SIGKILLs what is
# left. Only the processes started here are signalled.
set -euo pipefail
set -m   # job control: each background job gets its own process group
cd "$(dirname "$0")/.."
PROJECT=$PWD
BIN=$PROJECT/.venv/bin
HOST=${REPO2VIDEO_HOST:-127.0.0.1}
UI_PORT=${REPO2VIDEO_UI_PORT:-3000}
HOOK_PORT=${REPO2VIDEO_WEBHOOK_PORT:-8787}
GRACE=${REPO2VIDEO_DEV_GRACE_S:-20}
export DAGSTER_HOME=${DAGSTER_HOME:-$PROJECT/.dagster_home}
export REPO2VIDEO_DATA_DIR=${REPO2VIDEO_DATA_DIR:-$PROJECT/var}
# Links on materializations open results from the receiver; /jobs links runs to the UI.
export REPO2VIDEO_PUBLIC_URL=${REPO2VIDEO_PUBLIC_URL:-http://$HOST:$HOOK_PORT}
export REPO2VIDEO_UI_URL=${REPO2VIDEO_UI_URL:-http://$HOST:$UI_PORT}
mkdir -p "$DAGSTER_HOME"
[ -e "$DAGSTER_HOME/dagster.yaml" ] || ln -sf "$PROJECT/dagster.yaml" "$DAGSTER_HOME/dagster.yaml"
# The components run from $DAGSTER_HOME: Dagster warns when the current folder holds a
# dagster.yaml that is not the instance's.
cd "$DAGSTER_HOME"
# Create the storage tables once: the webserver, daemon and receiver would race to.
"$BIN/dagster" instance migrate >/dev/null

if [ -z "${REPO2VIDEO_WEBHOOK_SECRET:-}" ] && [ -z "${REPO2VIDEO_WEBHOOK_SECRET_FILE:-}" ]; then
  secret_file="$DAGSTER_HOME/webhook-secret"
  if [ ! -s "$secret_file" ]; then
    (umask 077; "$BIN/python" -c 'import secrets; print(secrets.token_hex(32))' > "$secret_file")
  fi
  export REPO2VIDEO_WEBHOOK_SECRET_FILE="$secret_file"
  echo "webhook secret: $secret_file (set REPO2VIDEO_WEBHOOK_SECRET to use your own)"
fi

pids=()
stop() {
  trap - INT TERM EXIT
  local pid deadline=$((SECONDS + GRACE))
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    while kill -0 -- "-$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "make dev: stopped"
}
trap stop INT TERM EXIT

workspace=(-w "$PROJECT/workspace.yaml")
"$BIN/dagster-webserver" "${workspace[@]}" -h "$HOST" -p "$UI_PORT" &
pids+=($!)
"$BIN/dagster-daemon" run "${workspace[@]}" &
pids+=($!)
"$BIN/repo2video" webhook serve --host "$HOST" --port "$HOOK_PORT" &
pids+=($!)
echo "Dagster UI: http://$HOST:$UI_PORT   webhook receiver: http://$HOST:$HOOK_PORT/webhook"
# Return (and stop the rest) as soon as one component exits.
wait -n "${pids[@]}" || true
