"""The project's API app running on top of a cluster peer: reads are that peer's copy, writes
are ordered by the cluster and answered once this peer has executed them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.common.network import PASSPHRASE
from tests.common.server import serve
from tests.common.waiting import PATIENCE
from tests.integration.cluster.conftest import Cluster
from tetherai.api.app import create_app
from tetherai.cluster.api_node import RemoteOrderer, api_home, cluster_node
from tetherai.cluster.etcd_members import free_port
from tetherai.cluster.follower import PeerFollower
from tetherai.cluster.setup import node_key
from tetherai.cluster.tls import NodeClients
from tetherai.identity.roles import Role
from tetherai.ledger.tlog_proof import parse_tlog_proof
from tetherai.services.custody import Argon2Parameters
from tetherai.services.enrolment import web_account_for_participant
from tetherai.services.settings import Settings

pytestmark = pytest.mark.integration

FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)


def test_the_api_serves_and_writes_through_a_cluster_peer(cluster: Cluster, tmp_path: Path) -> None:
    orderer = cluster.open_orderer(max_wait=0.01)
    for name in ("peer0.Org2", "peer0.Org3"):
        cluster.start_peer(name)
    client = cluster.home.etcd_client("peer0.Org1", PASSPHRASE)
    # The API node's calls to the orderer show the peer's own TLS certificate.
    clients = NodeClients(cluster.home.tls_identity("peer0.Org1", PASSPHRASE), cluster.home.org_ca)
    follower = PeerFollower(
        cluster.home,
        cluster.config,
        "peer0.Org1",
        "main",
        key=node_key(cluster.home, "peer0.Org1", PASSPHRASE),
        client=client,
        clients=clients,
    )
    follower.start()
    remote = RemoteOrderer(follower, cluster.config.orderers, clients)
    home = api_home(cluster.home, cluster.config, "peer0.Org1")
    settings = Settings(
        home=home.root,
        database_url=f"sqlite:///{tmp_path / 'service.sqlite'}",
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
    )
    app = create_app(settings, node=cluster_node(home, follower, remote), argon2=FAST_ARGON2)
    try:
        with serve(app) as http:
            rt = app.state.runtime
            admin = web_account_for_participant(
                rt.auth,
                rt.custody,
                home,
                passphrase=PASSPHRASE,
                participant_id="admin",
                role=Role.ORG_ADMIN,
                password="correct horse battery",
            )
            token = rt.auth.issue_api_token(admin, "tests").token
            http.headers["Authorization"] = f"Bearer {token}"
            # A pre-signed write through the API: ordered by the cluster, answered once this
            # peer has the block, so the next read sees it.
            envelope = cluster.admin("Org1").sign(
                "main",
                "notary",
                "notarize",
                {"name": "via-api", "sha256": "ef" * 32},
                int(time.time() * 1000),
            )
            answer = http.post("/api/v1/envelopes", json=envelope.to_json())
            assert answer.status_code == 200, answer.text
            tx_id = answer.json()["tx_id"]
            detail = http.get(f"/api/v1/ledger/txs/{tx_id}")
            assert detail.status_code == 200, detail.text
            summary = http.get("/api/v1/ledger").json()
            assert summary["blocks"] == orderer.peer.head.height
            assert summary["state_root"] == orderer.peer.head.state_root
            assert summary["genesis_hash"] == cluster.home.genesis("main").header.hash
            # A tx the ledger refuses at admission is the API's usual 4xx error.
            again = http.post("/api/v1/envelopes", json=envelope.to_json())
            assert again.status_code in (409, 422), again.text
            assert again.json()["error"]["code"] == "tx.replayed"
            # An inclusion proof against a checkpoint the orderer signed and this peer cosigned.
            stop = time.monotonic() + PATIENCE
            while (proof := http.get(f"/api/v1/ledger/txs/{tx_id}/proof")).status_code != 200:
                assert time.monotonic() < stop, proof.text
                time.sleep(0.05)
            parsed = parse_tlog_proof(proof.json()["tlog_proof"])
            assert parsed.index == proof.json()["index"]
            assert "peer0.Org1" in proof.json()["checkpoint"]
        # The other orgs' peers executed the same write and agree.
        cluster.wait_height(["peer0.Org2", "peer0.Org3"], orderer.peer.head.height)
        found = (
            cluster.http("peer0.Org3")
            .post(
                f"{cluster.config.peer('peer0.Org3').url}/query",
                json={"contract": "notary", "fn": "lookup", "args": {"name": "via-api"}},
                timeout=PATIENCE,
            )
            .json()["result"]
        )
        assert found["sha256"] == "ef" * 32
        assert cluster.status("peer0.Org3")["state_root"] == follower.peer.head.state_root
    finally:
        remote.close()
        follower.close()
        clients.close()
        client.close()


def test_a_peer_process_serves_the_api_with_tether_network_peer(cluster: Cluster) -> None:
    port = free_port()
    log = (cluster.home.root / "api-peer.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "tetherai.cli.main", "network", "peer", "--name", "peer0.Org1",
         "--api-port", str(port), "--home", str(cluster.home.root)],
        env={**os.environ, "TETHER_PASSPHRASE": PASSPHRASE.decode()},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    try:
        stop = time.monotonic() + PATIENCE
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/ledger", timeout=PATIENCE)
                break
            except httpx.HTTPError:
                assert process.poll() is None, (cluster.home.root / "api-peer.log").read_text()
                assert time.monotonic() < stop
                time.sleep(0.1)
        # The app is up on that process (and asks who is calling, in the one error shape) ...
        assert answer.status_code == 401
        assert set(answer.json()["error"]) == {"code", "message", "hint", "details"}
        # ... beside the peer's own endpoint, which follows the chain.
        cluster.wait_height(["peer0.Org1"], 1)
    finally:
        process.terminate()
        process.wait(timeout=20)
