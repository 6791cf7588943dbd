"""Authenticated cluster transport, against real etcd members and peer processes: a process
without a valid org node certificate cannot read blocks, query or submit to a peer or an
orderer, nor talk to etcd; a node of an org that is not a member of a channel gets nothing of
it; and an org the channels' governance removes loses its access from that block on."""

from __future__ import annotations

import ssl
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.common.network import PASSPHRASE
from tests.common.waiting import PATIENCE
from tests.integration.cluster.conftest import Cluster
from tetherai.cluster.governance import sign_change
from tetherai.cluster.setup import Tools
from tetherai.cluster.tls import TlsIdentity, issue_tls_identity
from tetherai.crypto.signature import Algorithm
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import load_certificate_pem
from tetherai.identity.keys import write_certificate, write_tls_private_key
from tetherai.ordering.etcd_client import EtcdClient, EtcdUnavailable

pytestmark = pytest.mark.integration

PEERS = ["peer0.Org1", "peer0.Org2", "peer0.Org3"]


def context_of(identity: TlsIdentity | None, trusted: str) -> ssl.SSLContext:
    """A client context trusting ``trusted`` (the server's org CA), showing ``identity``."""
    if identity is not None:
        return identity.client_context([trusted])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=trusted)
    return context


Call = tuple[str, str, dict[str, Any] | None]


def calls(cluster: Cluster, url: str, channel: str = "main") -> list[Call]:
    """Reading blocks, querying and submitting (a tx Org1's admin signed), on ``url``."""
    query = {"channel": channel, "contract": "notary", "fn": "lookup", "args": {"name": "x"}}
    args: dict[str, object] = {"name": f"probe-{time.monotonic_ns()}", "sha256": "ab" * 32}
    envelope = cluster.admin("Org1").sign(channel, "notary", "notarize", args, _now())
    return [
        ("GET", f"{url}/blocks?channel={channel}&start=0&limit=1", None),
        ("POST", f"{url}/query", query),
        ("POST", f"{url}/txs", envelope.to_json()),
        ("GET", f"{url}/status?channel={channel}", None),
    ]


def _now() -> int:
    return int(time.time() * 1000)


def refused(call: Any) -> None:
    """``call`` fails because the other end refused us, not because it was slow."""
    with pytest.raises(httpx.HTTPError) as caught:
        call()
    assert not isinstance(caught.value, httpx.TimeoutException), caught.value


def refused_at_the_handshake(cluster: Cluster, context: ssl.SSLContext | None, url: str) -> None:
    for method, target, body in calls(cluster, url):
        refused(
            lambda m=method, t=target, b=body: httpx.request(
                m, t, json=b, verify=context or True, timeout=PATIENCE
            )
        )


def test_only_member_org_nodes_reach_peers_orderers_and_etcd(
    cluster: Cluster, tmp_path: Path
) -> None:
    main = cluster.open_orderer(max_wait=0.01)
    credit = cluster.open_orderer(channel="credit", max_wait=0.01)
    for name in PEERS:
        cluster.start_peer(name)
    org1_ca = cluster.home.org_ca("Org1")
    assert org1_ca is not None
    peer = cluster.config.peer("peer0.Org1").url
    orderer_url = cluster.config.orderer("orderer0.Org1").url

    # A node of a member org: served.
    ok = cluster.http("peer0.Org1").get(f"{peer}/blocks", params={"start": 0, "limit": 1})
    assert ok.status_code == 200 and len(ok.json()["blocks"]) == 1

    # Plain HTTP, TLS without a certificate, a certificate of a CA no member has (even one
    # calling itself Org1): the connection itself is refused, at the peer and at the orderer.
    impostor = CertificateAuthority.create(
        "Org1", algorithm=Algorithm.ED25519, now=datetime.now(tz=UTC)
    )
    forged = issue_tls_identity(
        impostor, tmp_path / "impostor", "tls", name="peer9.Org1", hosts=[],
        password=None, now=datetime.now(tz=UTC),
    )  # fmt: skip
    for url in (peer, orderer_url):
        for method, target, body in calls(cluster, url.replace("https://", "http://")):
            refused(
                lambda m=method, t=target, b=body: httpx.request(m, t, json=b, timeout=PATIENCE)
            )
        refused_at_the_handshake(cluster, context_of(None, org1_ca), url)
        refused_at_the_handshake(cluster, context_of(forged, org1_ca), url)

    # A participant's certificate of a member org is not a node's: the peer and the orderer
    # answer 403 to a person who bypasses the API.
    admin = cluster.admin("Org1")
    person = TlsIdentity(tmp_path / "admin.pem", tmp_path / "admin.key", None)
    write_certificate(person.certificate, load_certificate_pem(admin.certificate_pem.encode()))
    write_tls_private_key(person.key, admin.private_key, None)
    with httpx.Client(verify=context_of(person, org1_ca), timeout=PATIENCE) as http:
        for method, target, body in [*calls(cluster, peer), *calls(cluster, orderer_url)]:
            answer = http.request(method, target, json=body)
            assert answer.status_code == 403, (target, answer.text)
            assert answer.json()["error"]["code"] == "cluster.not_a_node"

    # Org2 is a member of channel main, not of credit: Org1's peer gives its node nothing of
    # credit, not even that it exists there (the answer for a channel it does not hold).
    org2_node = cluster.http("peer0.Org1", as_org="Org2")
    for (method, target, body), (_, missing, other) in zip(
        calls(cluster, peer, "credit"), calls(cluster, peer, "nosuch"), strict=True
    ):
        answer = org2_node.request(method, target, json=body)
        absent = org2_node.request(method, missing, json=other)
        assert answer.status_code == 404, (target, answer.text)
        assert answer.json()["error"]["code"] == "cluster.no_channel"
        assert answer.text.replace("credit", "nosuch") == absent.text
    status = org2_node.get(f"{peer}/status").json()
    assert set(status["channels"]) == {"main"}
    # The orderer of credit answers Org2's node as one that does not lead it.
    org2_at_orderer = cluster.http("orderer0.Org1", as_org="Org2")
    _, target, body = calls(cluster, orderer_url, "credit")[2]
    answer = org2_at_orderer.post(target, json=body)
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "cluster.standby"
    # A connection Org3's node keeps open (for the removal below).
    org3_identity = cluster.home.tls_identity(Tools("Org3"), PASSPHRASE)
    kept = httpx.Client(
        verify=context_of(org3_identity, org1_ca),
        limits=httpx.Limits(max_connections=1, keepalive_expiry=600),
        timeout=PATIENCE,
    )
    assert kept.get(f"{peer}/status").status_code == 200

    # etcd: only with a certificate of the etcd cluster's own CA.
    etcd_ca = cluster.home.etcd_ca_path.read_text()
    plain = [url.replace("https://", "http://") for url in cluster.config.etcd]
    for identity, endpoints in (
        (None, cluster.config.etcd),
        (cluster.home.tls_identity("peer0.Org1", PASSPHRASE), cluster.config.etcd),
        (None, plain),
    ):
        context = context_of(identity, etcd_ca) if endpoints is not plain else None
        client = EtcdClient(endpoints, tls=context, timeout=PATIENCE, deadline=1)
        with pytest.raises(EtcdUnavailable) as caught:
            client.get("/tether/main/head")
        assert "Timeout" not in caught.value.message, caught.value.message  # refused, not slow
        client.close()
    client = cluster.home.etcd_client("peer0.Org2", PASSPHRASE)
    assert client.get("/tether/main/head") is not None
    client.close()

    # The channels' governance removes Org3 (main: Org1 and Org2 approve; credit: Org1, the
    # only other member): from that block on, Org1's peer trusts Org3's CA no more, without
    # restarting anything.
    for channel, approvers in (("main", ["Org1", "Org2"]), ("credit", ["Org1"])):
        outcome = sign_change(
            cluster.home, channel, "remove_org", {"org": "Org3", "reason": "left"},
            by=approvers, passphrase=PASSPHRASE, now_ms=_now(),
        )  # fmt: skip
        assert outcome.applied, outcome.describe()
    cluster.wait_height(["peer0.Org1"], main.peer.head.height)
    cluster.wait_height(["peer0.Org1"], credit.peer.head.height, channel="credit")
    # A connection opened before the removal is held to it too: each request checks the
    # caller's org against the channel's members.
    stale = kept.get(f"{peer}/blocks", params={"channel": "main", "start": 0, "limit": 1})
    assert stale.status_code == 404 and stale.json()["error"]["code"] == "cluster.no_channel"
    kept.close()
    fresh = cluster.home.tools_clients("Org3", PASSPHRASE)
    try:
        refused(lambda: fresh.client("Org1").get(f"{peer}/status", timeout=PATIENCE))
    finally:
        fresh.close()
    assert cluster.http("peer0.Org1", as_org="Org2").get(f"{peer}/status").status_code == 200

    # The channel removes one peer (Org2 stays a member): that node's certificate, still
    # vouched for by Org2's CA, reads, queries and submits nothing of main from then on, at
    # the peers and the orderer; the org's other nodes keep their access.
    retiring = cluster.home.tls_identity("peer0.Org2", PASSPHRASE)
    with httpx.Client(verify=context_of(retiring, org1_ca), timeout=PATIENCE) as before:
        assert before.get(f"{peer}/blocks", params={"start": 0, "limit": 1}).status_code == 200
    outcome = sign_change(
        cluster.home, "main", "remove_peer", {"name": "peer0.Org2", "reason": "stolen disk"},
        by=["Org1", "Org2"], passphrase=PASSPHRASE, now_ms=_now(),
    )  # fmt: skip
    assert outcome.applied, outcome.describe()
    cluster.wait_height(["peer0.Org1"], main.peer.head.height)
    with httpx.Client(verify=context_of(retiring, org1_ca), timeout=PATIENCE) as retired:
        for method, target, body in calls(cluster, peer):
            answer = retired.request(method, target, json=body)
            assert answer.status_code == 404, (target, answer.text)
            assert answer.json()["error"]["code"] == "cluster.no_channel"
        _, target, body = calls(cluster, orderer_url)[2]
        answer = retired.post(target, json=body)
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "cluster.standby"
    org2_tools = cluster.http("peer0.Org1", as_org="Org2")
    assert org2_tools.get(f"{peer}/blocks", params={"start": 0, "limit": 1}).status_code == 200
