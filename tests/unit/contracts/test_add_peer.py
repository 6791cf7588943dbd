"""membership.add_peer: an org admin adds a peer of their org to the channel configuration."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.common.network import PASSPHRASE, TEST_KDF_ROUNDS, Network, make_network
from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry
from tetherai.crypto.signature import Algorithm
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_to_pem
from tetherai.identity.roles import Role
from tetherai.ledger.checkpoint import (
    CosignatureSigner,
    CosignatureVerifier,
    NoteVerifier,
    open_checkpoint,
    sign_checkpoint,
)
from tetherai.ledger.executor import TxResult
from tetherai.ledger.tree_head import origin_for
from tetherai.ledger.verifier import verify_ledger
from tetherai.services.network import ParticipantKey, issue_participant


def raw_public(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    made = make_network(tmp_path, max_wait=0.002)
    try:
        yield made
    finally:
        made.close()


def join(net: Network, org: str) -> ParticipantKey:
    """Add ``org`` with its first admin enrolled in the same tx; return that admin."""
    now = datetime.fromtimestamp(net.clock() / 1000, tz=UTC)
    ca = CertificateAuthority.create(org, algorithm=Algorithm.ED25519, now=now)
    admin = issue_participant(
        net.home, ca, "admin", Role.ORG_ADMIN, PASSPHRASE, now, Algorithm.ED25519,
        kdf_rounds=TEST_KDF_ROUNDS,
    )  # fmt: skip
    ca_pem = certificate_to_pem(ca.certificate).decode()
    done = net.submit(
        net.admin,
        "membership",
        "add_org",
        {"org": org, "ca_cert": ca_pem, "admin": admin.certificate_pem},
    )
    assert done.valid, done
    assert isinstance(done.result, dict)
    # The channel had one org: its admin's approval is the majority, so it applied at once.
    assert done.result["applied"] and done.result["admin"] == f"admin@{org}"
    return admin


def add_peer(net: Network, who: ParticipantKey, name: str, public_key: str) -> TxResult:
    """``who`` proposes the peer; with two orgs on the channel, Org1's admin approves too."""
    args: dict[str, object] = {"name": name, "public_key": public_key}
    proposed = net.submit(who, "membership", "add_peer", args)
    if not proposed.valid or proposed.result["applied"]:  # type: ignore[index]
        return proposed
    return net.submit(net.admin, "membership", "add_peer", args)


def peer_names(net: Network) -> list[str]:
    return [node.name for node in MembershipRules().peers(net.node.peer.store)]


def test_a_new_orgs_admin_adds_its_peer_from_the_next_block_on(net: Network) -> None:
    org4 = join(net, "Org4")
    before = peer_names(net)
    key = Ed25519PrivateKey.generate()
    done = add_peer(net, org4, "peer0.Org4", raw_public(key))
    assert done.valid, done
    assert isinstance(done.result, dict)
    assert done.result["applied"] and done.result["peer"] == "peer0.Org4"
    assert peer_names(net) == [*before, "peer0.Org4"]
    # Its key is the one recorded, under its org.
    found = MembershipRules().peers(net.node.peer.store)[-1]
    assert found.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw) == base64.b64decode(
        raw_public(key)
    )
    # The channel's configuration, as anyone may read it, lists it.
    config = net.node.peer.query("membership", "channel", {})
    assert config["peers"][-1] == {  # type: ignore[index,call-overload]
        "name": "peer0.Org4",
        "org": "Org4",
        "public_key": raw_public(key),
    }
    # The new org's admin signs txs of its own too (enrolled by add_org).
    assert net.notarize(org4).valid


def test_its_cosignature_counts_on_later_checkpoints_and_older_ones_still_verify(
    net: Network,
) -> None:
    org4 = join(net, "Org4")
    key = Ed25519PrivateKey.generate()
    assert add_peer(net, org4, "peer0.Org4", raw_public(key)).valid
    assert net.notarize(net.admin).valid
    store = net.node.peer.store
    _, block, note = store.checkpoints()[-1]
    checkpoint = net.node.peer.checkpoint()
    assert checkpoint.block == block
    ours = sign_checkpoint(
        checkpoint.to_checkpoint(),
        [CosignatureSigner("peer0.Org4", key, timestamp=store.block_ts(block) // 1000)],
    )
    cosigned = note + ours.partition("\n\n")[2]
    rules = MembershipRules()
    verifiers: list[NoteVerifier | CosignatureVerifier] = [
        NoteVerifier(o.name, o.public_key) for o in rules.orderers(store)
    ]
    verifiers += [CosignatureVerifier(p.name, p.public_key) for p in rules.peers(store)]
    _, opened = open_checkpoint(cosigned, verifiers, origin=origin_for("main"))
    assert "peer0.Org4" in opened.verified
    # The whole ledger replays, every stored checkpoint (before and after the change) included,
    # and the cosigned note is accepted as a trusted checkpoint.
    report = verify_ledger(
        store,
        channel="main",
        registry=default_registry(),
        rules=rules,
        trusted_checkpoints=[cosigned],
    )
    assert report.ok, report.problem
    assert report.checkpoints == len(store.checkpoints()) + 1


def test_only_an_admin_of_a_member_org_adds_a_peer_of_its_own_org(net: Network) -> None:
    org4 = join(net, "Org4")
    key = raw_public(Ed25519PrivateKey.generate())
    engineer = net.participant("alice")
    refused = add_peer(net, engineer, "peer1.Org1", key)
    assert not refused.valid and "only org admins" in (refused.message or "")
    # Org4's admin cannot propose a peer that claims to be Org1's, nor one named off-convention.
    refused = add_peer(net, org4, "peer1.Org1", key)
    assert not refused.valid and "only an admin of Org1 may propose" in (refused.message or "")
    refused = add_peer(net, org4, "peer0", key)
    assert not refused.valid and refused.code == "contract.bad_argument"
    assert "peer1.Org1" not in peer_names(net)


def test_duplicates_and_bad_keys_are_refused_and_nothing_changes(net: Network) -> None:
    org4 = join(net, "Org4")
    key = raw_public(Ed25519PrivateKey.generate())
    assert add_peer(net, org4, "peer0.Org4", key).valid
    before = peer_names(net)
    same_name = add_peer(net, org4, "peer0.Org4", raw_public(Ed25519PrivateKey.generate()))
    assert not same_name.valid and same_name.code == "contract.conflict"
    same_key = add_peer(net, org4, "peer1.Org4", key)
    assert not same_key.valid and same_key.code == "contract.conflict"
    # The genesis peer's key, too, is taken.
    genesis_key = net.home.node_dir(net.home.config()["peer"]) / "key.pub"
    taken = add_peer(net, net.admin, "peer9.Org1", genesis_key.read_text().strip())
    assert not taken.valid and taken.code == "contract.conflict"
    for bad in ("not base64!", base64.b64encode(b"short").decode(), ""):
        refused = add_peer(net, org4, "peer2.Org4", bad)
        assert not refused.valid and refused.code == "contract.bad_argument", bad
        assert "bad public key for peer2.Org4" in (refused.message or "")
    assert peer_names(net) == before


def test_add_org_refuses_an_admin_certificate_of_another_org_or_role(net: Network) -> None:
    now = datetime.fromtimestamp(net.clock() / 1000, tz=UTC)
    ca = CertificateAuthority.create("Org5", algorithm=Algorithm.ED25519, now=now)
    engineer = issue_participant(
        net.home, ca, "eve", Role.AI_ENGINEER, PASSPHRASE, now, Algorithm.ED25519,
        kdf_rounds=TEST_KDF_ROUNDS,
    )  # fmt: skip
    ca_pem = certificate_to_pem(ca.certificate).decode()
    refused = net.submit(
        net.admin,
        "membership",
        "add_org",
        {"org": "Org5", "ca_cert": ca_pem, "admin": engineer.certificate_pem},
    )
    assert not refused.valid and "an org admin of Org5" in (refused.message or "")
    # Refused as a whole: the org was not added either.
    assert net.node.peer.store.get("membership/org/Org5") is None
