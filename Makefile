# The two commands of the quick start. Each sets up what it needs on a fresh machine first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check setup

# The app alone: all `make run` needs (a few hundred MB less than the test tools).
$(BIN)/hyperzoom: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# What the tests use besides: ruff, pytest, Playwright, Optuna, Ray, PostgreSQL's driver.
$(VENV)/.dev: $(BIN)/hyperzoom
	$(BIN)/pip install --quiet -e . --group dev
	touch $@

setup: $(VENV)/.dev

run: $(BIN)/hyperzoom  ## migrate, seed the demo, start the server on 127.0.0.1:8000 and two workers
	$(BIN)/hyperzoom demo

test: setup  ## lint, format check, all tests
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/pytest

check: setup  ## the inner loop: lint, format check, the fast tests (no servers, browsers, PostgreSQL)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/pytest -q -n 2 -m "not slow and not postgresql"
