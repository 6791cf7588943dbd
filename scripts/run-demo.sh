#!/usr/bin/env bash
# `make run`: create a demo network (once), write some demo txs, show and verify its ledger,
# then serve it, with the URL and the demo logins as the last lines before the server's log.
set -euo pipefail
bin=$1
home=$2
export TETHER_PASSPHRASE=${TETHER_PASSPHRASE:-demo-passphrase}
logins=$("$bin/python" -m tetherai.services.demo --home "$home")
"$bin/tether" ledger show --home "$home"
"$bin/tether" ledger verify --home "$home"
echo
echo "$logins"
exec "$bin/tether" serve --home "$home" --init-secret
