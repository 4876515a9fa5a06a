# thbscan developer entry points. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.thbscan-installed

.PHONY: install demo demo-json test test-all lint unit integration bench audit clean model-emscad \
	model-corpus

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres,redis,scrapyd]'
	touch $(STAMP)

install: $(STAMP)

## demo: full scan of the bundled fixture site, then the review UI on http://127.0.0.1:8000/
demo: $(STAMP)
	$(BIN)/thbscan demo

## demo-json: the same scan without the UI; prints one JSON line of counts
demo-json: $(STAMP)
	$(BIN)/thbscan demo --no-serve --json

## test: lint, dependency-direction contracts and the tests, without the slow ones (a few
## minutes; property tests try a sample of their examples). One test process per core
## (pytest-xdist): each test has its own database schema, files and ports.
test: $(STAMP) lint
	$(BIN)/pytest -n auto -m "not slow"

## test-all: everything, every property-test example included (what CI runs)
test-all: $(STAMP) lint
	THBSCAN_TEST_ALL=1 $(BIN)/pytest -n auto --durations=15

## lint: style (ruff), formatting, types (mypy) and the dependency contracts
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

## bench: scoring and crawling benchmarks (figures printed, not asserted)
bench: $(STAMP)
	$(BIN)/python -m benchmarks

## model-emscad: the text model trained on EMSCAD's development split in $THBSCAN_REAL_DATA
## (cross-validated figures, at the real prevalence), then evaluated on every other EMSCAD
## file there (held-out rows); the model goes to build/models/emscad-dev (docs/models.md)
EMSCAD_MODEL ?= build/models/emscad-dev
model-emscad: $(STAMP)
	@test -f "$(THBSCAN_REAL_DATA)/emscad/emscad_dev.csv" || { echo "set THBSCAN_REAL_DATA to a directory with emscad/emscad_dev.csv" >&2; exit 2; }
	rm -rf $(EMSCAD_MODEL)
	$(BIN)/thbscan model train --dataset emscad "$(THBSCAN_REAL_DATA)/emscad/emscad_dev.csv" \
		--out $(EMSCAD_MODEL) --prevalence 0.0484
	@for f in "$(THBSCAN_REAL_DATA)"/emscad/*.csv; do \
		case "$$f" in */emscad_dev.csv) continue;; esac; \
		echo "== held out: $$f"; \
		$(BIN)/thbscan model evaluate --dataset emscad "$$f" --model $(EMSCAD_MODEL) \
			--prevalence 0.0484 || exit 1; \
	done

## model-corpus: the second-opinion model of the blind corpus's development split, into
## build/models/corpus-dev (the shipped 2.17.0 is this, with --version 2.17.0 in the registry)
CORPUS_MODEL ?= build/models/corpus-dev
model-corpus: $(STAMP)
	rm -rf $(CORPUS_MODEL)
	$(BIN)/thbscan model train --dataset corpus --config models/corpus.toml \
		--out $(CORPUS_MODEL) --version 2.17.0 --raises-alone-at 0.98

## audit: known vulnerabilities in the installed dependencies (R19); needs the PyPI or OSV
## vulnerability service, which a machine with only a package mirror cannot reach
audit: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[audit]'
	$(BIN)/python .ci/audit.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache thbscan-demo.db* thbscan-events.jsonl
