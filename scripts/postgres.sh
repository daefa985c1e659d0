#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, under var/postgres, listening on 127.0.0.1 only.
#   scripts/postgres.sh start|stop|url
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${COPRO_PG_PORT:-54329}"
DATA="$PWD/var/postgres/data"
RUN="$PWD/var/postgres/run"
BINDIR="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-}" in
  start)
    mkdir -p "$DATA" "$RUN"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$PWD/var/postgres"
    if [ ! -f "$DATA/PG_VERSION" ]; then
      as_pg "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      # fsync off: a test database need not survive a power cut, and tests run much faster.
      as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$PWD/var/postgres/log" -w start \
        -o "-p $PORT -k $RUN -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    as_pg "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='copro'" | grep -q 1 \
      || as_pg "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE ROLE copro LOGIN CREATEDB PASSWORD 'copro'"
    as_pg "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='copro'" | grep -q 1 \
      || as_pg "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE copro OWNER copro"
    ;;
  stop)
    as_pg "$BINDIR/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
  url)
    echo "postgres://copro:copro@127.0.0.1:$PORT/copro"
    ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
