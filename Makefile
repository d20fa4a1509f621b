# Two entry points: `make run` and `make test`. Both set everything up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 2
export FLASK_APP := wsgi

.PHONY: run test test-sqlite test-postgres install install-dev translations setup bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d translations

setup: install translations
	$(BIN)/flask db upgrade
	$(BIN)/flask reference load
	$(BIN)/flask users ensure-admin

run: setup
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers $(WORKERS) --access-logfile - \
		--access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)s' wsgi:app

# The suite runs on SQLite, then on PostgreSQL when TEST_DATABASE_URL names a server
# (.ci/run starts one). In CI a missing server fails the run instead of skipping it.
test: install-dev translations
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL"; TEST_DATABASE_URL="$$TEST_DATABASE_URL" $(BIN)/python -m pytest -q -p no:cacheprovider; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests cannot be skipped in CI" >&2; exit 1; \
	else echo "(TEST_DATABASE_URL not set: PostgreSQL run skipped)"; fi

bench: install-dev
	$(BIN)/python -m bench.coding

clean:
	rm -rf $(VENV) instance/*.sqlite translations/*/LC_MESSAGES/*.mo
