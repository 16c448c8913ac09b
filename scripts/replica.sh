#!/usr/bin/env bash
# A streaming read replica of the local PostgreSQL on another port, for the replica router's test (CI) and for
# trying the router by hand. Idempotent and fast when the replica already streams: it only checks.
#   REPLICA_PORT (5433)  REPLICA_DIR (/var/lib/postgresql/tongban-replica)  PRIMARY_PORT (5432)
# First run: allows replication connections from 127.0.0.1 in the primary's pg_hba.conf (trust, like the local
# test cluster's other lines), takes a base backup with -R (standby.signal + primary_conninfo) and starts it with
# pg_ctl as the postgres user. A replica that cannot stream (say, the WAL it needs is gone) is rebuilt.
set -euo pipefail
PORT=${REPLICA_PORT:-5433}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
DIR=${REPLICA_DIR:-/var/lib/postgresql/tongban-replica}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "replica: PostgreSQL server binaries not found" >&2; exit 1; }
as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
q() { psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atc "$2"; }

streaming() { [ "$(q "$PORT" "select status from pg_stat_wal_receiver" 2>/dev/null)" = streaming ]; }
wait_streaming() { for _ in $(seq 1 ${1:-40}); do streaming && return 0; sleep 0.25; done; return 1; }

if streaming; then echo "replica: streaming on port $PORT"; exit 0; fi

HBA=$(q "$PRIMARY_PORT" "show hba_file")
if ! grep -qE '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$HBA"; then
  echo "host replication all 127.0.0.1/32 trust  # tongban scripts/replica.sh" >> "$HBA"
  q "$PRIMARY_PORT" "select pg_reload_conf()" >/dev/null
fi

start() {
  as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/replica.log" -w -t 30 \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -c hot_standby=on -c unix_socket_directories=/tmp" start >/dev/null
}

if [ -f "$DIR/PG_VERSION" ]; then
  as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1 || start || true
  if wait_streaming 20; then echo "replica: restarted, streaming on port $PORT"; exit 0; fi
  echo "replica: not streaming; rebuilding" >&2
  as_pg "$BIN/pg_ctl" -D "$DIR" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
fi
mkdir -p "$DIR" && chown postgres:postgres "$DIR" && chmod 700 "$DIR"
as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DIR" -R -X stream -c fast
# Debian keeps the configuration under /etc: the copy gets its own minimal files
[ -f "$DIR/postgresql.conf" ] || as_pg sh -c "printf '%s\n' \"hba_file = '$DIR/pg_hba.conf'\" > '$DIR/postgresql.conf'"
[ -f "$DIR/pg_hba.conf" ] || as_pg sh -c "printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > '$DIR/pg_hba.conf'"
start
wait_streaming 120 || { echo "replica: started but not streaming (see $DIR/replica.log)" >&2; exit 1; }
echo "replica: built, streaming on port $PORT"
