# The README's two commands: `make run` and `make test`. `make bench` prints the benchmark figures.
VENV := .venv
BIN := $(VENV)/bin
export OBSERVATORY_HOME ?= $(CURDIR)/var

.PHONY: setup system-packages run test lint bench messages clean

$(VENV)/.installed: pyproject.toml package.json
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	npm install --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/world_geometry.py
	touch $@

setup: $(VENV)/.installed
	$(BIN)/observatory init --sample

# What the tests need from the system: a PostgreSQL server for the database tests.
system-packages:
	bash scripts/system-packages.sh

# The public data files beside the project (../shared/data), when present; loading again skips what is loaded.
DATA ?= ../shared/data
run: setup
	if [ -d "$(DATA)" ]; then $(BIN)/observatory data load "$(DATA)"; fi
	$(BIN)/observatory serve --host 127.0.0.1 --port 8000

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	PYTHONPATH=. $(BIN)/lint-imports --no-cache

test: system-packages setup lint
	$(BIN)/pytest

# Refresh the French catalog from the interface strings (then translate what is new).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k g -k N_ -o var/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i var/messages.pot -d src/observatory/i18n/locale -l fr --no-wrap --ignore-obsolete

# Every benchmark: bench/run.py (pledge registry and web) and one script per capability.
# `make bench BENCH=bench/network.py` runs one.
BENCH ?= $(wildcard bench/*.py)
bench: setup
	set -e; for b in $(BENCH); do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) var bench/out
