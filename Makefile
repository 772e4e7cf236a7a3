# paperpulse: `make run` (install + the real-history warehouse from the bundled listings), `make test` (the whole
# suite, what CI runs), `make test-fast` (the edit-test loop: no Airflow, browser, kill or multi-run tests).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: install run test test-fast lint format clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# A backfill over the bundled arXiv listings (data/listings/: six months), the same code path as daily runs;
# it prints its wall time and peak memory. `paperpulse run --source trending_page` is the one-day quick look.
run: install
	$(BIN)/paperpulse backfill --source listings

# Two pytest-xdist workers (the machine has two cores); each test module stays on one worker, and tests marked
# with the same xdist_group (the Airflow deployments, the tests sharing one built warehouse) run in turn.
# The slowest tests are listed at the end (--durations in pyproject.toml). TESTS=... for other pytest arguments.
TEST_WORKERS ?= 2
TESTS ?=
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PYTEST) $(TESTS)

# Everything not marked slow: no Airflow, no browser, no kill tests, no test of several pipeline runs.
test-fast: install
	$(PYTEST) -m "not slow" $(TESTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf warehouse dbt/target dbt/logs

# Extraction throughput (abstracts/s per core, whole process, beside a bare spaCy tokenizer) and peak memory on
# a month of real distinct abstracts, ../shared/data/arxiv_listings/2025-02.jsonl.gz (skipped when absent);
# LISTINGS=papers.jsonl[.gz] for another file.
LISTINGS ?=
.PHONY: bench-extract
bench-extract: install
	$(BIN)/python -m extract.training.bench $(LISTINGS)

# A 30-day backfill from simulated Hugging Face days on the local fault server: wall time and row counts.
.PHONY: bench-backfill
bench-backfill: install
	$(BIN)/python -m tests.simulate_backfill --days 30 --papers 75 --fault-rate 0.2

# The backfill and the daily increment on real listings: ../shared's 93,000 (skipped when absent), or
# LISTINGS_DIR=folder of YYYY-MM.jsonl[.gz] files. Takes a while: run it on an otherwise quiet machine.
LISTINGS_DIR ?= ../shared/data/arxiv_listings
.PHONY: bench-listings
bench-listings: install
	$(BIN)/paperpulse bench --listings $(LISTINGS_DIR)

# The dbt docs site (one self-contained HTML file under $(PAPERPULSE_HOME)/dbt/docs) and the gates' Great
# Expectations Data Docs ($(PAPERPULSE_HOME)/gx/data_docs/index.html); needs a run first.
.PHONY: docs dashboard
docs: install
	$(BIN)/paperpulse docs

# The dashboard on http://localhost:8501 over the published marts (PORT=... to change it).
PORT ?= 8501
dashboard: install
	$(BIN)/python -m streamlit run paperpulse/dashboard.py --server.address localhost --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false --server.fileWatcherType none \
		--client.toolbarMode viewer

# The pipeline at scale on synthetic papers: a 1,000,000-paper backfill, a daily increment beside the same day
# into an empty warehouse and beside a full rebuild, and dashboard reads while a run publishes (README: Scale).
# Needs ~15 GB free under $$TMPDIR; run it on an otherwise idle machine. PAPERS=20000 for a quick one.
PAPERS ?= 1000000
.PHONY: bench
bench: install
	$(BIN)/paperpulse bench --papers $(PAPERS)

# The README's example outputs, regenerated through `paperpulse query` on a fresh warehouse built as `make run`
# builds it (the bundled listings), and the summary that backfill printed; tests/test_readme.py runs the same
# script with --check.
.PHONY: readme
readme: install
	home=$$(mktemp -d) && PAPERPULSE_LOG_LEVEL=WARNING PAPERPULSE_HOME=$$home/warehouse $(BIN)/paperpulse backfill --source listings > $$home/summary.txt \
		&& $(BIN)/python scripts/readme_examples.py --write --home $$home/warehouse --summary $$home/summary.txt; \
		status=$$?; rm -rf "$$home"; exit $$status
