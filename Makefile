# Two commands: `make run` and `make test`. Each sets itself up on a machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test bench bench-import bench-import-gleif bench-spreadsheet lint format migrate clean

$(STAMP): requirements/base.txt requirements/local.txt requirements/production.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (set PYTHON=python3.x)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/local.txt -r requirements/production.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The seed's output (and its e-mails) first; the address and the login last, just before
# the server starts, with the host and port it really listens on.
run: migrate
	$(BIN)/python manage.py seed_demo
ifdef REDIS_URL
	@echo "Tasks run on the Celery worker (REDIS_URL is set)."
	$(BIN)/python manage.py demo_login --host $(HOST) --port $(PORT)
	HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start -f Procfile.dev
else
	@echo "Tasks run in-process (no REDIS_URL)."
	$(BIN)/python manage.py demo_login --host $(HOST) --port $(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)
endif

test: install
	$(BIN)/pytest

bench: migrate
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# A BODS import of 100k statements and its re-import, in a database of its own.
bench-import: install
	$(BIN)/python -m bench.imports $(BENCH_ARGS)

# A GLEIF golden copy (3M LEI, 600k relationships, 1M exceptions; GLEIF_SCALE=10 for a tenth)
# into an empty database, then a delta of 10,000 changes with its recheck.
GLEIF_SCALE ?= 1
bench-import-gleif: install
	$(BIN)/python -m bench.run --import-gleif --gleif-scale $(GLEIF_SCALE) $(BENCH_ARGS)

# Spreadsheet import: dry run and apply of 10,000 vendors, 10,000 contracts, 10,000 bad rows.
bench-spreadsheet: install
	$(BIN)/python -m bench.spreadsheet $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache
