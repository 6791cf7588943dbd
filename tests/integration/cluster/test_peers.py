"""Real peer processes following a real etcd cluster: catch-up, compaction, divergence."""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.common.waiting import PATIENCE
from tests.integration.cluster.conftest import Cluster
from tetherai.ledger.checkpoint import CosignatureVerifier, NoteVerifier, open_note
from tetherai.ledger.executor import TxResult
from tetherai.ordering.etcd import BlocksCompacted, ChainKeys, EtcdOrderer, compact, read_blocks
from tetherai.services.network import ParticipantKey

pytestmark = pytest.mark.integration

PEERS = ["peer0.Org1", "peer0.Org2", "peer0.Org3"]


def notarize_many(
    orderer: EtcdOrderer, admin: ParticipantKey, prefix: str, count: int
) -> list[TxResult]:
    futures = [
        orderer.submit(
            admin.sign(
                "main",
                "notary",
                "notarize",
                {"name": f"{prefix}-{i}", "sha256": f"{i:064x}"},
                int(time.time() * 1000),
            )
        )
        for i in range(count)
    ]
    return [future.result(timeout=PATIENCE) for future in futures]


def test_a_killed_peer_catches_up_and_agrees(cluster: Cluster) -> None:
    orderer = cluster.open_orderer(max_txs=100, max_wait=0.01)
    admin = cluster.admin()
    for name in PEERS:
        cluster.start_peer(name)
    assert all(r.valid for r in notarize_many(orderer, admin, "first", 20))
    cluster.wait_height(PEERS, orderer.peer.head.height)
    cluster.kill_peer("peer0.Org3")
    results = notarize_many(orderer, admin, "while-down", 1000)
    assert all(r.valid for r in results)
    height = orderer.peer.head.height
    cluster.wait_height(PEERS[:2], height)
    cluster.start_peer("peer0.Org3")
    cluster.wait_height(PEERS, height)
    statuses = [cluster.status(name) for name in PEERS]
    assert {s["state_root"] for s in statuses} == {orderer.peer.head.state_root}
    assert all(s["accepting_writes"] and s["divergent"] is None for s in statuses)
    # A cluster's channels are of ledger format 2: the roots they agree on chain per-tx results.
    assert orderer.peer.store.ledger_format == 2
    # The caught-up peer serves queries and proofs of what was written while it was down.
    url = cluster.config.peer("peer0.Org3").url
    org3 = cluster.http("peer0.Org3")
    found = org3.post(
        f"{url}/query",
        json={"contract": "notary", "fn": "lookup", "args": {"name": "while-down-999"}},
        timeout=PATIENCE,
    ).json()
    assert found["result"]["sha256"] == f"{999:064x}"
    proof = org3.get(f"{url}/proof/inclusion", params={"seq": 5}, timeout=PATIENCE).json()["proof"]
    assert proof == [node.hex() for node in orderer.peer.inclusion_proof(5)]
    # It cosigned the orderer's checkpoint of its head: both signatures verify.
    store = orderer.peer.store
    note = _peer_checkpoint(cluster, "peer0.Org3")
    opened = open_note(
        note,
        [
            NoteVerifier.from_vkey(_vkey(cluster, "orderer0.Org1", note=True)),
            CosignatureVerifier.from_vkey(_vkey(cluster, "peer0.Org3", note=False)),
        ],
    )
    assert set(opened.verified) == {"orderer0.Org1", "peer0.Org3"}
    assert store.height == height


def _vkey(cluster: Cluster, node: str, *, note: bool) -> str:
    from tests.common.network import PASSPHRASE
    from tetherai.cluster.setup import node_key
    from tetherai.ledger.checkpoint import CosignatureSigner, NoteSigner

    key = node_key(cluster.home, node, PASSPHRASE)
    signer = NoteSigner(node, key) if note else CosignatureSigner(node, key, timestamp=0)
    return signer.verifier().vkey


def _peer_checkpoint(cluster: Cluster, name: str) -> str:
    # Read through a second connection: the peer process holds its own.
    with sqlite3.connect(cluster.home.node_ledger(name, "main")) as db:
        row = db.execute("SELECT note FROM checkpoints ORDER BY block DESC LIMIT 1").fetchone()
    return str(row[0])


def test_compacted_blocks_come_from_another_peer(cluster: Cluster) -> None:
    orderer = cluster.open_orderer(max_txs=50, max_wait=0.01)
    admin = cluster.admin()
    for name in PEERS:
        cluster.start_peer(name)
    assert all(r.valid for r in notarize_many(orderer, admin, "doc", 300))
    height = orderer.peer.head.height
    cluster.wait_height(PEERS, height)
    # Every peer acknowledged every block (acks are written after each batch), so they go.
    keys = ChainKeys("main")
    stop = time.monotonic() + PATIENCE
    while compact(cluster.client, keys, PEERS) < height:
        assert time.monotonic() < stop
        time.sleep(0.05)
    with pytest.raises(BlocksCompacted):
        read_blocks(cluster.client, keys, 0)
    assert cluster.client.range(keys.checkpoint(0), keys.checkpoint(height - 1)) == []
    # One more block: each peer then reports which roots it has compared, and once all have,
    # those roots go too.
    assert all(r.valid for r in notarize_many(orderer, admin, "more", 1))
    cluster.wait_height(PEERS, height + 1)
    while cluster.client.range(keys.roots(0), keys.roots(height - 1)):
        compact(cluster.client, keys, PEERS)
        assert time.monotonic() < stop
        time.sleep(0.05)
    height += 1
    # A peer that lost its disk rebuilds from another peer's API, checking every block.
    cluster.stop_peer("peer0.Org3")
    for suffix in ("", "-wal", "-shm"):
        path = cluster.home.node_ledger("peer0.Org3", "main").with_name(f"ledger.sqlite{suffix}")
        path.unlink(missing_ok=True)
    cluster.start_peer("peer0.Org3")
    cluster.wait_height(PEERS, height)
    status = cluster.status("peer0.Org3")
    assert status["state_root"] == orderer.peer.head.state_root
    assert status["divergent"] is None and status["error"] is None


def test_a_tampered_peer_is_reported_and_the_others_keep_serving(cluster: Cluster) -> None:
    orderer = cluster.open_orderer(max_txs=50, max_wait=0.01)
    admin = cluster.admin()
    for name in PEERS:
        cluster.start_peer(name)
    assert all(r.valid for r in notarize_many(orderer, admin, "doc", 10))
    cluster.wait_height(PEERS, orderer.peer.head.height)
    # Someone edits a record in Org3's ledger file behind its peer's back.
    cluster.stop_peer("peer0.Org3")
    with sqlite3.connect(cluster.home.node_ledger("peer0.Org3", "main")) as db:
        changed = db.execute(
            "UPDATE state SET value = replace(value, 'admin@Org1', 'mallory@Org1') "
            "WHERE key = 'notary/doc-3'"
        ).rowcount
    assert changed == 1
    cluster.start_peer("peer0.Org3")
    # The admin withdraws that record: valid on the honest peers, refused on the tampered one.
    withdraw = admin.sign("main", "notary", "withdraw", {"name": "doc-3"}, int(time.time() * 1000))
    honest = cluster.config.peer("peer0.Org1").url
    answer = cluster.http("peer0.Org1").post(
        f"{honest}/txs", json=withdraw.to_json(), timeout=PATIENCE
    )
    assert answer.status_code == 200 and answer.json()["valid"], answer.text
    diverged_at = orderer.peer.head.height - 1
    stop = time.monotonic() + PATIENCE
    while (status := cluster.status("peer0.Org3"))["divergent"] is None:
        assert time.monotonic() < stop, status
        time.sleep(0.05)
    assert status["accepting_writes"] is False
    assert status["divergent"]["block"] == diverged_at  # type: ignore[index]
    assert status["divergent"]["majority"] == orderer.peer.head.state_root  # type: ignore[index]
    # It refuses writes, in the one error shape.
    refused = cluster.http("peer0.Org3").post(
        f"{cluster.config.peer('peer0.Org3').url}/txs",
        json=admin.sign(
            "main", "notary", "withdraw", {"name": "doc-4"}, int(time.time() * 1000)
        ).to_json(),
        timeout=PATIENCE,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "cluster.divergent"
    assert str(diverged_at) in refused.json()["error"]["message"]
    # The others agree with each other, keep taking writes and serving queries.
    more = admin.sign("main", "notary", "withdraw", {"name": "doc-5"}, int(time.time() * 1000))
    answer = cluster.http("peer0.Org2").post(
        f"{cluster.config.peer('peer0.Org2').url}/txs", json=more.to_json(), timeout=30
    )
    assert answer.status_code == 200 and answer.json()["valid"], answer.text
    cluster.wait_height(PEERS[:2], orderer.peer.head.height)
    for name in PEERS[:2]:
        status = cluster.status(name)
        assert status["divergent"] is None and status["state_root"] == orderer.peer.head.state_root
        found = (
            cluster.http(name)
            .post(
                f"{cluster.config.peer(name).url}/query",
                json={"contract": "notary", "fn": "lookup", "args": {"name": "doc-3"}},
                timeout=PATIENCE,
            )
            .json()
        )
        assert found["result"] is None
