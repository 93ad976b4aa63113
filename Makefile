# longerlives — two commands on a fresh Linux machine: `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_EXTRACT := demo/extract
DEMO_OUT := demo/out
DEMO_AS_OF ?= 2026-11-01

.PHONY: demo test test-fast lint format bench setup system-deps services-start services-stop clean docs serve bench-web
DEMO_DB := sqlite:///demo/runs.sqlite

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) system-deps

# Debian packages the tests and PDF letters need (fonts, harfbuzz subsetting). Best effort without root.
system-deps:
	@bash scripts/system-deps.sh

demo: setup
	@if [ ! -d $(DEMO_EXTRACT) ]; then \
	  echo "Making a synthetic demo extract of 5,000 people in $(DEMO_EXTRACT) ..."; \
	  $(BIN)/longerlives synth --patients 5000 --seed 42 --out $(DEMO_EXTRACT) --format csv --as-of $(DEMO_AS_OF); \
	fi
	$(BIN)/longerlives run --extract $(DEMO_EXTRACT) --out $(DEMO_OUT) --as-of $(DEMO_AS_OF) --db $(DEMO_DB)
	@$(BIN)/python -m longerlives.demo_summary $(DEMO_OUT)
	@$(BIN)/python -m longerlives.web.demo_accounts $(DEMO_DB)

# The web worklist over the demo run store (http://127.0.0.1:8000/); DB=URL for another store.
serve: setup
	$(BIN)/longerlives serve --db $(or $(DB),$(DEMO_DB)) --host 127.0.0.1 --port $(or $(PORT),8000)

# Web load benchmark: 50 signed-in users on a 3,000-person team list, PostgreSQL (docs/benchmarks.md).
bench-web: setup
	$(BIN)/python -m bench.web_load --write-doc

# Lint and type checks (ruff, mypy at the strictness stated in pyproject.toml); run by `make test`.
lint: $(STAMP)
	$(BIN)/ruff check longerlives tests bench
	$(BIN)/ruff format --check longerlives tests bench
	$(BIN)/mypy longerlives

format: $(STAMP)
	$(BIN)/ruff format longerlives tests bench

# The inner loop: every test that needs no service (no PostgreSQL, no MESH sandbox).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not postgres and not mesh" -x

test: setup lint
	@bash scripts/services.sh start
	@set -o pipefail; $(BIN)/python -m pytest; status=$$?; bash scripts/services.sh stop; exit $$status

# PostgreSQL is started for the store benchmark's PostgreSQL nights (session 16's bench found it down).
# The engine's bytecode compiled first, as pip compiles an installed package: the editable install
# leaves it to each run, and a machine with PYTHONDONTWRITEBYTECODE set compiled it in every run (0.2 s).
bench: setup
	@$(BIN)/python -m compileall -q longerlives
	@bash scripts/services.sh start || echo "bench: services did not start; the store benchmark runs on SQLite only"
	@set -o pipefail; $(BIN)/python -m bench.run_all; status=$$?; bash scripts/services.sh stop; exit $$status

docs: setup
	$(BIN)/python -m longerlives.rules.catalogue

clean:
	rm -rf demo bench-data .pytest_cache
