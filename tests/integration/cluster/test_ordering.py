"""The etcd orderer against a real 3-member etcd cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.common.network import PASSPHRASE
from tests.common.waiting import PATIENCE, wait_until
from tests.integration.cluster.conftest import Cluster
from tetherai.cluster.setup import node_key
from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry
from tetherai.ledger.block import Block
from tetherai.ledger.peer import Peer
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ordering.batching import cut_block
from tetherai.ordering.etcd import ChainKeys, append_block, read_blocks, read_head, sync_peer
from tetherai.ordering.etcd_client import EtcdClient
from tetherai.services.network import ParticipantKey

pytestmark = pytest.mark.integration


def notarize(admin: ParticipantKey, name: str) -> object:
    digest = name.encode().hex().ljust(64, "0")[:64]
    return admin.sign(
        "main", "notary", "notarize", {"name": name, "sha256": digest}, int(time.time() * 1000)
    )


def whole_chain(client: EtcdClient) -> list[Block]:
    keys = ChainKeys("main")
    blocks: list[Block] = []
    while batch := read_blocks(client, keys, len(blocks), 256):
        blocks.extend(batch)
    assert len(blocks) == read_head(client, keys)
    return blocks


def replay(tmp_path: Path, blocks: list[Block]) -> Peer:
    """A fresh peer accepts the whole chain: links, signatures and Merkle log all check."""
    store = SqliteLedgerStore(tmp_path / "replay.sqlite")
    peer = Peer(store=store, channel="main", registry=default_registry(), rules=MembershipRules())
    for block in blocks:
        peer.commit(block)
    return peer


def tx_ids(blocks: list[Block]) -> list[str]:
    return [envelope.tx_id for block in blocks for envelope in block.envelopes]


def test_writes_continue_when_the_etcd_leader_is_killed(cluster: Cluster, tmp_path: Path) -> None:
    orderer = cluster.open_orderer(max_txs=50, max_wait=0.01)
    peers = [p.name for p in cluster.config.peers_of("main")]
    for name in peers:  # real peer processes follow the chain through the leader's death too
        cluster.start_peer(name)
    admin = cluster.admin()
    acknowledged: list[str] = []
    failed: list[BaseException] = []
    killed = threading.Event()

    def stream() -> None:
        for round_ in range(40):
            envelopes = [notarize(admin, f"doc-{round_}-{i}") for i in range(20)]
            futures = [orderer.submit(e) for e in envelopes]  # type: ignore[arg-type]
            for future in futures:
                try:
                    result = future.result(timeout=PATIENCE)
                except BaseException as error:
                    failed.append(error)
                    continue
                assert result.valid, result
                acknowledged.append(result.tx_id)

    writer = threading.Thread(target=stream)
    writer.start()
    while len(acknowledged) < 200:
        time.sleep(0.01)
    leader = cluster.etcd.leader()
    assert leader is not None
    cluster.etcd.kill(leader)
    killed.set()
    at_kill = len(acknowledged)
    writer.join(timeout=2 * PATIENCE)
    assert not writer.is_alive()
    assert failed == []
    assert len(acknowledged) == 800 > at_kill
    # A new leader was elected among the two members left, and the chain in etcd holds every
    # acknowledged tx exactly once, in one chain a fresh peer accepts.
    assert cluster.etcd.leader() not in (None, leader)
    blocks = whole_chain(cluster.client)
    ids = tx_ids(blocks)
    assert len(ids) == len(set(ids))
    assert set(acknowledged) <= set(ids)
    peer = replay(tmp_path, blocks)
    assert peer.head.state_root == orderer.peer.head.state_root
    cluster.wait_height(peers, len(blocks))
    for name in peers:
        status = cluster.status(name)
        assert status["state_root"] == peer.head.state_root and status["divergent"] is None


def test_an_append_is_a_compare_and_swap_and_idempotent(cluster: Cluster) -> None:
    keys = ChainKeys("main")
    first = cluster.open_orderer(campaign=False)
    key_a = node_key(cluster.home, "orderer0.Org1", PASSPHRASE)
    key_b = node_key(cluster.home, "orderer1.Org2", PASSPHRASE)
    admin = cluster.admin()
    ts = int(time.time() * 1000)
    mine = cut_block(first.peer, [notarize(admin, "a")], key_a, ts)  # type: ignore[list-item]
    theirs = cut_block(first.peer, [notarize(admin, "b")], key_b, ts)  # type: ignore[list-item]
    assert mine.header.number == theirs.header.number == 1
    assert append_block(cluster.client, keys, theirs)
    # The same block again (a retry after a lost answer) is recognized, not stored twice.
    assert append_block(cluster.client, keys, theirs)
    # Another block for the same number is refused: no fork.
    assert not append_block(cluster.client, keys, mine)
    # A block that skips ahead of the head is refused too.
    assert read_head(cluster.client, keys) == 2
    blocks = whole_chain(cluster.client)
    assert [b.header.hash for b in blocks][1] == theirs.header.hash
    # The orderer that lost catches up, and orders its tx on top of the winner's block.
    result = first.submit(notarize(admin, "a")).result(timeout=PATIENCE)  # type: ignore[arg-type]
    assert result.valid
    assert [b.header.number for b in whole_chain(cluster.client)] == [0, 1, 2]


def test_two_orderers_racing_make_one_chain(cluster: Cluster, tmp_path: Path) -> None:
    # No leader lease here: both order at once, and the compare-and-swap alone keeps one chain.
    a = cluster.open_orderer("orderer0.Org1", campaign=False, max_txs=10, max_wait=0.005)
    b = cluster.open_orderer("orderer1.Org2", campaign=False, max_txs=10, max_wait=0.005)
    admins = [cluster.admin("Org1"), cluster.admin("Org2")]
    results: dict[str, list[str]] = {"a": [], "b": []}

    def write(name: str, orderer: object, admin: ParticipantKey) -> None:
        for round_ in range(15):
            futures = [
                orderer.submit(notarize(admin, f"{name}-{round_}-{i}"))  # type: ignore[attr-defined]
                for i in range(10)
            ]
            for future in futures:
                result = future.result(timeout=PATIENCE)
                assert result.valid, result
                results[name].append(result.tx_id)

    threads = [
        threading.Thread(target=write, args=("a", a, admins[0])),
        threading.Thread(target=write, args=("b", b, admins[1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * PATIENCE)
    assert len(results["a"]) == len(results["b"]) == 150
    blocks = whole_chain(cluster.client)
    ids = tx_ids(blocks)
    assert len(ids) == len(set(ids)) == 1 + 300
    peer = replay(tmp_path, blocks)
    assert peer.head.height == len(blocks)
    # Both orderers stored blocks, and each one's copy of the chain is the same chain.
    assert a.appends > 0 and b.appends > 0
    assert a.peer.store.block(a.peer.head.height - 1) is not None
    for orderer in (a, b):
        sync_peer(orderer.peer, cluster.client, ChainKeys("main"))
        assert orderer.peer.head.block_hash == blocks[-1].header.hash
        assert orderer.peer.head.state_root == peer.head.state_root


def test_a_standby_orderer_takes_over_when_the_leader_dies(cluster: Cluster) -> None:
    spec = cluster.config.orderer("orderer0.Org1")
    log = (cluster.home.root / "orderer0.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "tetherai.cluster", "orderer",
         "--home", str(cluster.home.root), "--name", spec.name, "--max-wait", "0.01"],
        env={**os.environ, "TETHER_PASSPHRASE": PASSPHRASE.decode()},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    try:
        admin = cluster.admin()

        def leading() -> bool:
            try:
                status = cluster.http(spec.name).get(f"{spec.url}/status", timeout=PATIENCE)
                channels = status.json()["channels"]
            except httpx.HTTPError:
                return False
            return bool(channels.get("main", {}).get("leader"))

        wait_until(leading, message="the first orderer did not become leader")
        before: Any = notarize(admin, "before")
        answer = cluster.http(spec.name).post(
            f"{spec.url}/txs", json=before.to_json(), timeout=PATIENCE
        )
        assert answer.status_code == 200 and answer.json()["valid"], answer.text
        # A standby cannot lead while the first holds the lease.
        with pytest.raises(Exception, match="did not become leader"):
            cluster.open_orderer("orderer1.Org2", leader_timeout=1.5)
        process.kill()  # a crash: the lease is not revoked, it expires
        process.wait(timeout=10)
        standby = cluster.open_orderer("orderer1.Org2", leader_timeout=PATIENCE)
        assert standby.leader() == "orderer1.Org2"
        result = standby.submit(notarize(admin, "after")).result(timeout=PATIENCE)  # type: ignore[arg-type]
        assert result.valid
        blocks = whole_chain(cluster.client)
        assert [b.header.number for b in blocks] == list(range(len(blocks)))
        assert len(tx_ids(blocks)) == 3
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_writes_wait_out_a_lost_quorum_and_none_is_lost(cluster: Cluster, tmp_path: Path) -> None:
    orderer = cluster.open_orderer(max_txs=20, max_wait=0.01)
    admin = cluster.admin()
    assert orderer.submit(notarize(admin, "before")).result(timeout=PATIENCE).valid  # type: ignore[arg-type]
    # Two of three members down: etcd has no quorum, so no block can be appended.
    down = cluster.etcd.members[:2]
    for member in down:
        cluster.etcd.kill(member)
    futures = [orderer.submit(notarize(admin, f"during-{i}")) for i in range(50)]  # type: ignore[arg-type]
    time.sleep(2)
    assert not any(future.done() for future in futures)
    cluster.etcd.start()  # the same members, data directories kept: the quorum is back
    results = [future.result(timeout=PATIENCE) for future in futures]
    assert all(result.valid for result in results)
    blocks = whole_chain(cluster.client)
    ids = tx_ids(blocks)
    assert len(ids) == len(set(ids)) == 1 + 1 + 50
    assert replay(tmp_path, blocks).head.state_root == orderer.peer.head.state_root
