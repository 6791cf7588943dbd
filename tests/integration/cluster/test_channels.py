"""Channels: each has its own member orgs and ledger; a peer keeps only its org's channels."""

from __future__ import annotations

import time
from typing import Any, cast

import pytest

from tests.common.waiting import PATIENCE
from tests.integration.cluster.conftest import Cluster
from tetherai.ledger.errors import TxRejected

pytestmark = pytest.mark.integration

PEERS = ["peer0.Org1", "peer0.Org2", "peer0.Org3"]


def query(cluster: Cluster, peer: str, channel: str, contract: str, fn: str, **args: object) -> Any:
    return cluster.http(peer).post(
        f"{cluster.config.peer(peer).url}/query",
        json={"channel": channel, "contract": contract, "fn": fn, "args": args},
        timeout=PATIENCE,
    )


def test_a_project_lives_in_one_channel_held_only_by_its_orgs_peers(cluster: Cluster) -> None:
    cluster.open_orderer(channel="main", max_wait=0.01)
    credit = cluster.open_orderer(channel="credit", max_wait=0.01)
    for name in PEERS:
        cluster.start_peer(name)
    # Org1's admin creates a project in channel credit (Org1 + Org3), through Org1's peer.
    admin = cluster.admin("Org1")
    create = admin.sign(
        "credit", "project", "create", {"name": "Credit Scoring"}, int(time.time() * 1000)
    )
    answer = cluster.http("peer0.Org1").post(
        f"{cluster.config.peer('peer0.Org1').url}/txs", json=create.to_json(), timeout=30
    )
    assert answer.status_code == 200 and answer.json()["valid"], answer.text
    project = answer.json()["result"]["project"]
    height = credit.peer.head.height
    cluster.wait_height(["peer0.Org1", "peer0.Org3"], height, channel="credit")
    # Org3's peer has it in channel credit; channel main has no such project.
    found = query(cluster, "peer0.Org3", "credit", "project", "get", project=project)
    assert (
        found.status_code == 200 and found.json()["result"]["project"]["name"] == "Credit Scoring"
    )
    absent = query(cluster, "peer0.Org1", "main", "project", "get", project=project)
    assert absent.status_code == 404, absent.text
    assert absent.json()["error"]["code"] == "contract.not_found"
    # Org2 is not a member of credit: its peer keeps no copy and says so, for reads and writes.
    refused = query(cluster, "peer0.Org2", "credit", "project", "get", project=project)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "cluster.no_channel"
    write = admin.sign("credit", "notary", "notarize", {"name": "x", "sha256": "ab" * 32}, 0)
    refused = cluster.http("peer0.Org2").post(
        f"{cluster.config.peer('peer0.Org2').url}/txs", json=write.to_json(), timeout=10
    )
    assert refused.status_code == 404
    assert not cluster.home.node_ledger("peer0.Org2", "credit").exists()
    status: Any = cluster.status("peer0.Org2")
    assert set(status["channels"]) == {"main"}
    assert set(cast(Any, cluster.status("peer0.Org3"))["channels"]) == {"main", "credit"}
    # Each channel is its own chain: roots are compared among that channel's peers only.
    org1 = cluster.status("peer0.Org1", "credit")
    org3 = cluster.status("peer0.Org3", "credit")
    assert org1["state_root"] == org3["state_root"] == credit.peer.head.state_root
    assert org1["divergent"] is None and org3["divergent"] is None
    # Org2's admin is not even a participant of channel credit: the orderer refuses it.
    outsider = cluster.admin("Org2").sign(
        "credit", "notary", "notarize", {"name": "y", "sha256": "cd" * 32}, int(time.time() * 1000)
    )
    with pytest.raises(TxRejected) as refused_tx:
        credit.submit(outsider)
    assert refused_tx.value.code == "tx.unknown_certificate"
