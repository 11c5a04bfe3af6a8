# Two commands do all set-up: `make run` (the app) and `make test` (the whole test suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run index test bench clean

$(BIN)/qa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $@

setup: $(BIN)/qa

index: setup
	$(BIN)/qa index

run: index
	$(BIN)/qa chat

test: setup
	$(BIN)/pytest

bench: index
	$(BIN)/python benchmarks/core.py

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT reports artifacts
