#!/usr/bin/env bash
# `make run`: create a demo network (once), write some demo txs, show and verify its ledger,
# then serve it, with the URL and the demo logins as the last lines before the server's log.
# Usage: run-demo.sh BIN HOME [PORT] [HOST]
set -euo pipefail
bin=$1
home=$2
port=${3:-8000}
host=${4:-127.0.0.1}
export TETHER_PASSPHRASE=${TETHER_PASSPHRASE:-demo-passphrase}
logins=$("$bin/python" -m tetherai.services.demo --home "$home")
"$bin/tether" ledger show --home "$home"
"$bin/tether" ledger verify --home "$home"
echo
echo "$logins"
echo
echo "Open http://$host:$port/ in a browser and sign in, e.g. as alice / demo-alice-password."
echo "(Another port: make run PORT=8001. Stop the server with Ctrl-C.)"
exec "$bin/tether" serve --home "$home" --init-secret --port "$port" --host "$host"
