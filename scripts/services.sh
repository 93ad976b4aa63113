#!/usr/bin/env bash
# Local services for the test suite, on 127.0.0.1 only:
#   * PostgreSQL 15 (Debian cluster 15/main) with a throwaway role and database;
#   * mesh-sandbox (NHS MESH API) in its own venv .tools/mesh-venv, because it pins
#     fastapi==0.150.0 and must not hold back the application's dependencies.
#
# usage: scripts/services.sh start|stop|status|env [postgres|mesh]
# `make test` runs `start` before pytest and `stop` after. Idempotent: starting a
# running service does nothing. Throwaway credentials, loopback only: test use only.
#
# The services are the machine's, not one checkout's: every `start` takes a lease for its
# checkout in $SERVICES_STATE (/tmp/longerlives-services), and `stop` gives it back and
# stops a service only when no other checkout holds one — and only if one of these
# scripts started it. Session 21 of issue 16 found `make bench` in one checkout stopping
# the PostgreSQL that `make test` in another was using, mid-run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_PORT="${PG_PORT:-5432}"
PG_ROLE="${PG_ROLE:-longerlives}"
PG_PASSWORD="${PG_PASSWORD:-longerlives}"
PG_DB="${PG_DB:-longerlives_test}"
MESH_PORT="${MESH_PORT:-8700}"
MESH_SHARED_KEY="${MESH_SHARED_KEY:-TestKey}"
MESH_VENV="$TOOLS/mesh-venv"
MESH_DATA="$TOOLS/mesh-data"
MESH_LOG="$TOOLS/mesh.log"
SERVICES_STATE="${SERVICES_STATE:-/tmp/longerlives-services}"
LEASE="${SERVICES_LEASE:-$(printf '%s' "$ROOT" | sha256sum | cut -c1-16)}"  # this checkout
PG_MARK="$SERVICES_STATE/postgres.started-by-us"
MESH_PID="$SERVICES_STATE/mesh-$MESH_PORT.pid"  # the sandbox on that port, whichever checkout started it

take_lease() { mkdir -p "$SERVICES_STATE"; touch "$SERVICES_STATE/$1.lease.$LEASE"; }

# Give this checkout's lease back; succeed (0) when no other checkout holds one.
give_back_lease() {
  rm -f "$SERVICES_STATE/$1.lease.$LEASE"
  if compgen -G "$SERVICES_STATE/$1.lease.*" >/dev/null; then
    echo "services: $1 left running (another checkout is using it)"
    return 1
  fi
}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else su postgres -c "$(printf '%q ' "$@")"; fi
}

pg_running() {
  pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {print $4}' | grep -q online
}

pg_start() {
  command -v pg_ctlcluster >/dev/null || { echo "services: PostgreSQL (pg_ctlcluster) is not installed; apt-get install -y postgresql" >&2; return 1; }
  mkdir -p "$TOOLS"
  take_lease postgres
  if ! pg_running; then
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT"
    touch "$PG_MARK"
  fi
  for _ in $(seq 1 50); do
    as_postgres psql -p "$PG_PORT" -Atqc "select 1" >/dev/null 2>&1 && break
    sleep 0.2
  done
  if [ "$(as_postgres psql -p "$PG_PORT" -Atqc "select 1 from pg_roles where rolname='$PG_ROLE'")" != 1 ]; then
    as_postgres psql -p "$PG_PORT" -qc "CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
  fi
  if [ "$(as_postgres psql -p "$PG_PORT" -Atqc "select 1 from pg_database where datname='$PG_DB'")" != 1 ]; then
    as_postgres createdb -p "$PG_PORT" -O "$PG_ROLE" "$PG_DB"
  fi
  echo "services: postgres up on 127.0.0.1:$PG_PORT (role $PG_ROLE, db $PG_DB)"
}

pg_stop() {
  # only stop a cluster this script started (another user's server is left alone), once no
  # other checkout holds a lease on it
  give_back_lease postgres || return 0
  if [ -f "$PG_MARK" ] && pg_running; then
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop
    echo "services: postgres stopped"
  fi
  rm -f "$PG_MARK"
}

mesh_install() {
  if [ ! -x "$MESH_VENV/bin/uvicorn" ] || ! "$MESH_VENV/bin/python" -c "import mesh_sandbox" 2>/dev/null; then
    mkdir -p "$TOOLS"
    python3 -m venv "$MESH_VENV"
    "$MESH_VENV/bin/pip" install -q -r "$ROOT/scripts/mesh-sandbox-requirements.txt"
  fi
}

mesh_healthy() {
  python3 - "$MESH_PORT" <<'PY' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1).read()
PY
}

mesh_start() {
  take_lease "mesh-$MESH_PORT"
  if mesh_healthy; then echo "services: mesh-sandbox already up on 127.0.0.1:$MESH_PORT"; return 0; fi
  mesh_install
  mkdir -p "$MESH_DATA"
  cd "$TOOLS"
  STORE_MODE=file MAILBOXES_DATA_DIR="$MESH_DATA" AUTH_MODE=full SHARED_KEY="$MESH_SHARED_KEY" \
    nohup "$MESH_VENV/bin/uvicorn" mesh_sandbox.api:app --host 127.0.0.1 --port "$MESH_PORT" --workers=1 \
    </dev/null >"$MESH_LOG" 2>&1 &
  echo $! >"$MESH_PID"
  cd "$ROOT"
  for _ in $(seq 1 100); do
    mesh_healthy && { echo "services: mesh-sandbox up on 127.0.0.1:$MESH_PORT"; return 0; }
    sleep 0.2
  done
  echo "services: mesh-sandbox did not start; see $MESH_LOG" >&2
  return 1
}

mesh_stop() {
  give_back_lease "mesh-$MESH_PORT" || return 0
  if [ -f "$MESH_PID" ]; then
    kill "$(cat "$MESH_PID")" 2>/dev/null || true
    rm -f "$MESH_PID"
    echo "services: mesh-sandbox stopped"
  fi
}

print_env() {
  echo "LONGERLIVES_TEST_PG_URL=postgresql+psycopg://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
  echo "LONGERLIVES_TEST_MESH_URL=http://127.0.0.1:$MESH_PORT"
  echo "LONGERLIVES_TEST_MESH_SHARED_KEY=$MESH_SHARED_KEY"
}

cmd="${1:-status}"; what="${2:-all}"
case "$cmd:$what" in
  start:all) pg_start; mesh_start ;;
  start:postgres) pg_start ;;
  start:mesh) mesh_start ;;
  stop:all) mesh_stop; pg_stop ;;
  stop:postgres) pg_stop ;;
  stop:mesh) mesh_stop ;;
  install:*) mesh_install ;;
  env:*) print_env ;;
  status:*)
    if pg_running; then echo "postgres: up"; else echo "postgres: down"; fi
    if mesh_healthy; then echo "mesh-sandbox: up"; else echo "mesh-sandbox: down"; fi ;;
  *) echo "usage: $0 start|stop|status|env|install [postgres|mesh]" >&2; exit 2 ;;
esac
