#!/usr/bin/env bash
# What `make test` runs: lint, formatting, import layers, types, then the whole suite with
# coverage. Prints the 20 slowest tests, then the wall time and the machine's load, so a slow
# run on a busy machine can be told from a slow test.
# Usage: run-tests.sh BIN_DIR [pytest arguments...]
set -euo pipefail
bin=${1:-.venv/bin}
shift || true
start=$(date +%s)
"$bin/ruff" check src tests benchmarks
"$bin/ruff" format --check src tests benchmarks
"$bin/lint-imports"
"$bin/mypy"
"$bin/pytest" -p no:cacheprovider --durations=20 \
  --cov=tetherai --cov-report=term:skip-covered "$@"
echo "coverage of crypto/ and ledger/ (must be at least 90%):"
"$bin/coverage" report --include='*/tetherai/crypto/*,*/tetherai/ledger/*' --fail-under=90 | tail -1
read -r one five fifteen _ < /proc/loadavg
echo "make test: $(( $(date +%s) - start )) s wall time on $(nproc) cores" \
  "(load average $one $five $fifteen)"
