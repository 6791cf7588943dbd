"""Real etcd members and real peer processes on 127.0.0.1 for the cluster tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.common.network import PASSPHRASE, START_MS, TEST_KDF_ROUNDS
from tests.common.waiting import PATIENCE, wait_until
from tetherai.cluster.config import ChannelSpec, ClusterConfig, NodeSpec, OrgSpec
from tetherai.cluster.etcd_members import EtcdCluster, free_port
from tetherai.cluster.run import close_peer, open_channel_peer
from tetherai.cluster.server import serve_orderer
from tetherai.cluster.setup import (
    ClusterHome,
    Tools,
    bootstrap_chain,
    create_cluster,
    node_key,
)
from tetherai.cluster.tls import NodeClients
from tetherai.cluster.trust import NodeTrust
from tetherai.ordering.etcd import EtcdOrderer
from tetherai.ordering.etcd_client import EtcdClient
from tetherai.services.network import ParticipantKey, load_participant

pytestmark = pytest.mark.integration

ORGS = ("Org1", "Org2", "Org3")


@pytest.fixture
def etcd(tmp_path: Path) -> Iterator[EtcdCluster]:
    cluster = EtcdCluster.create(tmp_path / "etcd", 3)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop(graceful=False)


@dataclass
class Cluster:
    home: ClusterHome
    config: ClusterConfig
    etcd: EtcdCluster
    client: EtcdClient
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    orderers: list[EtcdOrderer] = field(default_factory=list)
    servers: dict[str, ThreadingHTTPServer] = field(default_factory=dict)
    leading: dict[str, dict[str, EtcdOrderer]] = field(default_factory=dict)

    tools: dict[str, NodeClients] = field(default_factory=dict)

    def admin(self, org: str = "Org1") -> ParticipantKey:
        return load_participant(self.home, org, "admin", PASSPHRASE)

    def http(self, node: str, *, as_org: str | None = None) -> httpx.Client:
        """A client of ``node`` (mutual TLS), showing the tools certificate of ``as_org``
        (default: the node's own org)."""
        spec = next(n for n in (*self.config.peers, *self.config.orderers) if n.name == node)
        org = as_org or spec.org
        if org not in self.tools:
            self.tools[org] = self.home.tools_clients(org, PASSPHRASE)
        return self.tools[org].client(spec.org)

    def open_orderer(
        self, name: str = "orderer0.Org1", channel: str = "main", **options: object
    ) -> EtcdOrderer:
        peer = open_channel_peer(self.home, name, channel)
        try:
            orderer = EtcdOrderer(
                peer,
                self.client,
                name=name,
                key=node_key(self.home, name, PASSPHRASE),
                **options,  # type: ignore[arg-type]
            )
        except BaseException:
            close_peer(peer)
            raise
        self.orderers.append(orderer)
        # Its HTTP endpoint too (one per orderer name), where peers forward writes.
        leading = self.leading.setdefault(name, {})
        leading[channel] = orderer
        if name not in self.servers:
            address = self.config.orderer(name).host_port
            trust = NodeTrust(
                self.home,
                self.config.orderer(name).org,
                lambda: {c: o.peer.store.reader() for c, o in dict(leading).items()},
                [spec.name for spec in self.config.channels],
            )
            self.servers[name] = serve_orderer(
                address,
                lambda: dict(leading),
                identity=self.home.tls_identity(name, PASSPHRASE),
                trust=trust,
            )
        return orderer

    def close_orderer(self, orderer: EtcdOrderer) -> None:
        leading = self.leading[orderer.name]
        leading.pop(orderer.peer.channel)
        if not leading:
            server = self.servers.pop(orderer.name)
            server.shutdown()
            server.server_close()
        orderer.close()
        close_peer(orderer.peer)
        self.orderers.remove(orderer)

    def start_peer(self, name: str) -> None:
        log = (self.home.root / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tetherai.cluster",
                "peer",
                "--home",
                str(self.home.root),
                "--name",
                name,
            ],
            env={**os.environ, "TETHER_PASSPHRASE": PASSPHRASE.decode()},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        url = self.config.peer(name).url

        def answering() -> bool:
            try:  # it answers once it has executed genesis (and so trusts the member orgs)
                self.http(name).get(f"{url}/status", timeout=PATIENCE)
            except httpx.HTTPError:
                return False
            return True

        wait_until(answering, message=lambda: f"peer {name} did not start: {self.log(name)}")

    def log(self, name: str) -> str:
        return (self.home.root / f"{name}.log").read_text()

    def kill_peer(self, name: str) -> None:
        process = self.processes.pop(name)
        process.kill()
        process.wait(timeout=10)

    def stop_peer(self, name: str) -> None:
        process = self.processes.pop(name)
        process.terminate()
        process.wait(timeout=15)

    def status(self, name: str, channel: str = "main") -> dict[str, object]:
        url = f"{self.config.peer(name).url}/status"
        response = self.http(name).get(url, params={"channel": channel}, timeout=PATIENCE)
        data: dict[str, object] = response.json()
        return data

    def wait_height(self, names: list[str], height: int, channel: str = "main") -> None:
        heights: dict[str, object] = {}

        def reached() -> bool:
            heights.update({name: self.status(name, channel)["height"] for name in names})
            return all(isinstance(h, int) and h >= height for h in heights.values())

        wait_until(reached, message=lambda: f"peers did not reach height {height}: {heights}")

    def close(self) -> None:
        for orderer in list(self.orderers):
            self.close_orderer(orderer)
        for name in list(self.processes):
            self.stop_peer(name)
        for clients in self.tools.values():
            clients.close()
        self.client.close()


def make_cluster(root: Path, etcd: EtcdCluster) -> Cluster:
    config = ClusterConfig(
        # Channel credit: only Org1 and Org3 are members (Org2's peer keeps no copy).
        channels=(ChannelSpec("main", ORGS), ChannelSpec("credit", ("Org1", "Org3"))),
        etcd=tuple(etcd.endpoints),
        etcd_ca=str(etcd.tls_dir),
        orgs=tuple(OrgSpec(org, "admin") for org in ORGS),
        peers=tuple(NodeSpec(f"peer0.{org}", org, f"127.0.0.1:{free_port()}") for org in ORGS),
        orderers=(
            NodeSpec("orderer0.Org1", "Org1", f"127.0.0.1:{free_port()}"),
            NodeSpec("orderer1.Org2", "Org2", f"127.0.0.1:{free_port()}"),
        ),
    )
    home = ClusterHome(root / "cluster")
    create_cluster(home, config, passphrase=PASSPHRASE, now_ms=START_MS, kdf_rounds=TEST_KDF_ROUNDS)
    client = home.etcd_client(Tools("Org1"), PASSPHRASE, timeout=1.0, deadline=30)
    bootstrap_chain(home, client)
    return Cluster(home, config, etcd, client)


@pytest.fixture
def cluster(tmp_path: Path, etcd: EtcdCluster) -> Iterator[Cluster]:
    made = make_cluster(tmp_path, etcd)
    try:
        yield made
    finally:
        made.close()
