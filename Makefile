# surveylab: `make demo` runs the platform on this machine; `make test` runs every test.
# Everything installs into .venv (Python) and node_modules folders inside the project.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LABEXT := labextension
LABEXT_BUILT := serverextension/surveylab_server/labextension/package.json
LABEXT_INSTALLED := $(VENV)/share/jupyter/labextensions/@surveylab/labextension
CHP := hub_config/node_modules/.bin/configurable-http-proxy
# Aladin Lite and the widgets HTML manager, built into the widgets package by the wheel's build
# hook (widgets/js/hatch_build.py) from the npm project widgets/js.
WIDGET_JS := widgets/js/package.json widgets/js/package-lock.json widgets/js/build.mjs
DEMO_DATA ?= $(CURDIR)/var/demo-data
HUB_STATE ?= $(CURDIR)/var/hub
PYTEST_ARGS ?=
# pytest-xdist workers: twice the 2 cores, as many tests wait on a hub, a lab or a browser
# (measured: 4 beat 3). `worksteal` hands the idle workers tests queued on the busy ones.
PYTEST_WORKERS ?= 4
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal
# `make test` runs lint and docs niced beside the tests: they fill what CPU the tests leave.
NICE ?=

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
# Python may cache compiled modules (ignored by git): without them every process the tests start
# compiles the project's modules again, and pytest rewrites every test module again.
unexport PYTHONDONTWRITEBYTECODE
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# The lab's API types and limits are generated from the REST contract (npm run generate:api).
LABEXT_SOURCES := $(shell find $(LABEXT)/src $(LABEXT)/style $(LABEXT)/schema $(LABEXT)/scripts -type f 2>/dev/null) \
	$(LABEXT)/package.json $(LABEXT)/tsconfig.json src/surveylab/openapi.yaml

.PHONY: help install demo demo-data similarity-index test test-fast pytest lint docs format benchmark clean

help:
	@echo "make demo       install, build, generate the demo survey and start the hub on :8000"
	@echo "make test       install, lint, build the docs and run every test"
	@echo "make test-fast  the core, server and SQL shell tests: no hub, no browser, no lint"
	@echo "make lint       ruff, mypy, eslint, prettier and tsc --strict"
	@echo "make docs       build the documentation into docs/_build/html (warnings are errors)"
	@echo "make similarity-index  build the demo's similarity index (after demo-data)"
	@echo "make benchmark  run the benchmarks (prints ratios against their limits)"

# --- installation -------------------------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(LABEXT)/node_modules/.package-lock.json: $(LABEXT)/package.json $(LABEXT)/package-lock.json
	cd $(LABEXT) && npm ci --no-audit --no-fund
	@touch $@

# The prebuilt lab extension, rebuilt whenever its sources change.
$(LABEXT_BUILT): $(LABEXT)/node_modules/.package-lock.json $(LABEXT_SOURCES)
	cd $(LABEXT) && npm run build:prod
	@touch $@

# The Python distribution, editable, with the test and lint tools.
$(VENV)/.installed: $(BIN)/python pyproject.toml $(LABEXT_BUILT) $(WIDGET_JS)
	$(BIN)/pip install --quiet -e ".[dev]"
	@# Point the installed prebuilt extension at the build folder, so a rebuild needs no reinstall.
	rm -rf $(LABEXT_INSTALLED) && mkdir -p $(dir $(LABEXT_INSTALLED))
	ln -s $(CURDIR)/$(dir $(LABEXT_BUILT)) $(LABEXT_INSTALLED)
	@touch $@

$(CHP): hub_config/package.json hub_config/package-lock.json
	npm --prefix hub_config ci --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed $(CHP)

# --- the demo ------------------------------------------------------------------------------

# The demo survey (~100 CPU-seconds), and a coarse colour HiPS of it for the footprint viewer
# (order 7: 3.2" pixels, ~70 CPU-seconds; `surveylab hips build --force` makes one matched to the
# images' 0.6" pixels: order 9, far slower).
demo-data: install
	SURVEYLAB_DATA_DIR=$(DEMO_DATA) $(BIN)/surveylab demo-data
	test -f $(DEMO_DATA)/hips/properties || \
		SURVEYLAB_DATA_DIR=$(DEMO_DATA) $(BIN)/surveylab hips build --order 7 --tile-width 512

# The demo's similarity index for "Objects like this" (~90 s on 2 cores, once: not part of
# demo-data's 2-minute budget; `surveylab similarity build` rebuilds it).
similarity-index: demo-data
	test -f $(DEMO_DATA)/similarity/manifest.json || \
		$(BIN)/surveylab similarity build --data-dir $(DEMO_DATA)

demo: demo-data similarity-index
	SURVEYLAB_DATA_DIR=$(DEMO_DATA) $(BIN)/surveylab hub --state-dir $(HUB_STATE)

# --- quality -------------------------------------------------------------------------------

lint: install
	$(NICE) $(BIN)/ruff check .
	$(NICE) $(BIN)/ruff format --check .
	$(NICE) $(BIN)/mypy
	cd $(LABEXT) && $(NICE) npm run --silent lint && $(NICE) npm run --silent typecheck

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	cd $(LABEXT) && npm run lint:fix

pytest: install
	cd $(LABEXT) && npm test --silent
	$(PYTEST) $(PYTEST_ARGS)

# Lint, docs and tests at once, each target's output printed whole when it ends (lint and docs
# first: the tests take longest).
test: install
	$(MAKE) --no-print-directory -j3 --output-sync=target NICE="nice -n 10" lint docs pytest

# The edit-test loop: the tests that start no hub and no browser, of the core, the server
# extension and the SQL shell (pytest's exit 5, no test collected, fails too).
FAST_TESTS := tests/core tests/server tests/sqlshell
test-fast: install
	$(PYTEST) -m "not hub and not browser" $(PYTEST_ARGS) $(FAST_TESTS)

# The Sphinx site, read afresh (-E) so that no warning hides in a cached page; nitpicky (-n),
# warnings as errors (-W), every problem listed (--keep-going). Serial: `-j auto` is no faster on
# two cores and takes 40% more CPU, which `make test` gives to the tests.
docs: install
	rm -rf docs/api/generated
	$(NICE) $(BIN)/sphinx-build -E -W --keep-going -n -q -b html docs docs/_build/html

benchmark: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(LABEXT)/node_modules $(LABEXT)/lib hub_config/node_modules \
		serverextension/surveylab_server/labextension test-output \
		widgets/js/node_modules widgets/surveylab_widgets/static/vendor \
		docs/_build docs/_generated docs/api/generated
