# The two set-up commands: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out/demo

.PHONY: demo test test-slow bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Core install: what `analyzer run` needs with the default (shipped) models (setup.py builds the optional C
# kernels in place; without a C compiler the numpy code runs instead).
$(VENV)/.core: pyproject.toml setup.py analyzer/backends/_hashed.c | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

# Dev install: tests, notebooks, the transformer tiers (torch pinned to the CPU build) and Ray.
$(VENV)/.dev: pyproject.toml $(VENV)/.core
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev,e5,onnx,topics,ray]'
	touch $@

demo: $(VENV)/.core
	$(BIN)/analyzer models check
	$(BIN)/analyzer run data/samples -o $(OUT) --quiet
	@echo "open $(OUT)/report.html"

# Headless Chromium for tests/test_browser.py: Debian's package, installed once (never `playwright install`).
# Not root or offline: the browser test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "chromium could not be installed (not root or offline): tests/test_browser.py will skip"

test: $(VENV)/.dev browser
	$(BIN)/python -m pytest -q

test-slow: $(VENV)/.dev
	$(BIN)/python -m pytest -q -m slow

clean:
	rm -rf $(VENV) out .pytest_cache
