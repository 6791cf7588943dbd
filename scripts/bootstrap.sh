#!/usr/bin/env bash
# Create the project's virtual environment and install tetherai with its dev tools, every
# package at the exact version constraints.txt names (pyproject.toml only gives ranges).
# Works on a fresh Debian 12 with only python3: installs python3-venv when it is missing.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}

if ! "$python" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "error: tetherai needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2
  exit 2
fi
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  echo "python3-venv is missing; installing it with apt-get" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq python3-venv
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
echo "Installing tetherai and its pinned Python packages into $venv (the first time takes a few minutes)..."
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# Not --quiet: pip names each package as it downloads and installs it, so the wait is visible.
"$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on \
  -c constraints.txt -e '.[dev]'
echo "Installed into $venv."
