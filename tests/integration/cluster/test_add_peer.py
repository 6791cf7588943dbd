"""A new org's peer joins a running cluster: add-org, add-peer, start it; it catches up (from
other peers for blocks already compacted out of etcd), agrees, cosigns and takes writes."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.common.network import PASSPHRASE, TEST_KDF_ROUNDS
from tests.common.waiting import PATIENCE
from tests.integration.cluster.conftest import Cluster
from tetherai.cli.main import app
from tetherai.cluster.etcd_members import free_port
from tetherai.cluster.joining import join_org
from tetherai.contracts.membership import MembershipRules
from tetherai.ledger.checkpoint import CosignatureVerifier, NoteVerifier, open_note
from tetherai.ordering.etcd import ChainKeys, EtcdOrderer
from tetherai.services.network import ParticipantKey, load_participant

pytestmark = pytest.mark.integration

OLD = ["peer0.Org1", "peer0.Org2", "peer0.Org3"]
# Four orgs by then: Org4 proposes its peer, two others approve (3 of 4 is the majority).
APPROVERS = ["--by", "Org1", "--by", "Org2"]
NEW = "peer0.Org4"


def notarize(orderer: EtcdOrderer, admin: ParticipantKey, name: str) -> None:
    envelope = admin.sign(
        "main", "notary", "notarize", {"name": name, "sha256": "ab" * 32}, int(time.time() * 1000)
    )
    assert orderer.submit(envelope).result(timeout=PATIENCE).valid


def compacted(cluster: Cluster) -> int:
    found = cluster.client.get(ChainKeys("main").compacted)
    return 0 if found is None else int(found.value)


def write_until_compacted_past(
    cluster: Cluster, orderer: EtcdOrderer, admin: ParticipantKey, mark: int, prefix: str
) -> None:
    """One-tx blocks until the orderer's own compaction (every 5 appends) passes ``mark``."""
    stop = time.monotonic() + PATIENCE
    n = 0
    while compacted(cluster) <= mark:
        assert time.monotonic() < stop, f"not compacted past {mark}: {compacted(cluster)}"
        notarize(orderer, admin, f"{prefix}-{n}")
        n += 1
        time.sleep(0.02)  # let the peers ack the block before the next compaction


def add_peer_cli(cluster: Cluster, api: str) -> Result:
    return CliRunner().invoke(
        app,
        ["network", "add-peer", NEW, "--api", api, *APPROVERS, "--home", str(cluster.home.root)],
        env={"TETHER_PASSPHRASE": PASSPHRASE.decode()},
    )


def latest_note(cluster: Cluster, name: str) -> tuple[int, str]:
    with sqlite3.connect(cluster.home.node_ledger(name, "main")) as db:
        row = db.execute(
            "SELECT block, note FROM checkpoints ORDER BY block DESC LIMIT 1"
        ).fetchone()
    return int(row[0]), str(row[1])


def test_a_new_orgs_peer_joins_catches_up_cosigns_and_takes_writes(cluster: Cluster) -> None:
    # Compaction waits for the channel's peers as the orderer's ledger lists them.
    orderer = cluster.open_orderer(max_txs=5, max_wait=0.01, compact_every=5)
    admin = cluster.admin()
    for name in OLD:
        cluster.start_peer(name)
    write_until_compacted_past(cluster, orderer, admin, 0, "before")
    joined = join_org(
        cluster.home,
        "Org4",
        admin_id="admin",
        by=["Org1", "Org2"],  # two of the three orgs: a majority
        passphrase=PASSPHRASE,
        now_ms=int(time.time() * 1000),
        kdf_rounds=TEST_KDF_ROUNDS,
    )
    assert joined.applied and joined.approvals == ["Org1", "Org2"]
    api = f"127.0.0.1:{free_port()}"
    toml = cluster.home.cluster_config_path.read_text()
    result = add_peer_cli(cluster, api)
    assert result.exit_code == 0, result.stderr
    assert f"add peer {NEW}: applied in channel main" in result.stdout
    added_at = orderer.peer.head.height - 1  # the block of add_peer
    members = [node.name for node in MembershipRules().peers(orderer.peer.store)]
    assert members == [*OLD, NEW]
    # Had it stopped before writing cluster.toml, running it again finishes the job and sends
    # no second tx (the ledger lists the peer with the same key).
    cluster.home.cluster_config_path.write_text(toml)
    assert add_peer_cli(cluster, api).exit_code == 0
    assert orderer.peer.head.height - 1 == added_at
    # Once done, it is refused clearly; cluster.toml lists it once.
    again = add_peer_cli(cluster, api)
    assert again.exit_code != 0 and "already" in again.stderr
    assert cluster.home.cluster_config_path.read_text().count(f'name = "{NEW}"') == 1
    # The new peer has acknowledged nothing: compaction stops where it was.
    held = compacted(cluster)
    for n in range(12):
        notarize(orderer, admin, f"held-{n}")
    assert compacted(cluster) == held
    assert held > 0  # blocks 0…held-1 are only on the other peers now

    cluster.config = cluster.home.cluster_config()
    cluster.start_peer(NEW)
    height = orderer.peer.head.height
    cluster.wait_height([*OLD, NEW], height)
    statuses = [cluster.status(name) for name in [*OLD, NEW]]
    assert {s["state_root"] for s in statuses} == {orderer.peer.head.state_root}
    assert all(s["divergent"] is None and s["accepting_writes"] for s in statuses)
    url = cluster.config.peer(NEW).url
    found = (
        cluster.http(NEW)
        .post(
            f"{url}/query",
            json={"contract": "notary", "fn": "lookup", "args": {"name": "before-0"}},
            timeout=PATIENCE,
        )
        .json()
    )
    assert found["result"]["sha256"] == "ab" * 32

    # A write through the new peer, signed by Org4's admin, is committed everywhere.
    org4 = load_participant(cluster.home, "Org4", "admin", PASSPHRASE)
    envelope = org4.sign(
        "main", "notary", "notarize", {"name": "from-org4", "sha256": "cd" * 32},
        int(time.time() * 1000),
    )  # fmt: skip
    answer: dict[str, Any] = (
        cluster.http(NEW).post(f"{url}/txs", json=envelope.to_json(), timeout=PATIENCE).json()
    )
    assert answer["valid"], answer
    cluster.wait_height([*OLD, NEW], orderer.peer.head.height)
    for name in OLD:
        got = (
            cluster.http(name)
            .post(
                f"{cluster.config.peer(name).url}/query",
                json={"contract": "notary", "fn": "lookup", "args": {"name": "from-org4"}},
                timeout=PATIENCE,
            )
            .json()
        )
        assert got["result"]["sha256"] == "cd" * 32

    # Its cosignature is on a checkpoint after it joined, verified with the keys on the ledger.
    store = orderer.peer.store
    rules = MembershipRules()
    verifiers: list[NoteVerifier | CosignatureVerifier] = [
        NoteVerifier(o.name, o.public_key) for o in rules.orderers(store)
    ]
    verifiers += [CosignatureVerifier(p.name, p.public_key) for p in rules.peers(store)]
    stop = time.monotonic() + PATIENCE
    while (block := latest_note(cluster, NEW)[0]) < orderer.peer.head.height - 1:
        assert time.monotonic() < stop, block
        time.sleep(0.05)
    assert block > added_at
    opened = open_note(latest_note(cluster, NEW)[1], verifiers)
    assert set(opened.verified) == {"orderer0.Org1", NEW}
    # It compared its root with a majority of the four, and once it acknowledged, compaction
    # moves on past where it was held.
    assert cluster.client.get(ChainKeys("main").checked(NEW)) is not None
    write_until_compacted_past(cluster, orderer, admin, held, "after")
