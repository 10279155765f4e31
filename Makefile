# The first two targets are all a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

LOCK   := requirements.lock
# pip's own notices (a newer pip, the index's settings) are not for a condtrack user.
PIP    := $(BIN)/python -m pip install --quiet --quiet --disable-pip-version-check

.PHONY: run test lint pytest bench browser clean lock

run: $(STAMP_RUN)
	@$(BIN)/condtrack --file conditions.toml status

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
	@echo "creating $(VENV) (once)"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip  # pip 25.1 or newer reads dependency groups

# Installs take the versions in requirements.lock (pip constraints), so every machine runs
# what the tests ran; `make lock` brings them up to date.
$(STAMP_RUN): $(BIN)/python pyproject.toml $(LOCK)
	@echo "installing condtrack and what it needs into $(VENV)"
	@$(PIP) -c $(LOCK) -e .
	@touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml $(LOCK)
	@echo "installing condtrack and the test tools into $(VENV)"
	@$(PIP) -c $(LOCK) -e . --group dev
	@touch $@ $(STAMP_RUN)

# The newest versions pyproject.toml allows, resolved in a scratch environment, pinned.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet --quiet -e . --group dev
	{ echo "# pip constraints for make run and make test: make lock writes this file"; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable | sort -f; } > $(LOCK)
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
