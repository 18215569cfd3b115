# The same commands as the README and CI.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install browser compile run test lint check-i18n clean

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

compile: install
	$(FLASK) i18n compile

run: compile
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "Open http://$(HOST):$(PORT)/ — sign in with one of the accounts above."
	$(FLASK) run --host $(HOST) --port $(PORT)

test: compile browser
	$(PY) -m ruff check cabinet tests
	$(FLASK) i18n check
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check cabinet tests

clean:
	rm -rf $(VENV) instance
