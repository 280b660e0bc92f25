# Everything runs from a virtual environment inside the repo (.venv, ignored by git).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: help install run test test-postgres lint bench clean

help:
	@echo "make run     set up and serve the API on http://$(HOST):$(PORT)"
	@echo "make test    set up and run the test suite"
	@echo "make lint    run ruff over the code"
	@echo "make bench   run the benchmarks (writes bench/results/)"
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

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check nextstep tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
