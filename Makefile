# sequex: every target creates the virtualenv and installs what it needs, so a fresh clone works.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config/demo.toml

.PHONY: run test lint fmt bench stress clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sequex run --config $(CONFIG)

lint: $(STAMP)
	$(BIN)/ruff check disruptor journal engine tools tests perf
	$(BIN)/ruff format --check disruptor journal engine tools tests perf
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format disruptor journal engine tools tests perf
	$(BIN)/ruff check --fix disruptor journal engine tools tests perf

test: $(STAMP) lint
	$(BIN)/python -m pytest -q -m "not stress" -p no:cacheprovider

stress: $(STAMP)
	SEQUEX_STRESS_SECONDS=$${SEQUEX_STRESS_SECONDS:-120} $(BIN)/python -m pytest -q -m stress -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python perf/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
