"""Property: no sequence of accepted txs leaves membership unable to change.

Hypothesis draws sequences of governance txs (proposals and approvals of every kind of change
with valid and invalid arguments, withdrawals, revocations and enrolments of org admins, time
passing beyond a proposal's life) signed by the admins of four orgs, and runs them through the
ledger's executor. Whatever was accepted, afterwards the active membership version is one the
code has, every member org still has an admin who can sign, and a change of the channel still
reaches the approval rule and applies.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.common.channel_sim import ChannelSim, genesis, org_material, raw_public
from tests.common.governance import registry_with_upgrades
from tetherai.contracts._membership_state import LIMITS, member_orgs

ORGS = [org_material(name) for name in ("Org1", "Org2", "Org3", "Org4")]
BY_NAME = {org.name: org for org in ORGS}
NODE_KEYS = {f"peer{n}.{org.name}": Ed25519PrivateKey.generate() for org in ORGS for n in (0, 1)}
ORDERER = Ed25519PrivateKey.generate()
REGISTRY = registry_with_upgrades()
TTL_LOW, TTL_HIGH, _ = LIMITS["proposal_ttl_ms"]

org_names = st.sampled_from([org.name for org in ORGS])
signers = st.tuples(org_names, st.integers(0, 1))
reasons = st.sampled_from(["left", ""])

changes: st.SearchStrategy[tuple[str, dict[str, Any]]] = st.one_of(
    org_names.map(
        lambda org: (
            "add_org",
            {
                "org": org,
                "ca_cert": BY_NAME[org].ca_pem,
                "admin": BY_NAME[org].admins[0].certificate_pem,
            },
        )
    ),
    st.tuples(org_names, reasons).map(lambda t: ("remove_org", {"org": t[0], "reason": t[1]})),
    st.sampled_from(sorted(NODE_KEYS)).map(
        lambda name: ("add_peer", {"name": name, "public_key": raw_public(NODE_KEYS[name])})
    ),
    st.tuples(st.sampled_from(sorted(NODE_KEYS)), reasons).map(
        lambda t: ("remove_peer", {"name": t[0], "reason": t[1]})
    ),
    st.tuples(
        st.sampled_from(["membership", "notary"]), st.sampled_from(["1", "2", "3", "999"])
    ).map(lambda t: ("upgrade_contract", {"contract": t[0], "version": t[1]})),
    st.sampled_from(["ANY", "MAJORITY", "ALL", "NONE"]).map(
        lambda rule: ("set_policy", {"approval": rule})
    ),
    st.integers(TTL_LOW - 1, TTL_HIGH + 1).map(
        lambda ttl: ("set_limits", {"proposal_ttl_ms": ttl})
    ),
)


@st.composite
def scenarios(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """Steps over a small agenda of changes, so the same change gets several approvals."""
    agenda = draw(st.lists(changes, min_size=1, max_size=6))
    step = st.one_of(
        st.tuples(st.just("change"), signers, st.sampled_from(agenda)),
        st.tuples(st.just("change"), signers, st.sampled_from(agenda)),
        st.tuples(st.just("round"), signers, st.sampled_from(agenda)),
        st.tuples(st.just("round"), signers, st.sampled_from(agenda)),
        st.tuples(st.just("enroll"), signers, signers),
        st.tuples(st.just("revoke"), signers, st.integers(0, 1)),
        st.tuples(st.just("revoke"), signers, st.integers(0, 1)),
        st.tuples(st.just("revoke"), signers, signers),
        st.tuples(st.just("revoke_person"), signers, signers),
        st.tuples(st.just("withdraw"), signers, st.integers(0, 5)),
        st.tuples(st.just("wait"), signers, st.integers(1, TTL_HIGH)),
    )
    return draw(st.lists(step, min_size=3, max_size=40))


def run(sim: ChannelSim, step: tuple[Any, ...]) -> None:
    action, (org, index), what = step
    who = BY_NAME[org].admins[index]
    if action == "change":
        fn, args = what
        sim.run(who, "membership", fn, args)
    elif action == "round":  # each org's admin approves in turn, from the signer's org on
        fn, args = what
        names = [o.name for o in ORGS]
        start = names.index(org)
        for name in names[start:] + names[:start]:
            sim.run(BY_NAME[name].admins[index], "membership", fn, args)
    elif action == "withdraw":
        found = [key.rpartition("/")[2] for key, _ in sim.state.scan("membership/proposal/")]
        if found:
            sim.run(who, "membership", "withdraw", {"proposal": found[what % len(found)]})
    elif action == "revoke":  # an admin of their own org (or, to be refused, another's)
        target = (
            BY_NAME[org].admins[what] if isinstance(what, int) else BY_NAME[what[0]].admins[what[1]]
        )
        sim.run(who, "membership", "revoke", {"cert_sha256": target.cert_sha256, "reason": "gone"})
    elif action == "revoke_person":  # every key of a person (disabled, re-keyed)
        target = BY_NAME[what[0]].admins[what[1]]
        args = {"org": target.org, "id": target.id, "reason": "gone", "reinvite": False}
        sim.run(who, "membership", "revoke_participant", args)
    elif action == "enroll":
        target = BY_NAME[what[0]].admins[what[1]]
        sim.run(who, "membership", "enroll", {"certificate": target.certificate_pem})
    else:
        sim.now += what


def can_sign(sim: ChannelSim, org: str) -> list[Any]:
    """The admins of ``org`` whose txs the ledger still accepts."""
    found = []
    for admin in BY_NAME[org].admins:
        record = sim.state.get(f"membership/cert/{admin.cert_sha256}")
        if isinstance(record, dict) and record.get("revoked") is None:
            found.append(admin)
    return found


def assert_membership_can_change(sim: ChannelSim) -> None:
    version = sim.rules.contract_version("membership", sim.state)
    assert version in REGISTRY.installed["membership"], version
    members = member_orgs(sim.state)
    assert members, "the channel has no org left"
    admins = {org: can_sign(sim, org) for org in members}
    assert all(admins.values()), (
        f"an org has no admin left: {sorted(admins, key=lambda o: bool(admins[o]))}"
    )
    # A change of the channel still applies once every member org's admin approved it.
    skew = 1000 + sim.height
    outcome = None
    for org in members:
        outcome = sim.run(admins[org][0], "membership", "set_limits", {"max_skew_ms": skew})
        assert outcome.valid, f"{org}: {outcome.code}: {outcome.message}"
        if outcome.result["applied"]:  # type: ignore[index]
            break
    assert outcome is not None and outcome.result["applied"]  # type: ignore[index]
    # And the people side of membership runs too.
    enrolled = sim.run(
        admins[members[0]][0],
        "membership",
        "enroll",
        {"certificate": BY_NAME[members[0]].engineer.certificate_pem},
    )
    assert enrolled.valid or enrolled.code == "contract.conflict", enrolled.message


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
# The ways the channel could be bricked before governance, always tried:
@example(
    [("round", ("Org1", 0), ("upgrade_contract", {"contract": "membership", "version": "999"}))]
)
@example([("revoke", ("Org2", 0), 1), ("revoke", ("Org2", 0), 0)])
@example([("revoke_person", ("Org2", 0), ("Org2", 1)), ("revoke_person", ("Org2", 1), ("Org2", 0))])
@example(
    [
        ("round", ("Org1", 0), ("remove_org", {"org": org, "reason": "left"}))
        for org in ("Org2", "Org3", "Org1")
    ]
)
@example(
    [
        ("round", ("Org1", 0), ("remove_peer", {"name": name, "reason": "x"}))
        for name in ("peer0.Org1", "peer0.Org2")
    ]
)
def test_no_sequence_of_accepted_txs_leaves_membership_unable_to_change(
    sequence: list[tuple[Any, ...]],
) -> None:
    peers = {name: NODE_KEYS[name] for name in ("peer0.Org1", "peer0.Org2")}
    sim = genesis(REGISTRY, ORGS[:3], peers, ORDERER)
    for step in sequence:
        run(sim, step)
    assert_membership_can_change(sim)


def test_a_channel_made_before_governance_runs_membership_v1_until_it_upgrades() -> None:
    """Its rules stay (one admin alone adds an org), so its blocks replay as they ran; one
    upgrade to membership v2 (allowed to one admin, as v1 allows it) brings governance."""
    peers = {"peer0.Org1": NODE_KEYS["peer0.Org1"]}
    old = {name: "1" for name in REGISTRY.installed} | {"membership": "1"}
    sim = genesis(REGISTRY, ORGS[:2], peers, ORDERER, contracts=old)
    org1, org2, org3 = (org.admins[0] for org in ORGS[:3])
    args = {"org": "Org3", "ca_cert": ORGS[2].ca_pem, "admin": org3.certificate_pem}
    done = sim.run(org1, "membership", "add_org", args)
    assert done.valid and done.result == {"org": "Org3", "admin": "admin0@Org3"}
    upgraded = sim.run(
        org2, "membership", "upgrade_contract", {"contract": "membership", "version": "2"}
    )
    assert upgraded.valid and upgraded.contract_version == "1"
    args = {"org": "Org4", "ca_cert": ORGS[3].ca_pem, "admin": ORGS[3].admins[0].certificate_pem}
    pending = sim.run(org1, "membership", "add_org", args)
    assert pending.valid and pending.contract_version == "2"
    assert pending.result["applied"] is False  # type: ignore[index]
    assert_membership_can_change(sim)
