# The two commands a newcomer needs: `make serve` and `make test`. Both set up .venv/ first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt Makefile | cksum | cut -d' ' -f1)
export NO_MKDOCS_2_WARNING := 1
# Pages print sets and dicts: their order must not change from run to run (engine/sandbox.py).
export PYTHONHASHSEED := 0

.PHONY: setup serve build test check lint format outputs report lock clean

setup: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	# The build hooks and the tests import the engine (engine/): put the project on the path.
	$(BIN)/python -c "import site, pathlib; pathlib.Path(site.getsitepackages()[0], 'course.pth').write_text('$(CURDIR)\n')"
	rm -f $(VENV)/.installed-*
	touch $@

serve: $(STAMP) ## serve the site on http://127.0.0.1:8000, rebuilding on every change
	$(BIN)/mkdocs serve

build: $(STAMP) ## build the site into site/ (strict: any warning fails)
	$(BIN)/mkdocs build --strict

test: $(STAMP) ## every test, lint included: pages, snippets, examples, the built site
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(STAMP) ## one page or example and the tests that depend on it: make check PAGE=tensors
	@test -n "$(PAGE)" || { echo "usage: make check PAGE=<page or example name, e.g. tensors>"; exit 2; }
	$(BIN)/python -m pytest -k "$(PAGE)"

outputs: $(STAMP) ## rewrite the outputs shown in pages' >>> blocks from a real run (PAGE=docs/x.md: one)
	$(BIN)/python -m engine refresh $(PAGE)

report: $(STAMP) ## time the tests and builds, weigh the pages, against the budgets
	$(BIN)/python -m tools.perf_report

lock: $(STAMP) ## re-pin requirements.txt from what .venv has
	{ sed -n '1,2p' requirements.txt; $(BIN)/python -m pip freeze --exclude-editable | sed 's/^torch==\([0-9.]*\)+cpu/torch==\1/'; } > requirements.tmp
	mv requirements.tmp requirements.txt

clean: ## remove the built site and every stored result (the next run executes everything)
	rm -rf site .cache .pytest_cache
