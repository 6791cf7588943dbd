"""kill -9 during commits loses no acknowledged tx and leaves a ledger that verifies."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.common.network import make_network
from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.verifier import verify_ledger

WRITER = r"""
import sys, time
from tetherai.services.network import load_participant, open_node
from tetherai.services.home import NetworkHome
from pathlib import Path
home = NetworkHome(Path(sys.argv[1]))
start = int(sys.argv[2])
node = open_node(home, b"test-passphrase", max_txs=20, max_wait=0.005)
alice = load_participant(home, "Org1", "alice", b"test-passphrase")
i = start
while True:
    futures = []
    for _ in range(20):
        env = alice.sign("main", "notary", "notarize", {"name": f"crash/{i}", "sha256": f"{i:064x}"}, time.time_ns() // 10**6)
        futures.append((i, env.tx_id, node.orderer.submit(env)))
        i += 1
    for n, tx_id, future in futures:
        result = future.result()
        print(json.dumps({"n": n, "tx_id": tx_id, "valid": result.valid}), flush=True)
"""


@pytest.mark.integration
def test_sigkill_during_commits_loses_no_acknowledged_tx(tmp_path: Path) -> None:
    net = make_network(tmp_path)
    net.participant("alice")
    net.close()
    rng = random.Random(20261123)
    acknowledged: dict[str, int] = {}
    start = 0
    env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    for _ in range(5):
        process = subprocess.Popen(
            [sys.executable, "-c", "import json\n" + WRITER, str(net.home.root), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        # Kill at a random point of the writes: after a random number of acknowledgements
        # (an event, whatever the machine's speed), while the next batch is being committed.
        assert process.stdout is not None
        seen = [process.stdout.readline() for _ in range(rng.randint(1, 120))]
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=60)
        lines = [json.loads(line) for line in [*seen, *out.splitlines()] if line.strip()]
        assert all(seen), f"the writer stopped before the kill: {err[-2000:]}"
        for line in lines:
            assert line["valid"]
            acknowledged[line["tx_id"]] = line["n"]
        start = max(line["n"] for line in lines) + 1000  # fresh names after the restart
    store = SqliteLedgerStore(net.home.ledger_path("main"), readonly=True)
    try:
        missing = [tx_id for tx_id in acknowledged if store.tx(tx_id) is None]
        assert not missing, f"{len(missing)} acknowledged txs are missing"
        report = verify_ledger(
            store, channel="main", registry=default_registry(), rules=MembershipRules()
        )
        assert report.ok, report.problem
        assert report.txs >= len(acknowledged)
    finally:
        store.close()
