#!/usr/bin/env bash
# `make loadtest`: Locust against `make serve` on 127.0.0.1 with the city-scale demo.
#   USERS (default 50) concurrent people arriving SPAWN_RATE (default 2) a second
#   (200 logins at once would be a minute of PBKDF2 on both cores), DURATION
#   (default 5m), PORT (default 8000).
# Starts `make serve` itself when nothing answers on the port (DATABASE_URL must
# point at a PostgreSQL database it may fill with the demo), seeding the
# city-scale demo first when the database is empty; stops what it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
export PORT
started=""
if ! curl -fsS "http://127.0.0.1:$PORT/health/" >/dev/null 2>&1; then
  db="${DATABASE_URL##*/}"
  DEBUG=0 "$PY" manage.py migrate --noinput -v0
  DEBUG=0 "$PY" manage.py seed_demo --scale city --if-empty --throwaway-db "$db"
  config/deploy/serve.sh > var/loadtest-serve.log 2>&1 &
  started=$!
  trap 'kill $started 2>/dev/null; wait $started 2>/dev/null || true' EXIT
  for _ in $(seq 60); do
    curl -fsS "http://127.0.0.1:$PORT/health/" >/dev/null 2>&1 && break
    sleep 1
  done
fi
# Locust's own summary table goes to stderr; the lines it prints at the end
# (one per journey step, then `load: …`) are what this command reports.
.venv/bin/locust -f config/load/locustfile.py --headless --only-summary \
  --users "${USERS:-50}" --spawn-rate "${SPAWN_RATE:-2}" --run-time "${DURATION:-5m}" \
  --stop-timeout 10 2>var/loadtest-locust.log
