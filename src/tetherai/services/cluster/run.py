"""Run one cluster node as a process: ``python -m tetherai.services.cluster peer|orderer``.

The passphrase of the node's key comes from ``TETHER_PASSPHRASE``. A node stops cleanly on
SIGTERM or SIGINT; SIGKILL is a crash, which it survives (every block is durable before it
is acknowledged).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry
from tetherai.errors import TetherError
from tetherai.ledger.peer import Peer
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ordering.etcd import EtcdOrderer
from tetherai.ordering.etcd_client import EtcdClient
from tetherai.services.cluster.follower import PeerFollower
from tetherai.services.cluster.server import serve_orderer, serve_peer
from tetherai.services.cluster.setup import ClusterHome, node_key

__all__ = ["main", "run_orderer", "run_peer"]


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def run_peer(home: ClusterHome, name: str, passphrase: bytes) -> None:
    config = home.cluster_config()
    client = EtcdClient(config.etcd)
    follower = PeerFollower(home, config, name, key=node_key(home, name, passphrase), client=client)
    server = serve_peer(follower, [orderer.url for orderer in config.orderers])
    follower.start()
    print(f"peer {name} serving on {follower.spec.url}", flush=True)
    try:
        _wait_for_signal()
    finally:
        server.shutdown()
        server.server_close()
        follower.close()
        client.close()


def run_orderer(
    home: ClusterHome, name: str, passphrase: bytes, *, max_txs: int = 1000, max_wait: float = 0.05
) -> None:
    config = home.cluster_config()
    spec = config.orderer(name)
    client = EtcdClient(config.etcd)
    store = SqliteLedgerStore(home.node_ledger(name))
    peer = Peer(
        store=store, channel=config.channel, registry=default_registry(), rules=MembershipRules()
    )
    holder: list[EtcdOrderer] = []
    server = serve_orderer(spec.host_port, lambda: holder[0] if holder else None)
    print(f"orderer {name} standing by on {spec.url}", flush=True)
    # Blocks until this orderer holds the leader lease (another orderer may hold it now).
    orderer = EtcdOrderer(
        peer,
        client,
        name=name,
        key=node_key(home, name, passphrase),
        max_txs=max_txs,
        max_wait=max_wait,
        peers=[p.name for p in config.peers],
        compact_every=50,
    )
    holder.append(orderer)
    print(f"orderer {name} is the leader", flush=True)
    try:
        _wait_for_signal()
    finally:
        server.shutdown()
        server.server_close()
        orderer.close()
        peer.close()
        store.close()
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tetherai.services.cluster")
    parser.add_argument("role", choices=["peer", "orderer"])
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--max-txs", type=int, default=1000)
    parser.add_argument("--max-wait", type=float, default=0.05)
    args = parser.parse_args(argv)
    passphrase = os.environ.get("TETHER_PASSPHRASE", "").encode()
    home = ClusterHome(args.home)
    try:
        if args.role == "peer":
            run_peer(home, args.name, passphrase)
        else:
            run_orderer(home, args.name, passphrase, max_txs=args.max_txs, max_wait=args.max_wait)
    except TetherError as error:
        print(
            f"error: {error.message}" + (f" ({error.hint})" if error.hint else ""), file=sys.stderr
        )
        return 1
    return 0
