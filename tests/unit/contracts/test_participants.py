"""People and keys on the ledger: several keys per person, proof of possession, revoking one
key or all of them, re-keying after a reset, auditors who enrol but never write, and an audit
firm that is its own org."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.common.network import PASSPHRASE, TEST_KDF_ROUNDS, Network, make_network
from tetherai.crypto.signature import Algorithm, generate_private_key
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_sha256, certificate_to_pem
from tetherai.identity.possession import prove_possession
from tetherai.identity.roles import Role
from tetherai.ledger.errors import TxRejected
from tetherai.ledger.executor import TxResult
from tetherai.services.access import can_read_project, viewer
from tetherai.services.network import ParticipantKey, issue_participant


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    made = make_network(tmp_path, max_wait=0.002)
    try:
        yield made
    finally:
        made.close()


def new_key(
    net: Network, org: str, name: str, role: Role, ca: CertificateAuthority | None = None
) -> ParticipantKey:
    """A fresh key of ``name@org`` certified by the org's CA, not enrolled."""
    key = generate_private_key()
    now = datetime.fromtimestamp(net.clock() / 1000, tz=UTC)
    cert = (ca or net.ca).issue(
        participant_id=name, role=role, public_key=key.public_key(), now=now
    )
    return ParticipantKey(
        org, name, certificate_sha256(cert), certificate_to_pem(cert).decode(), key
    )


def notarize(net: Network, who: ParticipantKey, name: str) -> bool:
    return net.submit(who, "notary", "notarize", {"name": name, "sha256": "ab" * 32}).valid


def add_key(
    net: Network, who: ParticipantKey, new: ParticipantKey, proof: str | None = None
) -> TxResult:
    proof = proof or prove_possession(new.private_key, new.org, new.id)
    return net.submit(
        who, "membership", "add_key", {"certificate": new.certificate_pem, "proof": proof}
    )


def audit_firm(net: Network, org: str) -> tuple[CertificateAuthority, ParticipantKey]:
    """Another org joins the channel with its CA and first admin."""
    now = datetime.fromtimestamp(net.clock() / 1000, tz=UTC)
    ca = CertificateAuthority.create(org, algorithm=Algorithm.ED25519, now=now)
    admin = issue_participant(
        net.home, ca, "admin", Role.ORG_ADMIN, PASSPHRASE, now, kdf_rounds=TEST_KDF_ROUNDS
    )
    ca_pem = certificate_to_pem(ca.certificate).decode()
    args: dict[str, object] = {"org": org, "ca_cert": ca_pem, "admin": admin.certificate_pem}
    assert net.submit(net.admin, "membership", "add_org", args).valid
    return ca, admin


def test_a_person_holds_several_keys_and_revokes_one_without_disturbing_the_others(
    net: Network,
) -> None:
    alice = net.participant("alice")
    laptop = new_key(net, "Org1", "alice", Role.AI_ENGINEER)
    assert add_key(net, alice, laptop).valid
    ci = new_key(net, "Org1", "alice", Role.AI_ENGINEER)
    assert add_key(net, laptop, ci).valid
    assert all(notarize(net, key, f"by-{i}") for i, key in enumerate((alice, laptop, ci)))
    keys = net.node.peer.query("membership", "keys", {"org": "Org1", "id": "alice"})
    assert isinstance(keys, list)
    assert sorted(str(k["via"]) for k in keys) == ["add_key", "add_key", "enroll"]
    revoked = net.submit(
        ci, "membership", "revoke", {"cert_sha256": laptop.cert_sha256, "reason": "lost laptop"}
    )
    assert revoked.valid, revoked.message
    with pytest.raises(TxRejected, match="lost laptop"):
        notarize(net, laptop, "late")
    assert notarize(net, alice, "web-still") and notarize(net, ci, "ci-still")


def test_registering_a_key_needs_proof_of_possession_and_happens_once(net: Network) -> None:
    alice = net.participant("alice")
    bob = net.participant("bob")
    stolen = new_key(net, "Org1", "alice", Role.AI_ENGINEER)
    other = generate_private_key()
    forged = add_key(net, alice, stolen, proof=prove_possession(other, "Org1", "alice"))
    assert not forged.valid and "proof of possession" in (forged.message or "")
    for_bob = add_key(net, alice, stolen, proof=prove_possession(stolen.private_key, "Org1", "bob"))
    assert not for_bob.valid and "proof of possession" in (for_bob.message or "")
    assert add_key(net, alice, stolen).valid
    again = add_key(net, alice, stolen)
    assert not again.valid and again.code == "contract.conflict"
    # The same public key in another certificate (another person's, even) is refused too.
    cert = net.ca.issue(
        participant_id="bob",
        role=Role.AI_ENGINEER,
        public_key=stolen.private_key.public_key(),
        now=datetime.fromtimestamp(net.clock() / 1000, tz=UTC),
    )
    bobs = ParticipantKey(
        "Org1",
        "bob",
        certificate_sha256(cert),
        certificate_to_pem(cert).decode(),
        stolen.private_key,
    )
    twice = add_key(net, bob, bobs)
    assert not twice.valid and "already enrolled" in (twice.message or "")
    theirs = add_key(net, bob, new_key(net, "Org1", "alice", Role.AI_ENGINEER))
    assert not theirs.valid and "only their own keys" in (theirs.message or "")


def test_a_person_cannot_revoke_their_last_key_nor_someone_elses(net: Network) -> None:
    alice = net.participant("alice")
    bob = net.participant("bob")
    last = net.submit(
        alice, "membership", "revoke", {"cert_sha256": alice.cert_sha256, "reason": "x"}
    )
    assert not last.valid and "last active key" in (last.message or "")
    theirs = net.submit(
        alice, "membership", "revoke", {"cert_sha256": bob.cert_sha256, "reason": "x"}
    )
    assert not theirs.valid and theirs.code == "contract.not_permitted"


def test_an_admin_cannot_enrol_a_key_beside_a_persons_own(net: Network) -> None:
    net.participant("alice")
    extra = new_key(net, "Org1", "alice", Role.AI_ENGINEER)
    refused = net.submit(net.admin, "membership", "enroll", {"certificate": extra.certificate_pem})
    assert not refused.valid and "holds keys already" in (refused.message or "")
    refused = net.submit(
        net.admin, "membership", "invite", {"org": "Org1", "id": "alice", "role": "ai_engineer"}
    )
    assert not refused.valid and "revoke their keys first" in (refused.message or "")


def test_revoking_a_person_ends_every_key_and_a_reinvited_key_records_why_and_by_whom(
    net: Network,
) -> None:
    alice = net.participant("alice")
    laptop = new_key(net, "Org1", "alice", Role.AI_ENGINEER)
    assert add_key(net, alice, laptop).valid
    done = net.submit(
        net.admin,
        "membership",
        "revoke_participant",
        {"org": "Org1", "id": "alice", "reason": "password reset", "reinvite": True},
    )
    assert done.valid, done.message
    assert done.result["invited"] is True
    revoked = done.result["revoked"]
    assert isinstance(revoked, list)
    assert sorted(map(str, revoked)) == sorted([alice.cert_sha256, laptop.cert_sha256])
    for key in (alice, laptop):
        with pytest.raises(TxRejected) as error:
            notarize(net, key, "after")
        assert error.value.code == "tx.revoked_certificate"
    fresh = new_key(net, "Org1", "alice", Role.AI_ENGINEER)
    accepted = net.submit(
        fresh, "membership", "accept_invitation", {"certificate": fresh.certificate_pem}
    )
    assert accepted.valid, accepted.message
    record = net.node.peer.query("membership", "participant", {"org": "Org1", "id": "alice"})
    assert isinstance(record, dict)
    assert (record["via"], record["enrolled_by"], record["after"]) == (
        "invitation",
        "admin@Org1",
        "password reset",
    )
    assert notarize(net, fresh, "new-key")
    selfish = net.submit(
        net.admin,
        "membership",
        "revoke_participant",
        {"org": "Org1", "id": "admin", "reason": "x"},
    )
    assert not selfish.valid and "another org admin" in (selfish.message or "")


def test_an_invitation_is_accepted_only_with_the_key_it_enrols(net: Network) -> None:
    net.submit(
        net.admin, "membership", "invite", {"org": "Org1", "id": "erin", "role": "stakeholder"}
    )
    erin = new_key(net, "Org1", "erin", Role.STAKEHOLDER)
    other = new_key(net, "Org1", "erin", Role.STAKEHOLDER)
    with pytest.raises(TxRejected):  # signed by a key that is neither enrolled nor the one named
        net.submit(other, "membership", "accept_invitation", {"certificate": erin.certificate_pem})
    bad_id = net.submit(
        net.admin, "membership", "invite", {"org": "Org1", "id": "a/b", "role": "stakeholder"}
    )
    assert not bad_id.valid and "invalid participant id" in (bad_id.message or "")


def test_an_invited_auditor_enrols_their_key_joins_a_project_and_writes_nothing(
    net: Network,
) -> None:
    author = net.participant("alice")
    project = net.submit(author, "project", "create", {"name": "Credit"}).result["project"]
    refused = net.submit(
        author, "project", "add_member", {"project": project, "org": "Org1", "id": "dora"}
    )
    assert not refused.valid  # not a participant yet
    assert net.submit(
        net.admin, "membership", "invite", {"org": "Org1", "id": "dora", "role": "auditor"}
    ).valid
    dora = new_key(net, "Org1", "dora", Role.AUDITOR)
    accepted = net.submit(
        dora, "membership", "accept_invitation", {"certificate": dora.certificate_pem}
    )
    assert accepted.valid, accepted.message
    added = net.submit(
        author, "project", "add_member", {"project": project, "org": "Org1", "id": "dora"}
    )
    assert added.valid and added.result["role"] == "auditor"
    writes: list[tuple[str, str, dict[str, object]]] = [
        ("notary", "notarize", {"name": "x", "sha256": "ab" * 32}),
        ("project", "create", {"name": "Mine"}),
        ("membership", "add_key", {"certificate": dora.certificate_pem, "proof": "x"}),
        ("membership", "revoke", {"cert_sha256": dora.cert_sha256, "reason": "x"}),
    ]
    for contract, fn, args in writes:
        with pytest.raises(TxRejected) as error:
            net.submit(dora, contract, fn, args)
        assert error.value.code == "tx.auditor_cannot_write"


def test_an_audit_firm_is_its_own_org_whose_auditors_are_granted_per_project(net: Network) -> None:
    author = net.participant("alice")
    audited = str(net.submit(author, "project", "create", {"name": "Audited"}).result["project"])
    private = str(net.submit(author, "project", "create", {"name": "Private"}).result["project"])
    firm_ca, firm_admin = audit_firm(net, "AuditCo")
    invited = net.submit(
        firm_admin, "membership", "invite", {"org": "AuditCo", "id": "ivy", "role": "auditor"}
    )
    assert invited.valid, invited.message
    ivy = new_key(net, "AuditCo", "ivy", Role.AUDITOR, ca=firm_ca)
    assert net.submit(
        ivy, "membership", "accept_invitation", {"certificate": ivy.certificate_pem}
    ).valid
    wrong = net.submit(
        net.admin, "membership", "invite", {"org": "AuditCo", "id": "x", "role": "auditor"}
    )
    assert not wrong.valid  # Org1's admin does not manage AuditCo's people
    granted = net.submit(
        author, "project", "add_member", {"project": audited, "org": "AuditCo", "id": "ivy"}
    )
    assert granted.valid, granted.message
    state = net.node.peer.store.reader()
    who = viewer("AuditCo", "ivy", "auditor")
    assert can_read_project(state, audited, who)
    assert not can_read_project(state, private, who)
    with pytest.raises(TxRejected, match="auditors only read"):
        net.submit(ivy, "project", "create", {"name": "Firm project"})
