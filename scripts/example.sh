#!/usr/bin/env bash
# `make example`: the digits example end to end on a fresh network home. Starts the server,
# runs examples/digits/walkthrough.py (alice, bob and carol, each with a key of their own),
# stops the server. The last line is `digits_example: ok` only when every step checked out.
set -euo pipefail
bin=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tether-example.XXXXXX")
home=$tmp/home
export TETHER_PASSPHRASE=example-node-passphrase
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin/python" -m tetherai.services.demo --home "$home" >/dev/null
port=$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/tether" serve --home "$home" --init-secret --host 127.0.0.1 --port "$port" >"$tmp/server.log" 2>&1 &
server_pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 1 100); do
  if "$bin/python" -c "import httpx, sys; sys.exit(httpx.get('$url/api/v1/auth/me').status_code != 401)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$tmp/server.log" >&2
    echo "digits_example: FAILED (the server did not start)" >&2
    exit 1
  fi
  sleep 0.2
done
# The node keys stay with the server; each person's own passphrase is set by the walkthrough.
unset TETHER_PASSPHRASE
"$bin/python" examples/digits/walkthrough.py --server "$url" --home "$home" --work "$tmp/work"
