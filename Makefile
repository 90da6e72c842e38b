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

demo: $(STAMP)
	@mkdir -p $(OUT)
	$(LLV) lint examples/*.llv
	$(LLV) plan examples/ratatouille.llv
	$(LLV) compile examples/ratatouille.llv -o $(OUT)/ratatouille.program.json --json
	@echo "compiled program: $(OUT)/ratatouille.program.json"

test: $(STAMP)
	@# the timeline picture test renders in headless Chromium (Debian's package)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq chromium >/dev/null) || echo "note: could not install chromium"
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
