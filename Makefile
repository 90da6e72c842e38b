# `make demo` compiles and runs an example on the local simulator; `make test` runs `make lint` (ruff, mypy) and the tests.
# Both create the virtual environment .venv with Python 3.12+ (found by scripts/find-python).

VENV    ?= .venv
PY      := $(VENV)/bin/python
LLV     := $(VENV)/bin/llv
STAMP   := $(VENV)/.installed-stamp
EXTRAS  ?= run,sim,lsp,direct,dev
OUT     ?= out
JS_E2E  := tests/e2e/js
JS_STAMP := $(JS_E2E)/node_modules/.installed-stamp

.PHONY: demo test lint bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml scripts/find-python
	@py=$$(scripts/find-python) || exit 1; \
	  echo "creating $(VENV) with $$py"; \
	  "$$py" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	@touch $@

DEMO    ?= examples/ratatouille.llv
DEMO_NAME := $(basename $(notdir $(DEMO)))

# Lint, plan and compile the demo storyboard, run it on the local simulator (started and stopped by
# `llv run`), then check the trace against the plan and write its report. Leaves out/NAME.mp4,
# out/NAME.trace.jsonl and out/NAME.report.html.
demo: $(STAMP)
	@mkdir -p $(OUT)
	$(LLV) lint $(DEMO)
	$(LLV) plan $(DEMO)
	$(LLV) compile $(DEMO) --json -o $(OUT)/$(DEMO_NAME).program.json
	$(LLV) run $(DEMO) --video $(OUT)/$(DEMO_NAME).mp4 --trace $(OUT)/$(DEMO_NAME).trace.jsonl
	$(LLV) verify $(OUT)/$(DEMO_NAME).trace.jsonl $(DEMO)
	$(LLV) report $(OUT)/$(DEMO_NAME).trace.jsonl $(DEMO) --video $(OUT)/$(DEMO_NAME).mp4 -o $(OUT)/$(DEMO_NAME).report.html
	@echo "video: $(OUT)/$(DEMO_NAME).mp4  trace: $(OUT)/$(DEMO_NAME).trace.jsonl  program: $(OUT)/$(DEMO_NAME).program.json  report: $(OUT)/$(DEMO_NAME).report.html"

# The JavaScript SDK's browser test bundles the pinned packages of tests/e2e/js: node and npm
# (Debian's packages when missing), then `npm ci` (exactly package-lock.json).
$(JS_STAMP): $(JS_E2E)/package.json $(JS_E2E)/package-lock.json
	@command -v npm >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq nodejs npm >/dev/null)
	@cd $(JS_E2E) && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

# ruff (lint rules, no reformatting) and mypy (strict on the core), as configured in pyproject.toml.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy

test: lint $(JS_STAMP)
	@# the timeline picture test and the JavaScript SDK test run headless Chromium (Debian's package)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq chromium >/dev/null) || echo "note: could not install chromium"
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis $(JS_E2E)/node_modules
