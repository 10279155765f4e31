# The first two targets are all a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test lint pytest bench browser clean

run: $(STAMP_RUN)
	$(BIN)/condtrack --file conditions.toml status

test: $(STAMP_TEST) lint browser pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check condtrack tests bench
	$(BIN)/ruff format --check condtrack tests bench
	$(BIN)/mypy

pytest: $(STAMP_TEST)
	$(BIN)/pytest

# The HTML report is checked in headless Chromium. Install Debian's package when we can
# (root, apt); the browser test skips with its reason where no browser can be had.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	      >/dev/null 2>&1 && echo "installed chromium"; } || \
	  echo "no chromium: the browser test will be skipped"

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
