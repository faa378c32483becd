# Brygga — developer commands. Everything runs inside .venv, created on demand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: demo serve test test-fast bench lint format messages wheel clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/brygga migrate --no-input
	$(BIN)/brygga demo --no-serve
	$(BIN)/brygga runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not browser" $(PYTEST_ARGS)

# The Citus benchmark (bench/bench_citus.py) skips itself, with a message, when Citus is not
# installed; with it, the default 10 M incidents take an hour or more on 2 cores; smaller:
# make bench BENCH_CITUS_ARGS="--rows 2000000"
BENCH_CITUS_ARGS ?=
# The dashboard benchmark (1M vs 10k incidents, SQLite and PostgreSQL) takes ~45 min on 2 cores;
# smaller: make bench BENCH_DASHBOARD_ARGS="--rows 200000 --backend postgres"
BENCH_DASHBOARD_ARGS ?=
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run_analysis.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_endpoints.py
	$(BIN)/python bench/bench_pdf.py
	$(BIN)/python bench/bench_dashboard.py $(BENCH_DASHBOARD_ARGS)
	$(BIN)/python bench/bench_citus.py $(BENCH_CITUS_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check brygga tests bench
	$(BIN)/ruff format --check brygga tests bench

format: $(VENV)/.installed-dev
	$(BIN)/ruff format brygga tests bench
	$(BIN)/ruff check --fix brygga tests bench

messages: $(VENV)/.installed-dev
	cd brygga && ../$(BIN)/brygga makemessages -l sv -l en --no-obsolete --ignore 'static/*'
	cd brygga && ../$(BIN)/brygga compilemessages

# A wheel built from a clean copy of the files git knows (committed or not, ignored ones left
# out), so no stale build/ directory can put deleted files back into it.
# Output: dist/brygga-VERSION-py3-none-any.whl
wheel: | $(BIN)/python
	rm -f dist/brygga-*.whl
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  git ls-files -z -co --exclude-standard \
	    | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -x -C "$$tmp" && \
	  $(BIN)/pip wheel --quiet --no-deps -w dist "$$tmp"
	@ls -1 dist/brygga-*.whl

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache dist
