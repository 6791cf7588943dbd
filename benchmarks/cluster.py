"""Cluster benchmark: committed tx/s and commit latency with 3 etcd members + 3 peers.

Starts a real 3-member etcd cluster and three peer processes (one per org) on 127.0.0.1, and
the etcd orderer in this process. Clients sign every tx beforehand; then txs are offered at a
steady rate (open loop) for ``--seconds``. A tx's **commit latency** runs from its submission
until *every* peer has executed and durably stored its block (the peers' ``acks/<peer>``
heights in etcd are polled every 5 ms); the **ack latency** until the orderer's answer (its block is in etcd). Committed tx/s
counts txs every peer holds, over the time from the first submission to the last commit.
What is not measured: the HTTP hop from a client to the orderer (see benchmarks/api.py).

Each run (``--runs``, 3 by default) starts from a fresh cluster and measures beside it the
limits of this machine at that moment: one durable SQLite commit (each peer makes one per
batch of blocks) and one Ed25519 verification (every peer verifies every tx). The CPU of the
orderer's process per tx and of the three peer processes per tx come from /proc.

    .venv/bin/python benchmarks/cluster.py [--rate 1200] [--seconds 10] [--block 500] [--wait 0.15] [--runs 3]

Prints a table (min / median / max), then ``cluster_tx_per_s: N tx/s``,
``cluster_commit_p95_s: N s`` and the rest, one a line.
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
from _harness import Figures, add_run_options, cpu_seconds, limits_in_same_run, timed

from tetherai.cluster.config import ChannelSpec, ClusterConfig, NodeSpec, OrgSpec
from tetherai.cluster.etcd_members import EtcdCluster, free_port
from tetherai.cluster.run import close_peer, open_channel_peer
from tetherai.cluster.setup import ClusterHome, bootstrap_chain, create_cluster, node_key
from tetherai.cluster.tls import NodeClients
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.etcd import ChainKeys, EtcdOrderer
from tetherai.ordering.etcd_client import prefix_end
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
    add_run_options(parser)
    args = parser.parse_args()
    figures = Figures(
        f"cluster: 3 etcd members, 3 peer processes, 1 orderer (127.0.0.1), "
        f"{args.rate} tx/s offered for {args.seconds} s"
    )
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="tether-cluster-bench-") as tmp:
            limits_in_same_run(figures, Path(tmp))
            run(Path(tmp), args, figures)
    figures.print()


def run(root: Path, args: argparse.Namespace, figures: Figures) -> None:
    etcd = EtcdCluster.create(root / "etcd", 3)
    processes: list[subprocess.Popen[bytes]] = []
    etcd.start()
    try:
        config = ClusterConfig(
            channels=(ChannelSpec("main", ORGS),),
            etcd=tuple(etcd.endpoints),
            etcd_ca=str(etcd.tls_dir),
            orgs=tuple(OrgSpec(org, "admin") for org in ORGS),
            peers=tuple(NodeSpec(f"peer0.{o}", o, f"127.0.0.1:{free_port()}") for o in ORGS),
            orderers=(NodeSpec("orderer0.Org1", "Org1", f"127.0.0.1:{free_port()}"),),
        )
        home = ClusterHome(root / "cluster")
        create_cluster(home, config, passphrase=PASSPHRASE, now_ms=int(time.time() * 1000))
        client = home.etcd_client("orderer0.Org1", PASSPHRASE)
        tools = home.tools_clients("Org1", PASSPHRASE)
        bootstrap_chain(home, client)
        for peer_spec in config.peers:
            log = (root / f"{peer_spec.name}.log").open("ab")
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "tetherai.cluster",
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
        wait_peers(config, tools, 1)
        peers_cpu = sum(cpu_seconds(p.pid) for p in processes)
        with timed() as orderer_cpu:
            report(config, orderer, envelopes, args.rate, figures)
        peers_cpu = sum(cpu_seconds(p.pid) for p in processes) - peers_cpu
        figures.add("orderer_cpu_us_per_tx", orderer_cpu.cpu / count * 1e6, "µs CPU",
                    note="the orderer's process (it executes every block too)")  # fmt: skip
        figures.add("peer_cpu_us_per_tx", peers_cpu / 3 / count * 1e6, "µs CPU",
                    note="one peer process, per tx (mean of 3)")  # fmt: skip
        orderer.close()
        close_peer(peer)
        client.close()
        tools.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
        etcd.stop()


def wait_peers(config: ClusterConfig, tools: NodeClients, height: int) -> None:
    stop = time.monotonic() + 30
    while min(peer_heights(config, tools)) < height:
        if time.monotonic() > stop:
            raise SystemExit("the peers did not start")
        time.sleep(0.05)


def peer_heights(config: ClusterConfig, tools: NodeClients) -> list[int]:
    """Each peer's height (over mutual TLS, with Org1's tools certificate)."""
    heights = []
    for spec in config.peers:
        try:
            status = tools.client(spec.org).get(f"{spec.url}/status", timeout=2)
            heights.append(int(status.json()["height"]))
        except (httpx.HTTPError, ValueError, KeyError):
            heights.append(-1)
    return heights


def report(
    config: ClusterConfig,
    orderer: EtcdOrderer,
    envelopes: list[Envelope],
    rate: int,
    figures: Figures,
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
    add = figures.add
    add("cluster_tx_per_s", tx_per_s, "tx/s", note="committed by every peer (target ≥ 1,000)")
    add("cluster_txs_invalid", invalid, "", note="must be 0")
    add("cluster_blocks", final, "")
    add("cluster_ack_p50_s", statistics.median(ack_latency), "s", note="block in etcd")
    add("cluster_ack_p95_s", percentile(ack_latency, 0.95), "s", note="block in etcd")
    add("cluster_commit_p50_s", statistics.median(commit_latency), "s", note="every peer has it")
    add("cluster_commit_p95_s", percentile(commit_latency, 0.95), "s", note="target < 1 s")


if __name__ == "__main__":
    main()
