"""Cluster benchmark: committed tx/s and commit latency with 3 etcd members + 3 peers.

Starts a real 3-member etcd cluster and three peer processes (one per org) on 127.0.0.1, and
the etcd orderer in this process. Clients sign every tx beforehand; then txs are offered at a
steady rate (open loop) for ``--seconds``. A tx's **commit latency** runs from its submission
until *every* peer has executed and durably stored its block (the peers' ``acks/<peer>``
heights in etcd are polled every 5 ms); the **ack latency** until the orderer's answer (its block is in etcd). Committed tx/s
counts txs every peer holds, over the time from the first submission to the last commit.
What is not measured: the HTTP hop from a client to the orderer (see benchmarks/api.py).

    .venv/bin/python benchmarks/cluster.py [--rate 1200] [--seconds 10] [--block 500] [--wait 0.15]

Prints a table, then ``cluster_tx_per_s: N tx/s`` and ``cluster_commit_p95_s: N s``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.etcd import ChainKeys, EtcdOrderer
from tetherai.ordering.etcd_client import EtcdClient, prefix_end
from tetherai.services.cluster.config import ChannelSpec, ClusterConfig, NodeSpec, OrgSpec
from tetherai.services.cluster.etcd_members import EtcdCluster, free_port
from tetherai.services.cluster.run import close_peer, open_channel_peer
from tetherai.services.cluster.setup import ClusterHome, bootstrap_chain, create_cluster, node_key
from tetherai.services.network import load_participant

PASSPHRASE = b"benchmark"
ORGS = ("Org1", "Org2", "Org3")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1200, help="txs offered per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--block", type=int, default=500, help="max txs per block")
    parser.add_argument("--wait", type=float, default=0.15, help="max wait before cutting (s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tether-cluster-bench-") as tmp:
        run(Path(tmp), args)


def run(root: Path, args: argparse.Namespace) -> None:
    etcd = EtcdCluster.create(root / "etcd", 3)
    processes: list[subprocess.Popen[bytes]] = []
    etcd.start()
    try:
        config = ClusterConfig(
            channels=(ChannelSpec("main", ORGS),),
            etcd=tuple(etcd.endpoints),
            orgs=tuple(OrgSpec(org, "admin") for org in ORGS),
            peers=tuple(NodeSpec(f"peer0.{o}", o, f"127.0.0.1:{free_port()}") for o in ORGS),
            orderers=(NodeSpec("orderer0.Org1", "Org1", f"127.0.0.1:{free_port()}"),),
        )
        home = ClusterHome(root / "cluster")
        create_cluster(home, config, passphrase=PASSPHRASE, now_ms=int(time.time() * 1000))
        client = EtcdClient(etcd.endpoints)
        bootstrap_chain(home, client)
        for peer_spec in config.peers:
            log = (root / f"{peer_spec.name}.log").open("ab")
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "tetherai.services.cluster",
                        "peer",
                        "--home",
                        str(home.root),
                        "--name",
                        peer_spec.name,
                    ],
                    env={**os.environ, "TETHER_PASSPHRASE": PASSPHRASE.decode()},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            log.close()
        peer = open_channel_peer(home, "orderer0.Org1", "main")
        orderer = EtcdOrderer(
            peer,
            client,
            name="orderer0.Org1",
            key=node_key(home, "orderer0.Org1", PASSPHRASE),
            max_txs=args.block,
            max_wait=args.wait,
            peers=[p.name for p in config.peers],
            compact_every=20,
        )
        admin = load_participant(home, "Org1", "admin", PASSPHRASE)
        count = int(args.rate * args.seconds)
        now = int(time.time() * 1000)
        envelopes = [
            admin.sign("main", "notary", "notarize", {"name": f"d{i}", "sha256": f"{i:064x}"}, now)
            for i in range(count)
        ]
        wait_peers(config, 1)
        report(config, orderer, envelopes, args.rate)
        orderer.close()
        close_peer(peer)
        client.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
        etcd.stop()


def wait_peers(config: ClusterConfig, height: int) -> None:
    stop = time.monotonic() + 30
    while min(peer_heights(config)) < height:
        if time.monotonic() > stop:
            raise SystemExit("the peers did not start")
        time.sleep(0.05)


def peer_heights(config: ClusterConfig, http: httpx.Client | None = None) -> list[int]:
    heights = []
    for spec in config.peers:
        try:
            get = http.get if http is not None else httpx.get
            heights.append(int(get(f"{spec.url}/status", timeout=2).json()["height"]))
        except (httpx.HTTPError, ValueError, KeyError):
            heights.append(-1)
    return heights


def report(
    config: ClusterConfig, orderer: EtcdOrderer, envelopes: list[Envelope], rate: int
) -> None:
    submitted: dict[str, float] = {}
    acked: dict[str, float] = {}
    reached: dict[int, float] = {}  # height every peer has -> when first seen
    done = threading.Event()

    def watch() -> None:
        # Peers write acks/<peer> = their height right after each durable batch: one range
        # read of etcd per poll sees all three (polling their HTTP status would load them).
        keys = ChainKeys("main")
        names = [p.name for p in config.peers]
        while not done.is_set():
            acks = {
                kv.key.removeprefix(keys.acks): int(kv.value)
                for kv in orderer.client.range(keys.acks, prefix_end(keys.acks))
            }
            low = min((acks.get(name, 0) for name in names), default=0)
            if low > 0 and low not in reached:
                reached[low] = time.monotonic()
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    futures: list[Future[TxResult]] = []
    start = time.monotonic()
    for i, envelope in enumerate(envelopes):
        due = start + i / rate
        if (delay := due - time.monotonic()) > 0:
            time.sleep(delay)
        submitted[envelope.tx_id] = time.monotonic()
        future = orderer.submit(envelope)
        future.add_done_callback(
            lambda _f, tx=envelope.tx_id: acked.__setitem__(tx, time.monotonic())
        )
        futures.append(future)
    results = [future.result(timeout=120) for future in futures]
    final = orderer.peer.head.height
    stop = time.monotonic() + 120
    while max(reached, default=0) < final and time.monotonic() < stop:
        time.sleep(0.01)
    done.set()
    watcher.join()
    invalid = sum(not r.valid for r in results)
    # Each tx's block, from the orderer's copy; its commit time is when every peer had it.
    store = orderer.peer.store
    heights = sorted(reached)
    commit_latency = []
    ack_latency = [acked[tx] - submitted[tx] for tx in submitted]
    for envelope in envelopes:
        stored = store.tx(envelope.tx_id)
        assert stored is not None
        seen = next(reached[h] for h in heights if h > stored.block)
        commit_latency.append(seen - submitted[envelope.tx_id])
    elapsed = max(reached.values()) - start
    tx_per_s = len(envelopes) / elapsed
    table = Table(title="cluster: 3 etcd members, 3 peer processes, 1 orderer (127.0.0.1)")
    for column in ("figure", "value"):
        table.add_column(column)
    rows = [
        ("txs offered", f"{len(envelopes)} at {rate} tx/s"),
        ("txs invalid", str(invalid)),
        ("blocks", str(final)),
        ("committed by every peer", f"{tx_per_s:,.0f} tx/s"),
        ("ack latency p50 / p95 (block in etcd)",
         f"{statistics.median(ack_latency):.3f} s / {percentile(ack_latency, 0.95):.3f} s"),
        ("commit latency p50 / p95 (every peer)",
         f"{statistics.median(commit_latency):.3f} s / {percentile(commit_latency, 0.95):.3f} s"),
        ("cores", str(os.cpu_count())),
    ]  # fmt: skip
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    print(f"cluster_tx_per_s: {tx_per_s:.0f} tx/s")
    print(f"cluster_commit_p95_s: {percentile(commit_latency, 0.95):.3f} s")


if __name__ == "__main__":
    main()
