"""One real ledger for the audit tests: a project whose versions went through review,
production and a rollback, with a factsheet, comments, a rating and a vote."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.common.lifecycle import Cast, make_cast
from tests.common.network import Network, make_network
from tetherai.services.audit_bundle import BundleRequest, export_bundle, trust_anchors


@dataclass
class AuditLedger:
    net: Network
    cast: Cast
    early_checkpoint: str
    """A checkpoint from the middle of the history, as an auditor would have kept it."""

    @property
    def project(self) -> str:
        return self.cast.project

    def bundle(self, version: str | None = "v1", since: str | None = None) -> bytes:
        request = BundleRequest(self.project, version, since)
        return export_bundle(self.net.node.peer.store, self.net.channel, request)

    def trust(self) -> str:
        return trust_anchors(self.net.node.peer.store)


@pytest.fixture(scope="package")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditLedger]:
    net = make_network(Path(tmp_path_factory.mktemp("audit")), max_wait=0.002)
    try:
        cast = make_cast(net)
        project = cast.project
        cast.ok(
            "author",
            "project",
            "set_factsheet",
            project=project,
            factsheet={
                "purpose": "Score consumer credit applications",
                "intended_use": "Decision support for loan officers",
                "out_of_scope_uses": "Fully automated refusals",
                "risks": "Bias against thin-file applicants",
                "key_contacts": [
                    {"name": "Carol Chen", "role": "model owner", "contact": "carol@bank.example"}
                ],
                "documents": [{"name": "model card.pdf", "sha256": "ab" * 32}],
            },
        )
        v1 = cast.new_version("v1")
        cast.walk(v1, "review_passed")
        early = net.node.peer.store.latest_checkpoint()
        assert early is not None
        cast.ok("stake1", "review", "comment", project=project, version=v1, text="Fit for purpose")
        cast.ok("stake2", "review", "rate", project=project, version=v1, stars=4, note="solid")
        # From now on QA needs two stakeholders' votes: the second vote moves the version.
        quorum = {"approvals": {"qa": {"role": "stakeholder", "count": 2}}}
        cast.ok("stake1", "project", "set_policy", project=project, policy=quorum)
        v2 = cast.new_version("v2")
        cast.walk(v2, "deployed")
        for who in ("stake1", "stake2"):
            cast.ok(who, "review", "vote", project=project, version=v2, to="qa", approve=True)
        assert cast.status(v2) == "qa"
        cast.ok("mlops", "workflow", "transition", project=project, version=v2, to="production")
        cast.ok("mlops", "workflow", "rollback", project=project, version=v1, reason="v2 drifts")
        assert cast.status(v1) == "production" and cast.status(v2) == "rolled_back"
        cast.ok(
            "mlops",
            "review",
            "monitor",
            project=project,
            version=v1,
            status="active",
            metrics={"auc": 0.91, "drift": 0.03},
        )
        yield AuditLedger(net, cast, early[2])
    finally:
        net.close()
