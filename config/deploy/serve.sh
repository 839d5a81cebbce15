#!/usr/bin/env bash
# `make serve`: the app as it runs in production, on this machine – DEBUG off,
# PostgreSQL, static files collected, gunicorn with several worker processes
# and background task workers beside it. Stops them all on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
export DEBUG=0
# Without a TLS proxy in front, secure-only cookies never come back over
# http://127.0.0.1; a site behind nginx with TLS leaves HTTPS on (the default).
export HTTPS="${HTTPS:-0}"

"$PY" manage.py preflight
"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput --verbosity 0

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for _ in $(seq "${TASK_WORKERS:-2}"); do
  "$PY" manage.py worker &
  pids+=($!)
done
.venv/bin/gunicorn config.wsgi --config config/deploy/gunicorn.conf.py &
pids+=($!)
wait -n
