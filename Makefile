# Everything runs from a virtual environment inside the repo (.venv, ignored by git).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: help install run test test-postgres lint bench bench-wrk test-packages clean

help:
	@echo "make run     set up and serve the API on http://$(HOST):$(PORT)"
	@echo "make test    set up and run the test suite"
	@echo "make lint    run ruff over the code"
	@echo "make bench   run the benchmarks with wrk (writes bench/results/)"
	@echo "make clean   remove the virtual environment and caches"

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,redis,postgresql,lint]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/nextstep init-db
	$(BIN)/nextstep bootstrap-demo --host $(HOST) --port $(PORT)
	$(BIN)/nextstep serve --host $(HOST) --port $(PORT)

test: $(STAMP) test-packages
	$(BIN)/pytest

# Debian packages some tests drive (nginx in front of a real server; jq for the walk-through
# of docs/authoring.md; headless chromium reading /api/v1/docs). Installed when missing and
# we may (root with apt-get); otherwise those tests skip and say why.
TEST_PACKAGES := nginx-light jq chromium
TEST_COMMANDS := nginx jq chromium
test-packages:
	@missing=""; for c in $(TEST_COMMANDS); do command -v $$c >/dev/null 2>&1 || \
	  [ -x /usr/sbin/$$c ] || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq $(TEST_PACKAGES) >/dev/null; \
	  else \
	    echo "Note: $(TEST_PACKAGES) not installed (needs root and apt-get); the tests" \
	         "that drive them will be skipped."; \
	  fi; fi

lint: $(STAMP)
	$(BIN)/ruff check nextstep tests bench

# BENCH_ARGS shortens a run, e.g. make bench BENCH_ARGS="--only patch --rounds 1 --seconds 2"
bench: $(STAMP) bench-wrk
	$(BIN)/python -m bench $(BENCH_ARGS)

# wrk loads the servers; installed here when missing and we may (root with apt-get).
bench-wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq wrk; \
	  else \
	    echo "make bench needs wrk (https://github.com/wg/wrk): install it, e.g." \
	         "'sudo apt-get install wrk' on Debian or Ubuntu, 'brew install wrk' on macOS," \
	         "then run make bench again." >&2; \
	    exit 1; \
	  fi; }

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
