"""Run one cluster node as a process: ``python -m tetherai.cluster peer|orderer``.

The passphrase of the node's key comes from ``TETHER_PASSPHRASE``; its threads run on the CPUs
``TETHER_CPUS`` names, as ``tether serve``'s (one CPU by default). A node logs to stderr, as
text or, with ``TETHER_LOG_JSON=1``, JSON lines (``TETHER_LOG_LEVEL``: debug, info, warning,
error). It stops cleanly on SIGTERM or SIGINT; SIGKILL is a crash, which it survives (every
block is durable before it is acknowledged).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from tetherai.cluster.follower import PeerFollower
from tetherai.cluster.server import serve_orderer, serve_peer
from tetherai.cluster.setup import ClusterHome, node_key
from tetherai.cluster.tls import NodeClients
from tetherai.cluster.trust import NodeTrust
from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry
from tetherai.errors import TetherError
from tetherai.http.process import run_on_cpus
from tetherai.ledger.peer import Peer
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.logs import configure_from_env
from tetherai.ordering.errors import OrderingError
from tetherai.ordering.etcd import EtcdOrderer
from tetherai.services.settings import cpu_choice

__all__ = ["close_peer", "main", "open_channel_peer", "place_threads", "run_orderer", "run_peer"]

log = logging.getLogger(__name__)


def place_threads(environ: Mapping[str, str]) -> None:
    """Run this node's threads on the CPUs ``TETHER_CPUS`` names, as ``tether serve`` does;
    called before the node starts any thread.

    Raises:
        SettingsError: a value that is not ``auto``, ``all`` or CPUs this process may use.
    """
    run_on_cpus(cpu_choice(environ.get("TETHER_CPUS", "")))


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


# Given the follower of the peer's first channel and the peer's clients of other nodes, start
# something on it; return its stopper.
ApiStarter = Callable[[PeerFollower, NodeClients], Callable[[], None]]


def run_peer(
    home: ClusterHome, name: str, passphrase: bytes, *, serve_api: ApiStarter | None = None
) -> None:
    """Follow every channel of the peer's org (and only those). ``serve_api`` (given by
    ``tether network peer --api-port``, the layer that may import the web app) also serves
    the project's API and pages on the first of them (see ``api_node``)."""
    config = home.cluster_config()
    spec = config.peer(name)
    client = home.etcd_client(name, passphrase)
    key = node_key(home, name, passphrase)
    identity = home.tls_identity(name, passphrase)
    followers: dict[str, PeerFollower] = {}
    channels = config.channels_of(spec.org)
    trust = NodeTrust(
        home, spec.org, lambda: {c: f.store.reader() for c, f in followers.items()}, channels
    )
    clients = NodeClients(identity, trust.ca_of)
    for channel in channels:
        followers[channel] = PeerFollower(
            home, config, name, channel, key=key, client=client, clients=clients
        )
    server = serve_peer(followers, config.orderers, identity=identity, clients=clients, trust=trust)
    for follower in followers.values():
        follower.start()
    log.info("peer %s serving channels %s on %s", name, ", ".join(followers), spec.url)
    first = next(iter(followers.values()))
    stop_api = serve_api(first, clients) if serve_api is not None else None
    try:
        _wait_for_signal()
    finally:
        if stop_api is not None:
            stop_api()
        server.shutdown()
        server.server_close()
        for follower in followers.values():
            follower.close()
        clients.close()
        client.close()


def open_channel_peer(home: ClusterHome, node: str, channel: str) -> Peer:
    """A node's own copy of a channel's ledger (its store closes with ``close_peer``)."""
    path = home.node_ledger(node, channel)
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SqliteLedgerStore(path)
    return Peer(store=store, channel=channel, registry=default_registry(), rules=MembershipRules())


def close_peer(peer: Peer) -> None:
    peer.close()
    peer.store.close()


def run_orderer(
    home: ClusterHome, name: str, passphrase: bytes, *, max_txs: int = 1000, max_wait: float = 0.05
) -> None:
    """Order every channel whose leader lease this orderer wins (campaigning for each)."""
    config = home.cluster_config()
    spec = config.orderer(name)
    client = home.etcd_client(name, passphrase)
    key = node_key(home, name, passphrase)
    leading: dict[str, EtcdOrderer] = {}
    opened: dict[str, Peer] = {}
    stopping = threading.Event()
    trust = NodeTrust(
        home,
        spec.org,
        lambda: {channel: peer.store.reader() for channel, peer in dict(opened).items()},
        [channel.name for channel in config.channels],
    )
    server = serve_orderer(
        spec.host_port, lambda: dict(leading), identity=home.tls_identity(name, passphrase),
        trust=trust,
    )  # fmt: skip
    log.info("orderer %s standing by on %s", name, spec.url)

    def campaign(channel: str) -> None:
        peer = open_channel_peer(home, name, channel)
        opened[channel] = peer
        while not stopping.is_set():
            try:
                orderer = EtcdOrderer(
                    peer,
                    client,
                    name=name,
                    key=key,
                    max_txs=max_txs,
                    max_wait=max_wait,
                    compact_every=50,
                    leader_timeout=2.0,
                )
            except OrderingError:  # another orderer leads this channel: try again
                continue
            leading[channel] = orderer  # the orderer logs that it leads
            return
        opened.pop(channel, None)
        close_peer(peer)

    threads = [
        threading.Thread(target=campaign, args=(channel.name,), daemon=True)
        for channel in config.channels
    ]
    for thread in threads:
        thread.start()
    try:
        _wait_for_signal()
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()
        for thread in threads:
            thread.join(timeout=10)
        for orderer in leading.values():
            orderer.close()
            close_peer(orderer.peer)
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tetherai.cluster")
    parser.add_argument("role", choices=["peer", "orderer"])
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--max-txs", type=int, default=1000)
    parser.add_argument("--max-wait", type=float, default=0.05)
    args = parser.parse_args(argv)
    configure_from_env(os.environ)
    passphrase = os.environ.get("TETHER_PASSPHRASE", "").encode()
    home = ClusterHome(args.home)
    try:
        place_threads(os.environ)
        if args.role == "peer":
            run_peer(home, args.name, passphrase)
        else:
            run_orderer(home, args.name, passphrase, max_txs=args.max_txs, max_wait=args.max_wait)
    except TetherError as error:
        log.error("%s%s", error.message, f" ({error.hint})" if error.hint else "")
        return 1
    return 0
