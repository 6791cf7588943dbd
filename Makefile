# The two commands of the quick start: `make run` and `make test`.
# Both install what is missing first (system packages via scripts/, Python packages into .venv).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_HOME ?= .demo
# Where `make run` serves the demo: `make run PORT=8001` (HOST=0.0.0.0 to reach it from elsewhere).
PORT ?= 8000
HOST ?= 127.0.0.1
# Debian packages the server needs at run time: Pango (WeasyPrint renders the PDF audit reports
# with it) and CJK fonts (Chinese pages and reports).
RUN_PACKAGES ?= libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
# ... and the tests: PostgreSQL 15 (service database), Chromium + its driver (browser tests
# through Playwright), poppler-utils (pdftoppm checks the PDF reports), etcd-server (cluster
# mode's ordering).
SYSTEM_PACKAGES ?= $(RUN_PACKAGES) postgresql chromium chromium-driver poppler-utils etcd-server

.PHONY: run test install system-deps lint typecheck bench clean audit-deps example cluster-demo \
	constraints screenshots

$(STAMP): pyproject.toml constraints.txt scripts/bootstrap.sh
	bash scripts/bootstrap.sh "$(PYTHON)" "$(VENV)"
	touch $(STAMP)

install: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh $(SYSTEM_PACKAGES)

run: install
	bash scripts/install-system-deps.sh $(RUN_PACKAGES)
	bash scripts/run-demo.sh "$(BIN)" "$(DEMO_HOME)" "$(PORT)" "$(HOST)"

# Lint, types, layers and the whole suite; ends with the 20 slowest tests and the wall time.
test: install system-deps
	bash scripts/run-tests.sh "$(BIN)"

# The exact pins of constraints.txt, from what .venv holds now: after changing a dependency in
# pyproject.toml, `.venv/bin/pip install -e '.[dev]'` (it may move other packages), then this.
constraints:
	{ sed -n '/^#/p' constraints.txt; $(BIN)/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

# docs/screenshots/: the main pages at 1280 and 390 px, from a demo server in headless Chromium.
screenshots: install system-deps
	$(BIN)/python scripts/screenshots.py docs/screenshots

# Known vulnerabilities in the pinned dependencies (needs PyPI's JSON API or OSV: see SECURITY.md).
audit-deps: install
	$(BIN)/pip-audit --strict --progress-spinner off

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

cluster-demo: install system-deps
	$(BIN)/tether network demo

example: install
	bash scripts/example.sh "$(BIN)"

bench: install
	bash scripts/install-system-deps.sh wrk
	$(BIN)/python benchmarks/ledger.py
	$(BIN)/python benchmarks/api.py
	$(BIN)/python benchmarks/load.py

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache .mypy_cache .ruff_cache .coverage
