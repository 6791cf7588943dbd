"""``make cluster-demo``: 3 etcd members, 3 orgs' peers and an orderer, one model's life cycle.

Everything runs as real processes on 127.0.0.1 in a temporary directory (or ``--root``):
Org1's AI engineer creates a project and registers a version, Org2's MLOps engineer verifies
and deploys it, Org3's stakeholder accepts it; each writes through its own org's peer (over
mutual TLS; etcd only with client certificates). A change of the channel proposed by one org's
admin then waits until a majority of the orgs approved it. The
demo ends by checking that the three peers hold the same state root and that each cosigned
the orderer's checkpoint, then prints one ``cluster-demo: ok`` line.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tetherai.cluster.client import node_status
from tetherai.cluster.config import ChannelSpec, ClusterConfig, NodeSpec, OrgSpec
from tetherai.cluster.etcd_members import EtcdCluster, free_port
from tetherai.cluster.governance import sign_change
from tetherai.cluster.processes import NodeProcesses
from tetherai.cluster.setup import (
    ClusterHome,
    Tools,
    bootstrap_chain,
    create_cluster,
    node_key,
)
from tetherai.cluster.tls import NodeClients
from tetherai.errors import TetherError
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.ledger.checkpoint import (
    CosignatureSigner,
    CosignatureVerifier,
    NoteSigner,
    NoteVerifier,
    open_note,
)
from tetherai.services.network import ParticipantKey, issue_participant, load_participant

__all__ = ["DemoFailed", "run_demo"]


class DemoFailed(TetherError):
    code = "cluster.demo_failed"


PASSPHRASE = b"cluster-demo"
ORGS = ("Org1", "Org2", "Org3")
DIGESTS = {"model": "33" * 32, "test": "22" * 32}
OrgClients = dict[str, NodeClients]
"""Each org's tools' clients of the nodes (mutual TLS, the org's certificate)."""


def _now() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Writer:
    """Someone who writes through their own org's peer (the org's tools carry it there)."""

    key: ParticipantKey
    peer: NodeSpec
    clients: NodeClients
    channel: str = "main"

    def call(self, contract: str, fn: str, **args: Any) -> Any:
        envelope = self.key.sign(self.channel, contract, fn, args, _now())
        http = self.clients.client(self.peer.org)
        answer = http.post(f"{self.peer.url}/txs", json=envelope.to_json(), timeout=60)
        body = answer.json()
        if answer.status_code != 200 or not body.get("valid"):
            raise DemoFailed(f"{self.key.id}@{self.key.org} {contract}.{fn}: {body}")
        return body.get("result")


def demo_config(etcd: EtcdCluster) -> ClusterConfig:
    return ClusterConfig(
        channels=(ChannelSpec("main", ORGS), ChannelSpec("credit", ("Org1", "Org3"))),
        etcd=tuple(etcd.endpoints),
        etcd_ca=str(etcd.tls_dir),
        orgs=tuple(OrgSpec(org, "admin") for org in ORGS),
        peers=tuple(NodeSpec(f"peer0.{o}", o, f"127.0.0.1:{free_port()}") for o in ORGS),
        orderers=(
            NodeSpec("orderer0.Org1", "Org1", f"127.0.0.1:{free_port()}"),
            NodeSpec("orderer1.Org2", "Org2", f"127.0.0.1:{free_port()}"),
        ),
    )


def enrol(
    home: ClusterHome, config: ClusterConfig, org: str, who: str, role: Role, clients: NodeClients
) -> Writer:
    """The org's CA issues a certificate; the org's admin enrols it on the ledger."""
    ca = CertificateAuthority.load(home.ca_dir(org), PASSPHRASE)
    key = issue_participant(home, ca, who, role, PASSPHRASE, datetime.now(tz=UTC))
    peer = config.peer(f"peer0.{org}")
    admin = Writer(load_participant(home, org, "admin", PASSPHRASE), peer, clients)
    admin.call("membership", "enroll", certificate=key.certificate_pem)
    return Writer(key, peer, clients)


def life_cycle(
    home: ClusterHome, config: ClusterConfig, say: Callable[[str], None], tools: OrgClients
) -> str:
    alice = enrol(home, config, "Org1", "alice", Role.AI_ENGINEER, tools["Org1"])
    bob = enrol(home, config, "Org2", "bob", Role.MLOPS_ENGINEER, tools["Org2"])
    carol = enrol(home, config, "Org3", "carol", Role.STAKEHOLDER, tools["Org3"])
    say("enrolled alice@Org1 (AI engineer), bob@Org2 (MLOps), carol@Org3 (stakeholder)")
    project = alice.call("project", "create", name="Credit Scoring", domain="finance")["project"]
    for org, who in (("Org2", "bob"), ("Org3", "carol")):
        alice.call("project", "add_member", project=project, org=org, id=who)
    artifacts = [
        {"kind": kind, "name": name, "uri": f"s3://demo/{name}", "size": 1000, "sha256": digest}
        for (name, digest), kind in zip(DIGESTS.items(), ("model", "test_dataset"), strict=True)
    ]
    alice.call(
        "model_version",
        "create",
        project=project,
        version="v1",
        code_repo="https://git.example/credit",
        commit="a" * 40,
        artifacts=artifacts,
        experiments=[{"name": "final", "metrics": {"test_accuracy": 0.97}}],
        submit=True,
    )
    say(f"alice registered and submitted {project}/v1 through peer0.Org1")

    def move(writer: Writer, to: str, **extra: Any) -> None:
        writer.call("workflow", "transition", project=project, version="v1", to=to, **extra)

    move(bob, "reviewing")
    bob.call(
        "review",
        "verify",
        project=project,
        version="v1",
        artifacts=[{"name": n, "sha256": d} for n, d in DIGESTS.items()],
    )
    move(bob, "review_passed")
    move(bob, "deployed", details={"endpoint": "https://models.example/credit"})
    say("bob verified the artifacts and deployed v1 through peer0.Org2")
    move(carol, "qa")
    move(bob, "production")
    say("carol accepted it in QA through peer0.Org3; bob put it in production")
    return str(project)


def channels(
    home: ClusterHome, config: ClusterConfig, say: Callable[[str], None], tools: OrgClients
) -> None:
    """A record in channel credit is on Org1's and Org3's peers, and Org2's has no copy."""
    org1 = config.peer("peer0.Org1")
    admin = Writer(
        load_participant(home, "Org1", "admin", PASSPHRASE), org1, tools["Org1"], "credit"
    )
    admin.call("notary", "notarize", name="credit-contract", sha256="ab" * 32)
    query: dict[str, Any] = {
        "channel": "credit",
        "contract": "notary",
        "fn": "lookup",
        "args": {"name": "credit-contract"},
    }
    stop = time.monotonic() + 20
    org3 = tools["Org3"].client("Org3")
    while True:
        answer = org3.post(f"{config.peer('peer0.Org3').url}/query", json=query, timeout=10)
        if answer.status_code == 200 and answer.json()["result"]:
            break
        if time.monotonic() > stop:
            raise DemoFailed(f"peer0.Org3 did not get the credit channel's record: {answer.text}")
        time.sleep(0.05)
    org2 = tools["Org2"].client("Org2")
    refused = org2.post(f"{config.peer('peer0.Org2').url}/query", json=query, timeout=10)
    if refused.status_code != 404:
        raise DemoFailed(f"peer0.Org2 should not hold channel credit: {refused.text}")
    say("channel credit: Org1 notarized a contract; peer0.Org3 has it, peer0.Org2 holds no copy")


def governance(home: ClusterHome, say: Callable[[str], None]) -> None:
    """A change of channel main waits for a majority of its orgs' admins, then applies."""
    args = {"max_skew_ms": 120_000}
    first = sign_change(
        home, "main", "set_limits", args, by=["Org1"], passphrase=PASSPHRASE, now_ms=_now()
    )
    if first.applied:
        raise DemoFailed("one org's admin changed a channel of three orgs alone")
    say(f"Org1's admin proposed to {first.change}: it waits ({', '.join(first.approvals)} of 3)")
    second = sign_change(
        home, "main", "set_limits", args, by=["Org3"], passphrase=PASSPHRASE, now_ms=_now()
    )
    if not second.applied:
        raise DemoFailed(f"a majority's approval did not apply the change: {second.describe()}")
    say("Org3's admin approved: a majority of the orgs, so the change applied in that tx")


def _wait_same_height(
    config: ClusterConfig, clients: NodeClients, timeout: float = 30
) -> list[dict[str, Any]]:
    stop = time.monotonic() + timeout
    while True:
        statuses = [node_status(clients, p) or {} for p in config.peers]
        heights = {s.get("height") for s in statuses}
        if len(heights) == 1 and None not in heights:
            return statuses
        if time.monotonic() > stop:
            raise DemoFailed(f"the peers did not converge: {statuses}")
        time.sleep(0.05)


def check_cosigned(home: ClusterHome, config: ClusterConfig, peer: str) -> tuple[str, ...]:
    with sqlite3.connect(home.node_ledger(peer, "main")) as db:
        row = db.execute("SELECT note FROM checkpoints ORDER BY block DESC LIMIT 1").fetchone()
    verifiers: list[NoteVerifier | CosignatureVerifier] = [
        NoteSigner(o.name, node_key(home, o.name, PASSPHRASE)).verifier() for o in config.orderers
    ]
    verifiers.append(CosignatureVerifier.from_vkey(_cosigner_vkey(home, peer)))
    return open_note(str(row[0]), verifiers).verified


def _cosigner_vkey(home: ClusterHome, peer: str) -> str:
    signer = CosignatureSigner(peer, node_key(home, peer, PASSPHRASE), timestamp=0)
    return signer.verifier().vkey


def run_demo(root: Path, say: Callable[[str], None] = print) -> str:
    etcd = EtcdCluster.create(root / "etcd", 3)
    etcd.start()
    nodes: NodeProcesses | None = None
    tools: OrgClients = {}
    try:
        say(f"etcd: 3 members at {', '.join(etcd.endpoints)}, TLS with client certificates only")
        config = demo_config(etcd)
        home = ClusterHome(root / "network")
        create_cluster(home, config, passphrase=PASSPHRASE, now_ms=_now())
        client = home.etcd_client(Tools("Org1"), PASSPHRASE)
        genesis = bootstrap_chain(home, client)
        client.close()
        tools = {org: home.tools_clients(org, PASSPHRASE) for org in ORGS}
        say(
            "network: orgs Org1, Org2, Org3 with their CAs; channels main (all three, genesis "
            f"{genesis['main'][:12]}…) and credit (Org1, Org3, genesis {genesis['credit'][:12]}…)"
        )
        nodes = NodeProcesses(home, PASSPHRASE)
        nodes.start_all()
        leader = next(
            o.name for o in config.orderers if (node_status(tools["Org1"], o) or {}).get("leader")
        )
        say(f"started 2 orderers ({leader} won the leader lease) and one peer per org")
        say("nodes call each other over mutual TLS with their orgs' certificates")
        project = life_cycle(home, config, say, tools)
        channels(home, config, say, tools)
        governance(home, say)
        statuses = _wait_same_height(config, tools["Org1"])
        roots = {s["state_root"] for s in statuses}
        if len(roots) != 1 or any(s["divergent"] for s in statuses):
            raise DemoFailed(f"the peers disagree: {statuses}")
        for peer in config.peers:
            signed = check_cosigned(home, config, peer.name)
            if set(signed) != {leader, peer.name}:
                raise DemoFailed(f"{peer.name}'s checkpoint is not cosigned: {signed}")
        height = statuses[0]["height"]
        return (
            f"cluster-demo: ok — {project}/v1 in production; 3 peers at height {height} "
            f"agree on state root {next(iter(roots))[:16]}… and cosigned the checkpoint"
        )
    finally:
        for clients in tools.values():
            clients.close()
        if nodes is not None:
            nodes.stop()
        etcd.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, help="keep the demo's files here")
    args = parser.parse_args()
    if args.root is not None:
        args.root.mkdir(parents=True, exist_ok=True)
        print(run_demo(args.root))
        return
    with tempfile.TemporaryDirectory(prefix="tether-cluster-demo-") as tmp:
        print(run_demo(Path(tmp)))


if __name__ == "__main__":
    main()
