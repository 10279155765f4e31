# The first two targets are all a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test lint pytest bench clean

run: $(STAMP_RUN)
	$(BIN)/condtrack --file conditions.toml status

test: $(STAMP_TEST) lint pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check condtrack tests
	$(BIN)/ruff format --check condtrack tests
	$(BIN)/mypy

pytest: $(STAMP_TEST)
	$(BIN)/pytest

bench: $(STAMP_TEST)
	$(BIN)/python bench/bench.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
