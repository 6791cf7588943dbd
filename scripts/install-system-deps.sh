#!/usr/bin/env bash
# System packages the test suite needs, installed only when missing.
# Issue 2 (the ledger core) needs none beyond Python; later capabilities add theirs here
# (etcd-server, chromium, PostgreSQL 15), so a fresh machine gets everything from this script.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
