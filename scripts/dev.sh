#!/usr/bin/env bash
# `make dev`: the Dagster UI + daemon (dagster dev) and the webhook receiver, together.
# Ctrl-C (or SIGTERM) stops both; only the processes started here are signalled.
set -euo pipefail
set -m   # job control: background jobs get their own process group and honour SIGTERM
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${REPO2VIDEO_HOST:-127.0.0.1}
UI_PORT=${REPO2VIDEO_UI_PORT:-3000}
HOOK_PORT=${REPO2VIDEO_WEBHOOK_PORT:-8787}
mkdir -p "$DAGSTER_HOME"
ln -sf "$PWD/dagster.yaml" "$DAGSTER_HOME/dagster.yaml"
# Create the storage tables once: the webserver, daemon and receiver would race to.
"$BIN/dagster" instance migrate >/dev/null

receiver_args=(--host "$HOST" --port "$HOOK_PORT")
if [ -z "${REPO2VIDEO_WEBHOOK_SECRET:-}" ] && [ -z "${REPO2VIDEO_WEBHOOK_SECRET_FILE:-}" ]; then
  secret_file="$DAGSTER_HOME/webhook-secret"
  if [ ! -s "$secret_file" ]; then
    umask 077; "$BIN/python" -c 'import secrets; print(secrets.token_hex(32))' > "$secret_file"
  fi
  export REPO2VIDEO_WEBHOOK_SECRET_FILE="$secret_file"
  echo "webhook secret: $secret_file (set REPO2VIDEO_WEBHOOK_SECRET to use your own)"
fi

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop INT TERM EXIT

"$BIN/dagster" dev -w workspace.yaml -h "$HOST" -p "$UI_PORT" &
pids+=($!)
"$BIN/repo2video" webhook serve "${receiver_args[@]}" &
pids+=($!)
echo "Dagster UI: http://$HOST:$UI_PORT   webhook receiver: http://$HOST:$HOOK_PORT/webhook"
wait -n "${pids[@]}"
