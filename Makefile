# `make demo` compiles and runs an example on the local simulator; `make test` runs the tests.
# Both create the virtual environment .venv with Python 3.12+ (found by scripts/find-python).

VENV    ?= .venv
PY      := $(VENV)/bin/python
LLV     := $(VENV)/bin/llv
STAMP   := $(VENV)/.installed-stamp
EXTRAS  ?= run,sim,lsp,dev
OUT     ?= out

.PHONY: demo test bench venv clean

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

test: $(STAMP)
	@# the timeline picture test renders in headless Chromium (Debian's package)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq chromium >/dev/null) || echo "note: could not install chromium"
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
