# The task runner developers and CI share. `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Two stamps: serve and demo need only tokenledger and its runtime dependencies; the
# other tasks need the dev tools too (pytest, ruff, mypy, the provider SDKs).
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed

.PHONY: help install serve demo test lint format typecheck bench check

help:
	@echo "install    make the virtualenv with tokenledger and its dev tools"
	@echo "serve      run the gateway on 127.0.0.1:8787 with a SQLite ledger here"
	@echo "           (installs tokenledger's runtime dependencies only)"
	@echo "demo       meter recorded requests through a real gateway (no keys needed)"
	@echo "test       run the whole test suite"
	@echo "lint       ruff check;  format: ruff format;  typecheck: mypy --strict"
	@echo "bench      gateway overhead benchmark; writes BENCHMARKS.md"

$(RUNTIME_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

serve: $(RUNTIME_STAMP)
	$(BIN)/tokenledger serve

demo: $(RUNTIME_STAMP)
	$(BIN)/tokenledger demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py

check: lint typecheck test
