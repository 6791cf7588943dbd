"""The model life cycle end to end on a real ledger: the happy path and every failure path."""

from __future__ import annotations

from typing import Any

import pytest

from tests.common.lifecycle import ARTIFACT_DIGESTS, Cast, manifest


def test_complete_path_from_draft_to_complete(cast: Cast) -> None:
    v1 = cast.new_version("v1")
    assert cast.status(v1) == "draft"
    cast.walk(v1, "complete")
    assert cast.status(v1) == "complete"
    got = cast.query("model_version", "get", project=cast.project, version=v1)
    assert got["verification"]["ok"] is True
    assert got["version"]["author"] == "alice@Org1"


def test_a_submitted_version_is_frozen(cast: Cast) -> None:
    v1 = cast.new_version()
    cast.ok("author", "model_version", "update", project=cast.project, version=v1, comment="tweak")
    cast.ok("author", "model_version", "submit", project=cast.project, version=v1)
    refused = cast.call(
        "author", "model_version", "update", project=cast.project, version=v1, comment="late"
    )
    assert not refused.valid and "a submitted version cannot change" in (refused.message or "")


def test_only_the_author_submits(cast: Cast) -> None:
    v1 = cast.new_version()
    refused = cast.call("ai2", "model_version", "submit", project=cast.project, version=v1)
    assert not refused.valid
    assert refused.message == "only the author of version v1 (alice@Org1) can submit this version"


def test_submit_requires_the_policys_artifact_kinds(cast: Cast) -> None:
    cast.ok(
        "stake1",
        "project",
        "set_policy",
        project=cast.project,
        policy={"required_artifacts": ["model", "report"]},
    )
    v1 = cast.new_version()
    refused = cast.call("author", "model_version", "submit", project=cast.project, version=v1)
    assert not refused.valid and "requires artifacts of kind report" in (refused.message or "")


def test_mismatch_fails_the_review_by_itself_then_a_correction_passes(cast: Cast) -> None:
    v1 = cast.new_version("v1")
    cast.walk(v1, "reviewing")
    result = cast.ok(
        "mlops",
        "review",
        "verify",
        project=cast.project,
        version=v1,
        artifacts=[
            {"name": n, "sha256": ("ff" * 32 if n == "model" else d)}
            for n, d in ARTIFACT_DIGESTS.items()
        ],
    )
    assert result["ok"] is False
    assert [m["name"] for m in result["mismatches"]] == ["model"]
    assert result["mismatches"][0]["registered"] == ARTIFACT_DIGESTS["model"]
    assert result["transition"]["to"] == "review_failed"
    assert cast.status(v1) == "review_failed"
    reviews = cast.query("review", "reviews", project=cast.project, version=v1)
    thread = reviews["comment"][0]
    assert thread["system"] is True and "model" in thread["text"]
    cast.ok(
        "author",
        "review",
        "comment",
        project=cast.project,
        version=v1,
        text="the uploaded model was stale; v2 fixes it",
        reply_to=thread["id"],
    )
    # The correction links to the failed version and passes.
    v2 = cast.new_version("v2", replaces="v1", artifacts=manifest())
    cast.walk(v2, "review_passed")
    got = cast.query("model_version", "get", project=cast.project, version="v1")
    assert got["replaced_by"]["version"] == "v2"
    lineage = cast.query("model_version", "lineage", project=cast.project, version="v1")
    assert [child["child"] for child in lineage["children"]] == [f"{cast.project}/v2"]
    again = cast.call(
        "author",
        "model_version",
        "create",
        project=cast.project,
        version="v3",
        code_repo="r",
        commit="c",
        replaces="v1",
    )
    assert not again.valid and "already replaced by" in (again.message or "")


def test_missing_digest_is_a_mismatch(cast: Cast) -> None:
    v1 = cast.new_version()
    cast.walk(v1, "reviewing")
    result = cast.ok(
        "mlops",
        "review",
        "verify",
        project=cast.project,
        version=v1,
        artifacts=[
            {"name": "model", "sha256": ARTIFACT_DIGESTS["model"]},
            {"name": "log", "sha256": None},
        ],
    )
    problems = {m["name"]: m["problem"] for m in result["mismatches"]}
    assert problems == {
        "log": "not recomputed",
        "test": "not recomputed",
        "train": "not recomputed",
    }


def test_verification_outside_a_review_is_refused_with_a_hint(cast: Cast) -> None:
    v1 = cast.new_version()
    cast.ok("author", "model_version", "submit", project=cast.project, version=v1)
    refused = cast.call("mlops", "review", "verify", project=cast.project, version=v1, artifacts=[])
    assert not refused.valid and refused.message.endswith("start the review first")  # type: ignore[union-attr]


def test_pass_needs_a_matching_verification(cast: Cast) -> None:
    v1 = cast.new_version()
    cast.walk(v1, "reviewing")
    refused = cast.call(
        "mlops", "workflow", "transition", project=cast.project, version=v1, to="review_passed"
    )
    assert not refused.valid and "without a verification" in (refused.message or "")


def test_acceptance_criteria_fail_or_pass_the_review_by_themselves(cast: Cast) -> None:
    cast.ok(
        "stake1",
        "project",
        "set_policy",
        project=cast.project,
        policy={
            "criteria": [
                {"metric": "test_accuracy", "op": ">=", "value": 0.95},
                {"metric": "fairness_gap", "op": "<=", "value": 0.05},
            ],
            "auto_pass": True,
        },
    )
    good = cast.new_version()
    cast.walk(good, "reviewing")
    result = cast.verify_matching(good)
    assert result["ok"] and result["transition"]["to"] == "review_passed"
    weak = cast.new_version()
    cast.walk(weak, "reviewing")
    result = cast.ok(
        "mlops",
        "review",
        "verify",
        project=cast.project,
        version=weak,
        artifacts=[{"name": n, "sha256": d} for n, d in ARTIFACT_DIGESTS.items()],
        metrics={"test_accuracy": 0.91},
    )
    assert result["ok"] is False and result["transition"]["to"] == "review_failed"
    assert (
        "test_accuracy = 0.91 fails >= 0.95"
        in cast.query("workflow", "status", project=cast.project, version=weak)["reason"]
    )


def test_votes_quorum_two_of_three(cast: Cast) -> None:
    cast.ok(
        "stake1",
        "project",
        "set_policy",
        project=cast.project,
        policy={"approvals": {"production": {"role": "stakeholder", "count": 2}}},
    )
    v1 = cast.new_version()
    cast.walk(v1, "qa")
    early = cast.call(
        "mlops", "workflow", "transition", project=cast.project, version=v1, to="production"
    )
    assert not early.valid
    assert early.message == (
        f"moving version {v1} to production needs 2 approvals from stakeholders of "
        f"project {cast.project}; it has 0"
    )
    first = cast.ok(
        "stake1", "review", "vote", project=cast.project, version=v1, to="production", approve=True
    )
    assert first == {"approvals": 1, "needed": 2}
    twice = cast.call(
        "stake1", "review", "vote", project=cast.project, version=v1, to="production", approve=True
    )
    assert not twice.valid and "already voted" in (twice.message or "")
    wrong_role = cast.call(
        "mlops", "review", "vote", project=cast.project, version=v1, to="production", approve=True
    )
    assert not wrong_role.valid and "you are an MLOps engineer" in (wrong_role.message or "")
    cast.ok(
        "stake3", "review", "vote", project=cast.project, version=v1, to="production", approve=False
    )
    assert cast.status(v1) == "qa"
    second = cast.ok(
        "stake2", "review", "vote", project=cast.project, version=v1, to="production", approve=True
    )
    assert second["transition"]["to"] == "production"  # the quorum-reaching vote moved it
    assert cast.status(v1) == "production"


def test_rollback_restores_an_earlier_approved_version(cast: Cast) -> None:
    v1 = cast.new_version("v1")
    cast.walk(v1, "monitoring")
    v2 = cast.new_version("v2")
    cast.walk(v2, "production")
    refused = cast.call(
        "stake1", "workflow", "rollback", project=cast.project, version="v1", reason="drift"
    )
    assert not refused.valid and "only an MLOps engineer" in (refused.message or "")
    result = cast.ok(
        "mlops", "workflow", "rollback", project=cast.project, version="v1", reason="v2 drifts"
    )
    assert result["rolled_back"]["version"] == f"{cast.project}/v2"
    assert cast.status("v2") == "rolled_back" and cast.status("v1") == "production"
    draft = cast.new_version("v3")
    bad = cast.call(
        "mlops", "workflow", "rollback", project=cast.project, version=draft, reason="x"
    )
    assert not bad.valid and "only a version that passed review" in (bad.message or "")


def test_monitoring_reports_use_the_fixed_list(cast: Cast) -> None:
    v1 = cast.new_version()
    cast.walk(v1, "production")
    cast.ok(
        "mlops",
        "review",
        "monitor",
        project=cast.project,
        version=v1,
        status="data_drift",
        metrics={"psi": 0.31},
        note="input drift on income",
    )
    bad = cast.call("mlops", "review", "monitor", project=cast.project, version=v1, status="sad")
    assert not bad.valid and "a monitoring status is one of" in (bad.message or "")
    other = cast.call(
        "mlops", "review", "monitor", project=cast.project, version=v1, status="other"
    )
    assert not other.valid
    reviews = cast.query("review", "reviews", project=cast.project, version=v1)
    assert reviews["monitoring"][0]["status"] == "data_drift"


def test_comments_ratings_documents(cast: Cast) -> None:
    v1 = cast.new_version()
    first = cast.ok(
        "stake1", "review", "comment", project=cast.project, version=v1, text="Why this threshold?"
    )
    reply = cast.ok(
        "author",
        "review",
        "comment",
        project=cast.project,
        version=v1,
        text="Regulation.",
        reply_to=first["comment"],
    )
    assert reply["thread"] == first["comment"]
    cast.ok("stake1", "review", "rate", project=cast.project, version=v1, stars=4)
    bad = cast.call("stake1", "review", "rate", project=cast.project, version=v1, stars=6)
    assert not bad.valid
    cast.ok(
        "mlops",
        "review",
        "attach_document",
        project=cast.project,
        version=v1,
        name="review.pdf",
        sha256="ab" * 32,
    )
    reviews = cast.query("review", "reviews", project=cast.project, version=v1)
    assert len(reviews["comment"]) == 2 and reviews["rating"][0]["stars"] == 4


def test_the_author_does_not_rate_their_own_version(cast: Cast) -> None:
    v1 = cast.new_version()
    own = cast.call("author", "review", "rate", project=cast.project, version=v1, stars=5)
    assert not own.valid and own.code == "contract.not_permitted"
    assert "you are the author of version v1" in (own.message or "")
    # The "actions" query gives the same answer, so no page offers the author a rating form.
    author = cast["author"]
    actions = cast.query(
        "workflow", "actions", project=cast.project, version=v1, org=author.org, id=author.id
    )
    rate = next(a for a in actions if a["action"] == "rate")
    assert not rate["allowed"] and "you are the author" in rate["reason"]
    cast.ok("stake1", "review", "rate", project=cast.project, version=v1, stars=3)


def test_auditors_and_outsiders_cannot_write(cast: Cast) -> None:
    from tetherai.ledger.errors import TxRejected

    v1 = cast.new_version()
    with pytest.raises(TxRejected, match="auditors only read the ledger"):
        cast.call("auditor", "review", "comment", project=cast.project, version=v1, text="hi")
    cast.walk(v1, "submitted")
    outsider = cast.call(
        "outsider", "workflow", "transition", project=cast.project, version=v1, to="reviewing"
    )
    # Someone who may not read the project is answered as if it did not exist.
    assert not outsider.valid and outsider.code == "contract.not_found"
    assert outsider.message == f"there is no project {cast.project}"


def test_lineage_and_provenance_both_ways(cast: Cast) -> None:
    base = cast.new_version("base")
    cast.ok("author", "model_version", "submit", project=cast.project, version=base)
    tuned = cast.new_version(
        "tuned", parents=[{"ref": f"{cast.project}/base", "relation": "fine_tuned_from"}]
    )
    cast.ok("author", "model_version", "submit", project=cast.project, version=tuned)
    lineage = cast.query("model_version", "lineage", project=cast.project, version="tuned")
    assert lineage["parents"][0]["parent"] == f"{cast.project}/base"
    train = lineage["artifacts"][0]
    assert train["first_registered"]["version"] == f"{cast.project}/base"
    assert train["first_registered"]["contributor"] == "alice@Org1"
    used = cast.query("model_version", "used_by", sha256=ARTIFACT_DIGESTS["train"])
    assert sorted(u["version"] for u in used["uses"]) == [
        f"{cast.project}/base",
        f"{cast.project}/tuned",
    ]
    children = cast.query("model_version", "lineage", project=cast.project, version="base")[
        "children"
    ]
    assert children[0]["relation"] == "fine_tuned_from"


def test_project_factsheet_members_and_policy(cast: Cast) -> None:
    cast.ok(
        "stake1",
        "project",
        "set_factsheet",
        project=cast.project,
        factsheet={
            "purpose": "score loan applications",
            "intended_use": "pre-screening",
            "out_of_scope_uses": "final decisions",
            "risks": "bias against thin-file applicants",
            "key_contacts": [{"name": "Carol", "role": "owner"}],
            "documents": [{"name": "model card", "sha256": "cd" * 32}],
        },
    )
    got = cast.query("project", "get", project=cast.project)
    assert got["factsheet"]["purpose"] == "score loan applications"
    assert {m["id"] for m in got["members"]} >= {"alice", "bob", "carol"}
    refused = cast.call(
        "ai2", "project", "set_factsheet", project=cast.project, factsheet={"purpose": "x"}
    )
    assert not refused.valid and "you are an AI engineer" in (refused.message or "")
    bad = cast.call(
        "stake1",
        "project",
        "set_policy",
        project=cast.project,
        policy={"criteria": [{"metric": "a"}]},
    )
    assert not bad.valid and "{metric, op, value}" in (bad.message or "")
    duplicate = cast.call("stake1", "project", "create", name="credit scoring!")
    assert not duplicate.valid and "already has a project" in (duplicate.message or "")


def test_actions_query_lists_what_each_person_may_do_now(cast: Cast) -> None:
    v1 = cast.new_version()
    cast.walk(v1, "reviewing")
    for who, expected in (
        ("bob", {"fail_review", "verify", "comment", "rate", "attach_document"}),
        ("carol", {"comment", "rate", "attach_document"}),
        ("dora", set()),
    ):
        actions = cast.query(
            "workflow", "actions", project=cast.project, version=v1, org="Org1", id=who
        )
        allowed = {a["action"] for a in actions if a["allowed"]}
        assert allowed == expected, who
    cast.verify_matching(v1)
    actions = cast.query(
        "workflow", "actions", project=cast.project, version=v1, org="Org1", id="bob"
    )
    assert "pass_review" in {a["action"] for a in actions if a["allowed"]}
    carol = cast.query(
        "workflow", "actions", project=cast.project, version=v1, org="Org1", id="carol"
    )
    blocked = {a["action"]: a["reason"] for a in carol if not a["allowed"]}
    assert (
        blocked["pass_review"]
        == f"only an MLOps engineer of project {cast.project} can pass a review; you are a stakeholder"
    )


def test_version_history_lists_every_tx_in_order(cast: Cast) -> None:
    from tetherai.services.history import project_history, version_history

    v1 = cast.new_version("v1")
    cast.walk(v1, "reviewing")
    cast.ok(
        "mlops",
        "review",
        "verify",
        project=cast.project,
        version=v1,
        artifacts=[
            {"name": n, "sha256": ("ff" * 32 if n == "model" else d)}
            for n, d in ARTIFACT_DIGESTS.items()
        ],
    )
    history = version_history(cast.net.node.peer.store, cast.project, v1)
    actions = [entry.action for entry in history]
    assert actions == [
        "model_version.create",
        "model_version.submit",
        "workflow.transition",
        "review.verify",
    ]
    assert [(e.status_before, e.status_after) for e in history] == [
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "reviewing"),
        ("reviewing", "review_failed"),
    ]
    assert [(e.participant, e.org) for e in history][-1] == ("bob", "Org1")
    assert history[-1].reason == "digest mismatch: model"
    seqs = [entry.seq for entry in history]
    assert seqs == sorted(seqs)
    created = {d["name"]: d["sha256"] for d in history[0].digests if d["role"] == "registered"}
    assert created == ARTIFACT_DIGESTS
    mismatch = [d for d in history[-1].digests if d["role"] == "mismatch"]
    assert mismatch == [
        {
            "name": "model",
            "sha256": "ff" * 32,
            "role": "mismatch",
            "registered": ARTIFACT_DIGESTS["model"],
        }
    ]
    assert all(entry.ts > 0 and len(entry.tx_id) == 64 for entry in history)
    changes = project_history(cast.net.node.peer.store, cast.project)
    assert changes[0].action == "project.create"
    assert {e.action for e in changes} == {"project.create", "project.add_member"}


def test_artifacts_are_reused_by_digest_with_provenance(cast: Cast) -> None:
    base = cast.new_version("base")
    cast.ok("author", "model_version", "submit", project=cast.project, version=base)
    other = cast.ok("stake1", "project", "create", name="Fraud")["project"]
    cast.ok("stake1", "project", "add_member", project=other, org="Org1", id="aaron")
    cast.ok(
        "ai2",
        "model_version",
        "create",
        project=other,
        version="f1",
        code_repo="r",
        commit="c",
        artifacts=[
            {"name": "shared-train", "reuse": ARTIFACT_DIGESTS["train"]},
            {"name": "model", "reuse": ARTIFACT_DIGESTS["model"]},
        ],
        submit=True,
    )
    got = cast.query("model_version", "get", project=other, version="f1")["version"]["artifacts"][0]
    assert got["reused_from"] == f"{cast.project}/base" and got["kind"] == "train_dataset"
    assert got["uri"] == "s3://bucket/train" and got["sha256"] == ARTIFACT_DIGESTS["train"]
    uses = cast.query("model_version", "used_by", sha256=ARTIFACT_DIGESTS["train"])["uses"]
    assert {u["version"] for u in uses} == {f"{cast.project}/base", f"{other}/f1"}
    unknown = cast.call(
        "ai2",
        "model_version",
        "create",
        project=other,
        version="f2",
        code_repo="r",
        commit="c",
        artifacts=[{"name": "x", "reuse": "99" * 32}],
    )
    assert not unknown.valid
    assert "no submitted version you may read registered" in (unknown.message or "")


def test_the_domain_ledger_replays_to_the_same_state(cast: Cast) -> None:
    """Determinism: replaying every block from scratch reproduces each block's state root."""
    from tetherai.contracts.membership import MembershipRules
    from tetherai.contracts.registry import default_registry
    from tetherai.ledger.verifier import verify_ledger

    v1 = cast.new_version()
    cast.walk(v1, "monitoring")
    report = verify_ledger(
        cast.net.node.peer.store,
        channel="main",
        registry=default_registry(),
        rules=MembershipRules(),
    )
    assert report.ok, report.problem
    assert report.state_root == cast.net.node.peer.head.state_root


def test_invited_participants_enrol_their_own_key(cast: Cast) -> None:
    from datetime import UTC, datetime

    from tetherai.crypto.signature import generate_private_key
    from tetherai.identity.certificate import certificate_sha256, certificate_to_pem
    from tetherai.identity.roles import Role
    from tetherai.ledger.errors import TxRejected
    from tetherai.services.network import ParticipantKey

    now = datetime.fromtimestamp(cast.net.clock() / 1000, tz=UTC)
    key = generate_private_key()
    cert = cast.net.ca.issue(
        participant_id="erin", role=Role.STAKEHOLDER, public_key=key.public_key(), now=now
    )
    erin = ParticipantKey(
        "Org1", "erin", certificate_sha256(cert), certificate_to_pem(cert).decode(), key
    )
    with pytest.raises(TxRejected, match="not enrolled"):  # no invitation yet
        cast.net.submit(
            erin, "membership", "accept_invitation", {"certificate": erin.certificate_pem}
        )
    refused = cast.call("stake1", "membership", "invite", org="Org1", id="erin", role="stakeholder")
    assert not refused.valid and "only an org admin of Org1" in (refused.message or "")
    cast.ok("admin", "membership", "invite", org="Org1", id="erin", role="stakeholder")
    result = cast.net.submit(
        erin, "membership", "accept_invitation", {"certificate": erin.certificate_pem}
    )
    assert result.valid, result.message
    assert (
        cast.query("membership", "participant", org="Org1", id="erin")["enrolled_by"]
        == "admin@Org1"
    )
    again = cast.net.sign(
        erin, "membership", "accept_invitation", {"certificate": erin.certificate_pem}
    )
    assert not cast.net.node.orderer.submit(again).result().valid  # the invitation is used up


def test_a_quorum_can_require_approvals_from_several_orgs(cast: Cast) -> None:
    """Within one org the cross-org rule holds back the move (the approvals of another org are
    tested with real peers of several orgs in tests/integration/cluster/test_endorsement.py)."""
    policy = {
        "approvals": {
            "production": {"role": "stakeholder", "count": 2, "orgs": ["Org1", "Regulator"]}
        }
    }
    cast.ok("stake1", "project", "set_policy", project=cast.project, policy=policy)
    stored: Any = cast.net.node.peer.query("project", "get", {"project": cast.project})
    assert isinstance(stored, dict) and stored["policy"]["approvals"]["production"]["orgs"] == [
        "Org1",
        "Regulator",
    ]
    v1 = cast.new_version()
    cast.walk(v1, "qa")
    for who in ("stake1", "stake2", "stake3"):
        vote = cast.ok(
            who, "review", "vote", project=cast.project, version=v1, to="production", approve=True
        )
    assert vote["waiting"] == "quorum waits for an approval from Regulator"
    assert cast.status(v1) == "qa"  # three of Org1 are not enough without the regulator's
    early = cast.call(
        "mlops", "workflow", "transition", project=cast.project, version=v1, to="production"
    )
    assert not early.valid and "(none from Regulator)" in (early.message or "")


@pytest.mark.parametrize(
    "orgs",
    [["Org1", "Org1"], ["Org1", "Org2", "Org3"], "Org1", ["../evil"], [7]],
)
def test_bad_cross_org_quorums_are_refused(cast: Cast, orgs: object) -> None:
    policy = {"approvals": {"production": {"role": "stakeholder", "count": 2, "orgs": orgs}}}
    refused = cast.call("stake1", "project", "set_policy", project=cast.project, policy=policy)
    assert not refused.valid
    assert "approvals.production.orgs must list distinct org names" in (refused.message or "")
