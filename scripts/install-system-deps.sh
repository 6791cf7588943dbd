#!/usr/bin/env bash
# System packages the test suite needs, installed only when missing (a no-op otherwise).
# Usage: install-system-deps.sh PACKAGE...   (the Makefile's SYSTEM_PACKAGES)
# The ledger core needs none beyond Python; the service needs PostgreSQL
# (Debian 12's `postgresql` is 15: the tests run its initdb/pg_ctl as a throw-away server);
# later capabilities add theirs (chromium, poppler-utils, etcd-server: see the Makefile), so a
# fresh machine gets everything here.
set -euo pipefail
missing=()
for pkg in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "Installing Debian packages: ${missing[*]} (apt-get; may take a few minutes)..."
  $sudo_cmd apt-get update -qq
  # -q (not -qq): apt shows each package as it is fetched and set up.
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
