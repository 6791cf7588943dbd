"""A bundle of a project whose org joined by proposal: it proves the tx that added the org
(the approval that met the channel's rule), and verifies offline."""

from __future__ import annotations

import json
from pathlib import Path

from tests.common.governance import enrolled, grow
from tests.common.network import make_network
from tetherai.auditverify import Trust, verify_bundle
from tetherai.identity.roles import Role
from tetherai.ledger.transaction import Envelope
from tetherai.services.audit_bundle import BundleRequest, export_bundle, trust_anchors


def test_a_bundle_proves_the_approval_that_added_its_org(tmp_path: Path) -> None:
    net = make_network(tmp_path, max_wait=0.002)
    try:
        orgs = grow(net, ["Org2", "Org3"])  # Org3: proposed by Org1, added by Org2's approval
        engineer = enrolled(net, orgs["Org3"], "erin", Role.AI_ENGINEER)
        done = net.submit(engineer, "project", "create", {"name": "Scoring", "domain": "finance"})
        assert done.valid, done.message
        project = str(done.result["project"])
        net.notarize(net.admin)  # a later checkpoint
        store = net.node.peer.store
        data = export_bundle(store, "main", BundleRequest(project, None, None))
        txs = [
            Envelope.from_bytes(store.tx_at(tx["seq"]).envelope).tx
            for tx in json.loads(data)["txs"]
        ]
        added = [tx for tx in txs if (tx.contract, tx.fn) == ("membership", "add_org")]
        # Org3 was added by Org2's approval; Org2 (which signed it) by Org1's.
        assert [(tx.creator.org, tx.args["org"]) for tx in added] == [
            ("Org1", "Org2"),
            ("Org2", "Org3"),
        ]
        verdict = verify_bundle(data)
        assert verdict.ok, verdict.text()
        pinned = verify_bundle(data, trust=Trust.from_text(trust_anchors(store)))
        assert pinned.ok, pinned.text()
    finally:
        net.close()
