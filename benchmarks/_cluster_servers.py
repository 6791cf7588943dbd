"""The deployment behind ``load.py --servers N``: N API servers of one channel, on this machine.

What the product runs for more than one server process (docs/cluster.md): one org's channel
in cluster mode, its blocks ordered by an orderer process (``python -m tetherai.cluster
orderer``, as ``tether network start`` runs it) into a real etcd, and N peers of that org,
each a process serving the web app (API + pages) over its own copy of the ledger, as
``tether network peer --api-port`` does. Each peer's service database is its own database
on one throw-away PostgreSQL 15 server (``tests/common/postgres.py``, as the tests use): the
projections and notifications a server writes are drawn from its own ledger copy, so two
servers never share one service database.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.common.network import PASSPHRASE, TEST_KDF_ROUNDS  # noqa: E402
from tests.common.postgres import PostgresServer, run_postgres  # noqa: E402

from tetherai.cluster.client import node_status  # noqa: E402
from tetherai.cluster.config import ChannelSpec, ClusterConfig, NodeSpec, OrgSpec  # noqa: E402
from tetherai.cluster.etcd_members import EtcdCluster, free_port  # noqa: E402
from tetherai.cluster.processes import NodeProcesses  # noqa: E402
from tetherai.cluster.setup import ClusterHome, Tools, bootstrap_chain, create_cluster  # noqa: E402

ORG = "Org1"
ORDERER = f"orderer0.{ORG}"


@dataclass
class Deployment:
    home: ClusterHome
    peers: list[str]
    postgres: PostgresServer
    etcd: EtcdCluster
    nodes: NodeProcesses

    def new_database(self) -> str:
        """The URL of a fresh database on the PostgreSQL server (a server's service database)."""
        return self.postgres.url(self.postgres.create_database())

    def support_pids(self) -> dict[str, list[int]]:
        """The processes besides the API servers, by part: the orderer, the etcd members and
        the PostgreSQL server (its postmaster; the backends are its children)."""
        postmaster = (self.postgres.root / "data" / "postmaster.pid").read_text().split()[0]
        return {
            "orderer": [self.nodes.running[ORDERER].pid],
            "etcd": [m.process.pid for m in self.etcd.members if m.process is not None],
            "postgres": [int(postmaster)],
        }


@contextmanager
def deployment(root: Path, *, servers: int, etcd_members: int) -> Iterator[Deployment]:
    """PostgreSQL, etcd, the cluster's home (one org, one channel ``main``, ``servers``
    peers and one orderer) and the orderer process; everything is stopped afterwards. The
    peers are not started: each is a server process of the benchmark."""
    with run_postgres() as postgres:
        etcd = EtcdCluster.create(root / "etcd", etcd_members)
        etcd.start()
        nodes: NodeProcesses | None = None
        try:
            config = ClusterConfig(
                channels=(ChannelSpec("main", (ORG,)),),
                etcd=tuple(etcd.endpoints),
                etcd_ca=str(etcd.tls_dir),
                orgs=(OrgSpec(ORG, "admin"),),
                peers=tuple(
                    NodeSpec(f"peer{n}.{ORG}", ORG, f"127.0.0.1:{free_port()}")
                    for n in range(servers)
                ),
                orderers=(NodeSpec(ORDERER, ORG, f"127.0.0.1:{free_port()}"),),
            )
            home = ClusterHome(root / "cluster")
            create_cluster(
                home,
                config,
                passphrase=PASSPHRASE,
                now_ms=int(time.time() * 1000),
                kdf_rounds=TEST_KDF_ROUNDS,
            )
            client = home.etcd_client(Tools(ORG), PASSPHRASE)
            try:
                bootstrap_chain(home, client)
            finally:
                client.close()
            nodes = NodeProcesses(home, PASSPHRASE)
            nodes.start("orderer", ORDERER)
            _wait_leading(home, nodes)
            yield Deployment(home, [p.name for p in config.peers], postgres, etcd, nodes)
        finally:
            if nodes is not None:
                nodes.stop()
            etcd.stop()


def _wait_leading(home: ClusterHome, nodes: NodeProcesses, timeout: float = 60) -> None:
    config = home.cluster_config()
    clients = home.tools_clients(ORG, PASSPHRASE)
    try:
        stop = time.monotonic() + timeout
        while not (node_status(clients, config.orderer(ORDERER)) or {}).get("leader"):
            if nodes.running[ORDERER].poll() is not None or time.monotonic() > stop:
                log = home.root / "logs" / f"{ORDERER}.log"
                raise SystemExit(f"the orderer did not start to lead: {log.read_text()[-2000:]}")
            time.sleep(0.1)
    finally:
        clients.close()
