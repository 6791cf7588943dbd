"""Approvals from several orgs: each voter signs with its own org's certificate, through its
own org's peer, and the vote that completes the project's quorum moves the version."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.common.network import PASSPHRASE, TEST_KDF_ROUNDS
from tests.common.waiting import PATIENCE
from tests.integration.cluster.conftest import Cluster
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.services.network import ParticipantKey, issue_participant

pytestmark = pytest.mark.integration

DIGEST = "33" * 32


class Writer:
    """Someone who writes through their own org's peer (carried by the org's tools)."""

    def __init__(self, key: ParticipantKey, cluster: Cluster, peer: str) -> None:
        self.key, self.url = key, cluster.config.peer(peer).url
        self.http = cluster.http(peer)

    def send(self, contract: str, fn: str, **args: Any) -> dict[str, Any]:
        envelope = self.key.sign("main", contract, fn, args, int(time.time() * 1000))
        answer = self.http.post(f"{self.url}/txs", json=envelope.to_json(), timeout=PATIENCE)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def refused(self, contract: str, fn: str, **args: Any) -> dict[str, Any]:
        """The error a call its contract refuses gets at admission (nothing is ordered)."""
        envelope = self.key.sign("main", contract, fn, args, int(time.time() * 1000))
        answer = self.http.post(f"{self.url}/txs", json=envelope.to_json(), timeout=PATIENCE)
        assert answer.status_code != 200, answer.text
        error: dict[str, Any] = answer.json()["error"]
        return error

    def ok(self, contract: str, fn: str, **args: Any) -> Any:
        body = self.send(contract, fn, **args)
        assert body["valid"], body
        return body["result"]


def person(cluster: Cluster, org: str, name: str, role: Role) -> Writer:
    ca = CertificateAuthority.load(cluster.home.ca_dir(org), PASSPHRASE)
    key = issue_participant(
        cluster.home, ca, name, role, PASSPHRASE, datetime.now(tz=UTC), kdf_rounds=TEST_KDF_ROUNDS
    )
    peer = f"peer0.{org}"
    Writer(cluster.admin(org), cluster, peer).ok(
        "membership", "enroll", certificate=key.certificate_pem
    )
    return Writer(key, cluster, peer)


def test_stakeholders_of_two_orgs_approve_production(cluster: Cluster) -> None:
    orderer = cluster.open_orderer(max_wait=0.01)
    for org in ("Org1", "Org2", "Org3"):
        cluster.start_peer(f"peer0.{org}")
    alice = person(cluster, "Org1", "alice", Role.AI_ENGINEER)
    bob = person(cluster, "Org2", "bob", Role.MLOPS_ENGINEER)
    carol = person(cluster, "Org3", "carol", Role.STAKEHOLDER)
    dave = person(cluster, "Org1", "dave", Role.STAKEHOLDER)
    project = alice.ok("project", "create", name="Credit Scoring")["project"]
    for member in (bob, carol, dave):
        alice.ok("project", "add_member", project=project, org=member.key.org, id=member.key.id)
    policy = {"approvals": {"production": {"role": "stakeholder", "count": 2}}}
    alice.ok("project", "set_policy", project=project, policy=policy)
    alice.ok(
        "model_version",
        "create",
        project=project,
        version="v1",
        code_repo="https://git.example/credit",
        commit="a" * 40,
        artifacts=[{"kind": "model", "name": "m", "uri": "s3://b/m", "size": 1, "sha256": DIGEST}],
        submit=True,
    )
    bob.ok("workflow", "transition", project=project, version="v1", to="reviewing")
    bob.ok(
        "review",
        "verify",
        project=project,
        version="v1",
        artifacts=[{"name": "m", "sha256": DIGEST}],
    )
    for to, who in (("review_passed", bob), ("deployed", bob), ("qa", carol)):
        extra = {"details": {"endpoint": "https://m.example"}} if to == "deployed" else {}
        who.ok("workflow", "transition", project=project, version="v1", to=to, **extra)
    # Production now needs two stakeholders' votes: MLOps alone cannot move it.
    height = orderer.peer.head.height
    refused = bob.refused("workflow", "transition", project=project, version="v1", to="production")
    assert refused["code"] == "contract.not_permitted" and "needs 2 approvals" in refused["message"]
    assert orderer.peer.head.height == height
    # Carol (Org3) votes through Org3's peer; one vote is not enough.
    first = carol.ok("review", "vote", project=project, version="v1", to="production", approve=True)
    assert first == {"approvals": 1, "needed": 2}
    # Dave (Org1) votes through Org1's peer: the quorum is complete and the version moves.
    second = dave.ok("review", "vote", project=project, version="v1", to="production", approve=True)
    assert second["approvals"] == 2 and "transition" in second
    cluster.wait_height(["peer0.Org1", "peer0.Org2", "peer0.Org3"], orderer.peer.head.height)
    for org in ("Org1", "Org2", "Org3"):
        status = (
            cluster.http(f"peer0.{org}")
            .post(
                f"{cluster.config.peer(f'peer0.{org}').url}/query",
                json={
                    "contract": "workflow",
                    "fn": "status",
                    "args": {"project": project, "version": "v1"},
                },
                timeout=PATIENCE,
            )
            .json()["result"]
        )
        assert status["status"] == "production"
    # Each approval is on the ledger under its voter's org, signed with that org's certificate.
    votes = [
        orderer.peer.store.get(f"review/{project}/v1/vote/production/{org}/{who}")
        for org, who in (("Org3", "carol"), ("Org1", "dave"))
    ]
    assert all(isinstance(vote, dict) and vote["approve"] for vote in votes), votes


def test_a_policy_can_require_an_approval_from_each_of_several_orgs(cluster: Cluster) -> None:
    """The model owner's org and the regulator's (Org3) must both approve production: two
    approvals of Org1 complete the count, but the move waits for Org3's, signed in Org3."""
    orderer = cluster.open_orderer(max_wait=0.01)
    for org in ("Org1", "Org2", "Org3"):
        cluster.start_peer(f"peer0.{org}")
    alice = person(cluster, "Org1", "alice", Role.AI_ENGINEER)
    bob = person(cluster, "Org2", "bob", Role.MLOPS_ENGINEER)
    regulator = person(cluster, "Org3", "rita", Role.STAKEHOLDER)
    owners = [person(cluster, "Org1", name, Role.STAKEHOLDER) for name in ("dave", "erin")]
    project = alice.ok("project", "create", name="Credit Scoring")["project"]
    for member in (bob, regulator, *owners):
        alice.ok("project", "add_member", project=project, org=member.key.org, id=member.key.id)
    quorum = {"role": "stakeholder", "count": 2, "orgs": ["Org1", "Org3"]}
    alice.ok("project", "set_policy", project=project, policy={"approvals": {"production": quorum}})
    alice.ok(
        "model_version",
        "create",
        project=project,
        version="v1",
        code_repo="https://git.example/credit",
        commit="a" * 40,
        artifacts=[{"kind": "model", "name": "m", "uri": "s3://b/m", "size": 1, "sha256": DIGEST}],
        submit=True,
    )
    bob.ok("workflow", "transition", project=project, version="v1", to="reviewing")
    bob.ok(
        "review",
        "verify",
        project=project,
        version="v1",
        artifacts=[{"name": "m", "sha256": DIGEST}],
    )
    for to, who in (("review_passed", bob), ("deployed", bob), ("qa", owners[0])):
        extra = {"details": {"endpoint": "https://m.example"}} if to == "deployed" else {}
        who.ok("workflow", "transition", project=project, version="v1", to=to, **extra)
    for owner in owners:
        vote = owner.ok(
            "review", "vote", project=project, version="v1", to="production", approve=True
        )
    assert vote["approvals"] == 2 and vote["waiting"] == "quorum waits for an approval from Org3"
    final = regulator.ok(
        "review", "vote", project=project, version="v1", to="production", approve=True
    )
    assert final["approvals"] == 3 and "transition" in final
    cluster.wait_height(["peer0.Org1", "peer0.Org2", "peer0.Org3"], orderer.peer.head.height)
    status = orderer.peer.query("workflow", "status", {"project": project, "version": "v1"})
    assert isinstance(status, dict) and status["status"] == "production"
