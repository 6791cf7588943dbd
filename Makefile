# The two commands of the quick start: `make run` and `make test`.
# Both install what is missing first (system packages via scripts/, Python packages into .venv).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_HOME ?= .demo
# Debian packages the tests need: PostgreSQL 15 (service database), Chromium + its driver
# (browser tests through Playwright), poppler-utils (pdftoppm renders the PDF reports),
# fonts-noto-cjk (Chinese pages and reports), etcd-server (cluster mode's ordering).
SYSTEM_PACKAGES ?= postgresql chromium chromium-driver poppler-utils fonts-noto-cjk etcd-server

.PHONY: run test install system-deps lint typecheck bench clean example

$(STAMP): pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh "$(PYTHON)" "$(VENV)"
	touch $(STAMP)

install: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh $(SYSTEM_PACKAGES)

run: install
	bash scripts/run-demo.sh "$(BIN)" "$(DEMO_HOME)"

test: install system-deps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest --cov=tetherai --cov-report=term:skip-covered -p no:cacheprovider
	@echo "coverage of crypto/ and ledger/ (must be at least 90%):"
	$(BIN)/coverage report --include='*/tetherai/crypto/*,*/tetherai/ledger/*' --fail-under=90 | tail -1

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

example: install
	bash scripts/example.sh "$(BIN)"

bench: install
	bash scripts/install-system-deps.sh wrk
	$(BIN)/python benchmarks/ledger.py
	$(BIN)/python benchmarks/api.py

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache .mypy_cache .ruff_cache .coverage
