"""One real ledger for the audit tests: a project whose versions went through review,
production and a rollback, with a factsheet, comments, a rating and a vote."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.common.lifecycle import Cast, make_cast, manifest
from tests.common.network import Network, make_network
from tetherai.services.audit_bundle import BundleRequest, export_bundle, trust_anchors

OTHER_MARKER = "OTHER-PROJECT-PRIVATE-MARKER"


@dataclass
class AuditLedger:
    net: Network
    cast: Cast
    early_checkpoint: str
    """A checkpoint from the middle of the history, as an auditor would have kept it."""
    other_txs: list[str]
    """Ids of another project's txs that share a block with this project's."""

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
        # Another project's txs share a block with two of this one's: a bundle must prove
        # this project's results without showing anything of the other's.
        other = cast.ok("ai2", "project", "create", name="Other Team", details=OTHER_MARKER)
        people = cast.people
        results = net.together(
            [
                (
                    people["ai2"],
                    "project",
                    "set_factsheet",
                    {"project": other["project"], "factsheet": {"purpose": OTHER_MARKER}},
                ),
                (
                    people["stake1"],
                    "review",
                    "comment",
                    {"project": project, "version": v1, "text": "Monitoring reviewed"},
                ),
                (
                    people["ai2"],
                    "model_version",
                    "create",
                    {
                        "project": other["project"],
                        "version": "v1",
                        "code_repo": f"https://git.example/{OTHER_MARKER}",
                        "commit": "ab" * 20,
                        "artifacts": manifest(model="99" * 32),
                        "experiments": [{"name": OTHER_MARKER, "metrics": {"auc": 0.5}}],
                    },
                ),
                (
                    people["stake2"],
                    "review",
                    "comment",
                    {"project": project, "version": v1, "text": "Agreed"},
                ),
            ]
        )
        assert all(result.valid for result in results), results
        yield AuditLedger(net, cast, early[2], [r.tx_id for r in results[::2]])
    finally:
        net.close()
