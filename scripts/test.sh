#!/usr/bin/env bash
# Runs the suite on SQLite, then again on PostgreSQL when it answers.
# In CI (CI=true) a missing PostgreSQL or chromium is a failure, never a skip.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DB_CONN_MAX_AGE=0  # no connection outlives its test (the PostgreSQL test database must drop cleanly)
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
status=0
# two processes (pytest-xdist; each has its own test database): the CI machines have two cores
WORKERS=${TEST_WORKERS:-2}

if [ "${CI:-}" = "true" ] && [ ! -x /usr/bin/chromium ]; then
  echo "CI: /usr/bin/chromium is missing; browser tests cannot run" >&2
  exit 1
fi

echo "== tests on SQLite =="
$BIN/pytest -p no:cacheprovider -n "$WORKERS" "$@" || status=$?

pg_up() {
  $BIN/python - "$PG_URL" <<'PY'
import sys, psycopg, dj_database_url
c = dj_database_url.parse(sys.argv[1])
try:
    psycopg.connect(host=c["HOST"], port=c["PORT"] or 5432, user=c["USER"], dbname=c["NAME"], connect_timeout=3).close()
except Exception as e:
    print(e, file=sys.stderr); sys.exit(1)
PY
}

if pg_up; then
  # a streaming replica on port 5433 for the read-replica router's test (tests/test_replica.py): built once, then
  # only checked (well under a second); in CI a replica that cannot be made fails the run
  REPLICA_URL=""
  if bash scripts/replica.sh; then
    REPLICA_URL=${REPLICA_URL_OVERRIDE:-postgres://postgres@127.0.0.1:${REPLICA_PORT:-5433}/postgres}
  elif [ "${CI:-}" = "true" ]; then
    echo "CI: the PostgreSQL read replica could not be made (scripts/replica.sh)" >&2
    status=1
  fi
  echo "== tests on PostgreSQL ($PG_URL${REPLICA_URL:+, replica $REPLICA_URL}) =="
  DATABASE_URL=$PG_URL DATABASE_REPLICA_URL=$REPLICA_URL $BIN/pytest -p no:cacheprovider -n "$WORKERS" "$@" || status=$?
elif [ "${CI:-}" = "true" ]; then
  echo "CI: PostgreSQL does not answer at $PG_URL; the PostgreSQL run is required in CI" >&2
  status=1
else
  echo "SKIPPED: PostgreSQL run — no server answers at $PG_URL (start PostgreSQL to run the suite on it)"
fi
exit $status
