#!/usr/bin/env bash
# `make run`: create a demo network (once), write some demo txs, show and verify its ledger.
set -euo pipefail
bin=$1
home=$2
export TETHER_PASSPHRASE=${TETHER_PASSPHRASE:-demo-passphrase}
"$bin/python" -m tetherai.services.demo --home "$home"
"$bin/tether" ledger show --home "$home"
"$bin/tether" ledger blocks --home "$home" --limit 5
"$bin/tether" ledger verify --home "$home"
exec "$bin/tether" serve --home "$home" --init-secret
