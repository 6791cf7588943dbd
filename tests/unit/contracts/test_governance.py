"""Channel governance with three orgs' admins: a change waits for the approval rule, the
approval that meets it applies it, upgrades only to installed versions, membership works
after every change (real ledger, signatures and SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.common.governance import (
    applied,
    change,
    new_org,
    registry_with_upgrades,
    three_orgs,
)
from tests.common.network import Network, make_network
from tetherai.contracts.membership_rules import MembershipRules
from tetherai.ledger.errors import TxRejected
from tetherai.ledger.verifier import verify_ledger
from tetherai.names import NAME_RULE
from tetherai.services.network import ParticipantKey


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    made = make_network(tmp_path, max_wait=0.002, registry=registry_with_upgrades())
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def admins(net: Network) -> dict[str, ParticipantKey]:
    return three_orgs(net)


def query(net: Network, fn: str, **args: Any) -> Any:
    return net.node.peer.query("membership", fn, args)


def active(net: Network, contract: str) -> str:
    return str(query(net, "channel")["contracts"][contract])


def test_add_org_waits_for_a_majority_and_the_approval_that_reaches_it_applies_it(
    net: Network, admins: dict[str, ParticipantKey]
) -> None:
    org4 = new_org(net, "Org4")
    first = change(net, admins["Org1"], "add_org", **org4.add_org_args)
    assert not applied(first)
    assert first.result["tally"] == {  # type: ignore[index]
        "rule": "MAJORITY",
        "counted": ["Org1"],
        "needed": 1,
        "may_approve": ["Org2", "Org3"],
    }
    assert net.node.peer.store.get("membership/org/Org4") is None
    with pytest.raises(TxRejected, match="not enrolled"):  # Org4's admin is no one yet
        net.notarize(org4.admin)
    # The same org approving twice does not count twice.
    again = change(net, admins["Org1"], "add_org", **org4.add_org_args)
    assert not again.valid and again.code == "contract.conflict"
    assert "Org1 approved this change already" in (again.message or "")
    # Anyone may list what waits, and who approved it.
    (pending,) = query(net, "proposals")
    assert pending["summary"] == "add org Org4"
    assert sorted(pending["approvals"]) == ["Org1"]
    assert pending["approvals"]["Org1"]["by"] == "admin@Org1"
    # A participant who is not an org admin approves nothing.
    engineer = net.participant("alice")
    refused = change(net, engineer, "add_org", **org4.add_org_args)
    assert not refused.valid and refused.code == "contract.not_permitted"

    second = change(net, admins["Org3"], "add_org", **org4.add_org_args)
    assert applied(second)
    assert second.result["admin"] == "admin@Org4"  # type: ignore[index]
    assert net.notarize(org4.admin).valid
    assert query(net, "proposals") == []
    (done,) = [p for p in query(net, "proposals", all=True) if p["summary"] == "add org Org4"]
    assert done["status"] == "applied" and sorted(done["approvals"]) == ["Org1", "Org3"]


def test_an_upgrade_waits_for_a_majority_and_only_to_an_installed_version(
    net: Network, admins: dict[str, ParticipantKey]
) -> None:
    missing = change(net, admins["Org2"], "upgrade_contract", contract="notary", version="999")
    assert not missing.valid and missing.code == "contract.bad_argument"
    assert "notary v999 is not installed here (installed: 1, 2)" in (missing.message or "")
    bricking = change(net, admins["Org2"], "upgrade_contract", contract="membership", version="999")
    assert not bricking.valid and "not installed" in (bricking.message or "")
    unknown = change(net, admins["Org2"], "upgrade_contract", contract="nothing", version="1")
    assert not unknown.valid and unknown.code == "contract.not_found"

    assert not applied(
        change(net, admins["Org2"], "upgrade_contract", contract="notary", version="2")
    )
    before = net.notarize(admins["Org1"])
    assert before.valid and before.contract_version == "1"  # a proposal changes nothing
    assert applied(change(net, admins["Org1"], "upgrade_contract", contract="notary", version="2"))
    after = net.notarize(admins["Org1"])
    assert after.valid and after.contract_version == "2"
    same = change(net, admins["Org3"], "upgrade_contract", contract="notary", version="2")
    assert not same.valid and same.code == "contract.conflict"

    # Membership itself moves to another installed version, and works afterwards; the
    # version kept for channels made before governance is no choice.
    assert active(net, "membership") == "2"
    legacy = change(net, admins["Org3"], "upgrade_contract", contract="membership", version="1")
    assert not legacy.valid and "membership v1 is not installed here (installed: 2, 3)" in (
        legacy.message or ""
    )
    for org in ("Org3", "Org1"):
        outcome = change(net, admins[org], "upgrade_contract", contract="membership", version="3")
    assert applied(outcome)
    assert active(net, "membership") == "3"
    assert net.participant("bob").id == "bob"
    back = [
        change(net, admins[org], "upgrade_contract", contract="membership", version="2")
        for org in ("Org2", "Org3")
    ]
    assert applied(back[-1]) and back[-1].contract_version == "3"  # run by v3, activates v2
    assert active(net, "membership") == "2"
    # The whole ledger replays: each block with the versions active at its time.
    report = verify_ledger(
        net.node.peer.store,
        channel="main",
        registry=registry_with_upgrades(),
        rules=MembershipRules(),
    )
    assert report.ok, report.problem


def test_the_approval_rule_changes_only_by_itself(
    net: Network, admins: dict[str, ParticipantKey]
) -> None:
    assert not applied(change(net, admins["Org1"], "set_policy", approval="ALL"))
    assert query(net, "channel")["approval"] == "MAJORITY"
    assert applied(change(net, admins["Org2"], "set_policy", approval="ALL"))
    assert query(net, "channel")["approval"] == "ALL"
    # Now every org must approve, even a change of the rule back.
    org4 = new_org(net, "Org4")
    for org in ("Org1", "Org2"):
        assert not applied(change(net, admins[org], "add_org", **org4.add_org_args))
    assert applied(change(net, admins["Org3"], "add_org", **org4.add_org_args))
    for org in ("Org1", "Org2", "Org3"):
        assert not applied(change(net, admins[org], "set_policy", approval="MAJORITY"))
    assert applied(change(net, org4.admin, "set_policy", approval="MAJORITY"))
    bad = change(net, admins["Org1"], "set_policy", approval="SOME")
    assert not bad.valid and "ANY, MAJORITY, ALL" in (bad.message or "")


def test_limits_change_by_proposal_within_bounds(
    net: Network, admins: dict[str, ParticipantKey]
) -> None:
    too_short = change(net, admins["Org1"], "set_limits", proposal_ttl_ms=1000)
    assert not too_short.valid and "proposal_ttl_ms must be an integer" in (too_short.message or "")
    none = change(net, admins["Org1"], "set_limits")
    assert not none.valid and none.code == "contract.bad_argument"
    assert not applied(change(net, admins["Org1"], "set_limits", max_skew_ms=60_000))
    assert applied(change(net, admins["Org3"], "set_limits", max_skew_ms=60_000))
    assert query(net, "channel")["max_skew_ms"] == 60_000
    late = net.sign(admins["Org1"], "notary", "notarize", {"name": "late", "sha256": "ab" * 32})
    net.clock.advance(120_000)
    with pytest.raises(TxRejected, match="allowed: 60s"):
        net.node.orderer.submit(late).result(timeout=30)


def test_a_proposal_expires_and_approvals_can_be_withdrawn(
    net: Network, admins: dict[str, ParticipantKey]
) -> None:
    org4 = new_org(net, "Org4")
    opened = change(net, admins["Org1"], "add_org", **org4.add_org_args)
    proposal = opened.result["proposal"]  # type: ignore[index]
    ttl = query(net, "channel")["proposal_ttl_ms"]
    net.clock.advance(ttl + 1)
    net.notarize(admins["Org1"])  # a block at the new time
    assert query(net, "proposal", id=proposal)["status"] == "expired"
    # Approving an expired proposal opens it afresh: the old approval does not count.
    fresh = change(net, admins["Org2"], "add_org", **org4.add_org_args)
    assert not applied(fresh) and fresh.result["approvals"] == ["Org2"]  # type: ignore[index]
    withdrawn = net.submit(admins["Org2"], "membership", "withdraw", {"proposal": proposal})
    assert withdrawn.valid and withdrawn.result == {
        "proposal": proposal,
        "withdrawn": "Org2",
        "open": False,
    }
    assert query(net, "proposal", id=proposal)["status"] == "withdrawn"
    gone = net.submit(admins["Org2"], "membership", "withdraw", {"proposal": proposal})
    assert not gone.valid and gone.code == "contract.not_found"


def test_removing_an_org_ends_what_its_people_sign_and_keeps_the_past_valid(
    net: Network, admins: dict[str, ParticipantKey]
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tests.unit.contracts.test_add_peer import raw_public

    key = raw_public(Ed25519PrivateKey.generate())
    assert not applied(change(net, admins["Org3"], "add_peer", name="peer0.Org3", public_key=key))
    assert applied(change(net, admins["Org1"], "add_peer", name="peer0.Org3", public_key=key))
    assert net.notarize(admins["Org3"]).valid
    # Org3's own approval does not count: the two others must both approve.
    reason = "left the consortium"
    assert not applied(change(net, admins["Org3"], "remove_org", org="Org3", reason=reason))
    assert not applied(change(net, admins["Org1"], "remove_org", org="Org3", reason=reason))
    done = change(net, admins["Org2"], "remove_org", org="Org3", reason=reason)
    assert applied(done) and done.result["peers_retired"] == ["peer0.Org3"]  # type: ignore[index]
    with pytest.raises(TxRejected, match="org Org3 was removed from the channel"):
        net.notarize(admins["Org3"])
    config = query(net, "channel")
    assert "peer0.Org3" not in [peer["name"] for peer in config["peers"]]
    assert config["retired_peers"][0]["removed"]["reason"] == reason
    # Now two orgs: a majority is both.
    org5 = new_org(net, "Org5")
    assert not applied(change(net, admins["Org1"], "add_org", **org5.add_org_args))
    # A removed org's name is never used again.
    org3 = new_org(net, "Org3")
    reused = change(net, admins["Org1"], "add_org", **org3.add_org_args)
    assert not reused.valid and "never used again" in (reused.message or "")
    # The org that runs the orderer, and the last org, stay.
    orderer = change(net, admins["Org2"], "remove_org", org="Org1", reason="x")
    assert not orderer.valid and "runs orderer orderer.Org1" in (orderer.message or "")
    # What Org3 signed before its removal stays valid: the ledger replays as it is.
    report = verify_ledger(
        net.node.peer.store,
        channel="main",
        registry=registry_with_upgrades(),
        rules=MembershipRules(),
    )
    assert report.ok, report.problem


def test_removing_a_peer_retires_it_for_good(
    net: Network, admins: dict[str, ParticipantKey]
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from tests.unit.contracts.test_add_peer import raw_public

    key = raw_public(Ed25519PrivateKey.generate())
    for org in ("Org2", "Org3"):
        outcome = change(net, admins[org], "add_peer", name="peer0.Org2", public_key=key)
    assert applied(outcome)
    # Org1 cannot propose a peer of Org2's.
    other = change(net, admins["Org1"], "add_peer", name="peer1.Org2", public_key=key)
    assert not other.valid and "only an admin of Org2 may propose" in (other.message or "")
    for org in ("Org1", "Org3"):
        outcome = change(net, admins[org], "remove_peer", name="peer0.Org2", reason="compromised")
    assert applied(outcome)
    names = [node.name for node in MembershipRules().peers(net.node.peer.store)]
    assert names == ["peer0.Org1"]
    again = change(net, admins["Org2"], "add_peer", name="peer0.Org2", public_key=key)
    assert not again.valid and "never reused" in (again.message or "")
    last = change(net, admins["Org2"], "remove_peer", name="peer0.Org1", reason="x")
    assert not last.valid and "the channel's last peer" in (last.message or "")


def test_the_last_org_admin_of_an_org_cannot_be_revoked(net: Network) -> None:
    refused = net.submit(
        net.admin,
        "membership",
        "revoke",
        {"cert_sha256": net.admin.cert_sha256, "reason": "leaving"},
    )
    assert not refused.valid and "last valid org admin certificate of Org1" in (
        refused.message or ""
    )
    from tetherai.identity.roles import Role

    second = net.participant("root2", Role.ORG_ADMIN)
    done = net.submit(
        second, "membership", "revoke", {"cert_sha256": net.admin.cert_sha256, "reason": "leaving"}
    )
    assert done.valid, done.message


@pytest.mark.parametrize("org", ["", "bad/org", "_digest", "Org 1", "-x", "a" * 65])
def test_org_names_follow_the_one_name_rule(net: Network, org: str) -> None:
    candidate = new_org(net, "Org9")
    refused = change(net, net.admin, "add_org", **(candidate.add_org_args | {"org": org}))
    assert not refused.valid and refused.code == "contract.bad_argument"
    assert NAME_RULE in (refused.message or "")


def test_add_org_checks_the_ca_is_that_orgs(net: Network) -> None:
    impostor = new_org(net, "Org5", ca_org="Org1")
    refused = change(net, net.admin, "add_org", **(impostor.add_org_args | {"org": "Org5"}))
    assert not refused.valid and "the CA certificate is Org1's (O=Org1), not Org5's" in (
        refused.message or ""
    )
    real = new_org(net, "Org6")
    not_ca = change(
        net, net.admin, "add_org", **(real.add_org_args | {"ca_cert": real.admin.certificate_pem})
    )
    assert not not_ca.valid and "ca_cert refused" in (not_ca.message or "")
    # Without its first admin, nobody of the new org could ever sign.
    args = {k: v for k, v in real.add_org_args.items() if k != "admin"}
    with pytest.raises(TxRejected, match="missing admin"):
        net.submit(net.admin, "membership", "add_org", args)


@pytest.mark.parametrize("who", ["_x", "", "a/b", "x" * 65])
def test_invitations_name_valid_ids(net: Network, who: str) -> None:
    refused = net.submit(
        net.admin, "membership", "invite", {"org": "Org1", "id": who, "role": "stakeholder"}
    )
    assert not refused.valid and NAME_RULE in (refused.message or "")


def test_a_single_org_channel_applies_a_change_at_once(net: Network) -> None:
    outcome = change(net, net.admin, "upgrade_contract", contract="notary", version="2")
    assert applied(outcome) and outcome.result["approvals"] == ["Org1"]  # type: ignore[index]
    assert net.notarize(net.admin).contract_version == "2"
