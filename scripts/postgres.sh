#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests and benchmarks, owned by an unprivileged user.
#
#   scripts/postgres.sh start [DIR]       new cluster in DIR (default: a new temp dir), or
#                                         start the stopped one there again on its own port
#   scripts/postgres.sh stop DIR [MODE]   pg_ctl stop -m MODE (fast | immediate; default fast)
#   scripts/postgres.sh destroy DIR       stop it and remove DIR
#
# `start` prints two lines for `eval`:
#   REPO2VIDEO_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres
#   REPO2VIDEO_PG_DIR=DIR
#
# The cluster listens on 127.0.0.1 only, on a free port (kept in DIR/port so a restart
# comes back where clients expect it), with trust authentication for the local user
# `postgres`. Debian's `postgresql` is installed when no initdb is found. As root the
# cluster runs as `nobody` (initdb refuses root), so DIR is created here and handed over.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

find_bin() {
  local name=$1 found
  if found=$(command -v "$name" 2>/dev/null); then echo "$found"; return 0; fi
  found=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$found" ] && echo "$found"
}

install_postgres() {
  echo "postgres.sh: no initdb found; installing Debian's postgresql" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "initdb missing and not root: apt-get install postgresql"
    sudo=sudo
  fi
  # Only the binaries are wanted: no system-wide 'main' cluster on port 5432.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    $sudo mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

# Run a command as the cluster's owner: ourselves, or `nobody` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir=${1:-}
  local initdb pg_ctl
  initdb=$(find_bin initdb || true)
  if [ -z "$initdb" ]; then
    install_postgres
    initdb=$(find_bin initdb) || die "initdb still missing after installing postgresql"
  fi
  pg_ctl=$(dirname "$initdb")/pg_ctl
  [ -x "$pg_ctl" ] || pg_ctl=$(find_bin pg_ctl) || die "pg_ctl not found"
  if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/repo2video-pg.XXXXXX")
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$dir"
    chmod 0755 "$dir"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    free_port >"$dir/port"
  fi
  local port
  port=$(cat "$dir/port")
  # fsync stays on: the restart tests rely on committed rows surviving `stop immediate`.
  as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" >/dev/null \
    || { tail -n 30 "$dir/server.log" >&2; die "the server did not start"; }
  echo "REPO2VIDEO_PG_URL=postgresql://postgres@127.0.0.1:$port/postgres"
  echo "REPO2VIDEO_PG_DIR=$dir"
}

stop() {
  local dir=${1:?usage: postgres.sh stop DIR [fast|immediate]} mode=${2:-fast}
  local pg_ctl
  pg_ctl=$(find_bin pg_ctl) || die "pg_ctl not found"
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_owner "$pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" "${3:-fast}" ;;
  destroy)
    dir=${2:?usage: postgres.sh destroy DIR}
    stop "$dir" immediate || true
    rm -rf "$dir"
    ;;
  *) die "usage: postgres.sh start [DIR] | stop DIR [fast|immediate] | destroy DIR" ;;
esac
