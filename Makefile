# 党建台账 – the two commands a newcomer needs are `make run` and `make test`.
# Debian's python3.11 when the machine has it: built with profile-guided and
# link-time optimisation, it runs the test suite a tenth faster than a default
# build from source (as pyenv's is).
PYTHON ?= $(or $(wildcard /usr/bin/python3.11),python3.11)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SCALE ?= small
export DEBUG ?= 1

.PHONY: run serve test bench loadtest restore-drill lint install chromium clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the pinned dependencies change.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	@# The worker (big imports; it purges expired uploads first) runs beside
	@# the web server and stops with it.
	$(PY) manage.py worker & worker=$$!; trap "kill $$worker" EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

# The app as production runs it, on this machine: DEBUG off, PostgreSQL from
# DATABASE_URL, SECRET_KEY and ALLOWED_HOSTS from the environment or .env
# (it refuses to start without them), gunicorn and two task workers.
serve: install
	config/deploy/serve.sh

# Browser tests need Debian's Chromium; install it when missing and we can.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Chromium and CJK fonts with apt-get…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install chromium fonts-noto-cjk'." >&2; exit 1; \
	  fi; \
	fi

test: install chromium
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bench --scale $(SCALE)

LOAD_STAMP := $(VENV)/.installed-load
$(LOAD_STAMP): pyproject.toml | $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,load]"
	touch $(LOAD_STAMP)

# Locust against `make serve` with the city-scale demo (README, "Deploying").
loadtest: $(LOAD_STAMP)
	config/load/run.sh

# Dump the database of DATABASE_URL, restore it into a scratch database and compare counts.
restore-drill: install
	$(PY) manage.py restore_drill

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) var db.sqlite3*
