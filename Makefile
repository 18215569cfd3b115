# The same commands as the README and CI.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

# Python caches compiled modules, and pytest its assertion-rewritten test modules, as bytecode (__pycache__, ignored by
# git). With PYTHONDONTWRITEBYTECODE set (some shells and images set it) every process compiles the cabinet and every
# xdist worker rewrites every test module again: about 10 s of collection per worker instead of 1.
unexport PYTHONDONTWRITEBYTECODE

# A target's prerequisites side by side (db-check beside the static checks, a few seconds each; the tests wait for
# both). The recipes' own lines still run in order.
MAKEFLAGS += --jobs=2

.PHONY: install browser compile run static test-db test check load-ci lint check-i18n i18n db-check package-check clean bench load scan

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# Debian's Chromium for the browser tests (never `playwright install`).
browser:
	@test -x /usr/lib/chromium/chromium || test -x /usr/bin/chromium || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; \
	    else echo "Install Chromium for the browser tests: sudo apt-get install chromium fonts-dejavu-core"; fi; }

# the live catalogs (instance/translations, seeded from cabinet/translations at the first start) compiled to .mo
compile: install
	$(FLASK) i18n compile

# the committed catalogs (cabinet/translations): what `i18n check` guards and `i18n` refreshes from the code
PACKAGED_I18N := CABINET_TRANSLATIONS_DIR=cabinet/translations $(FLASK)

check-i18n: install
	$(PACKAGED_I18N) i18n check

# after changing strings: the template from the code, merged into both committed catalogs
i18n: install
	$(PACKAGED_I18N) i18n extract
	$(PACKAGED_I18N) i18n update

# the models and the migrations agree (Alembic autogenerate finds nothing to add), on a throw-away database: SQLite, or
# one on the PostgreSQL server in CABINET_TEST_DATABASE_URL
db-check: install
	$(PY) .ci/db-check

# `pip install .` (not editable) into a fresh venv, then the installed cabinet migrates, loads the demo and serves
package-check: install
	VENV=$(VENV) .ci/package-check

run: compile
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) documents dev-cert
	@echo "Open http://$(HOST):$(PORT)/ — sign in with one of the accounts above. Mail: the worker writes it to instance/outbox/."
	PATH="$(abspath $(VENV))/bin:$$PATH" HOST=$(HOST) $(VENV)/bin/honcho start -f Procfile -p $(PORT)

# Tests run on every core (pytest-xdist; each worker its own database and folders). WORKERS=0 runs them in one process.
WORKERS ?= auto
XDIST = $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist worksteal)

# What no database changes: ruff, the import layers, the committed catalogs. (The tests read catalogs of their own,
# seeded from the package: neither this nor the test targets need the live ones compiled.)
static: install
	$(PY) -m ruff check cabinet tests benchmarks
	$(VENV)/bin/lint-imports
	$(PACKAGED_I18N) i18n check

# Everything but the load runs (those are `make load-ci`): a few minutes
test: install browser db-check static
	$(PY) -m pytest $(XDIST)

# What the database (CABINET_TEST_DATABASE_URL) can change: the migrations against the models, and the tests that reach
# the database (tests/database_only.py). CI runs it on PostgreSQL after `make test` on SQLite, which ran the rest.
test-db: install db-check
	$(PY) -m pytest $(XDIST) -p tests.database_only

# The inner loop, under a minute: no browser, no load, none of the slow ones (marker `slow`; see tests/conftest.py)
check: install db-check static
	$(PY) -m pytest $(XDIST) -q -m "not browser and not load and not slow"

# The load and fault runs (marker `load`) on their own, one at a time: every CI run keeps them as evidence
load-ci: compile
	$(PY) -m pytest -m load -s

lint: install
	$(PY) -m ruff check cabinet tests benchmarks

# Benchmarks (not tests): pages under gunicorn + wrk beside a bare and a template+query page, empty vs generated
# database (100k subjects, 1M audit events, 100k complaints), single operations; SQLite and PostgreSQL.
BENCH_POSTGRES ?= postgresql+psycopg://postgres@127.0.0.1:5432
bench: compile
	@command -v wrk >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq wrk; else echo "sudo apt-get install wrk"; exit 1; fi; }
	$(PY) benchmarks/run.py --postgres $(BENCH_POSTGRES) --rounds 3 --output bench-data/results.md

# 50 simulated subjects for a minute, then the fault run (kill -9 of a worker; PostgreSQL restart when given one)
load: compile
	$(PY) -m pytest tests/test_load.py -m load -s

# Wapiti (its own venv, .venv-wapiti) against a throw-away cabinet, signed in as a subject and as staff
scan: compile
	bash benchmarks/scan.sh

clean:
	rm -rf $(VENV) instance
