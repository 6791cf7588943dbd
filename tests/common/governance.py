"""Factories for governance tests: new orgs with their CA and admin, channels of several orgs,
and contract versions a test registry installs beside the default ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.common.network import Network
from tetherai.contracts.membership import Membership
from tetherai.contracts.notary import Notary
from tetherai.contracts.registry import default_contracts
from tetherai.crypto.signature import Algorithm, generate_private_key
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_sha256, certificate_to_pem
from tetherai.identity.roles import Role
from tetherai.ledger.contract import ContractRegistry
from tetherai.ledger.executor import TxResult
from tetherai.services.network import ParticipantKey


class NotaryV2(Notary):
    """A second notary version, as a later release would install it."""

    version = "2"


class MembershipV3(Membership):
    """A later membership version (the default ones are 1, legacy, and 2)."""

    version = "3"


def registry_with_upgrades() -> ContractRegistry:
    """The default contracts plus notary v2 and membership v3."""
    return ContractRegistry([*default_contracts(), NotaryV2(), MembershipV3()])


@dataclass(frozen=True)
class NewOrg:
    """An org that is not on the channel yet: its CA and its first admin."""

    name: str
    ca: CertificateAuthority
    admin: ParticipantKey

    @property
    def add_org_args(self) -> dict[str, Any]:
        return {
            "org": self.name,
            "ca_cert": certificate_to_pem(self.ca.certificate).decode(),
            "admin": self.admin.certificate_pem,
        }


def new_org(net: Network, name: str, *, ca_org: str | None = None) -> NewOrg:
    """Make ``name``'s CA (whose subject says ``ca_org``, default the same) and admin, in
    memory (as the new org would on its own machines)."""
    now = datetime.fromtimestamp(net.clock() / 1000, tz=UTC)
    ca = CertificateAuthority.create(ca_org or name, algorithm=Algorithm.ED25519, now=now)
    key = generate_private_key(Algorithm.ED25519)
    certificate = ca.issue(
        participant_id="admin", role=Role.ORG_ADMIN, public_key=key.public_key(), now=now
    )
    admin = ParticipantKey(
        ca.org,
        "admin",
        certificate_sha256(certificate),
        certificate_to_pem(certificate).decode(),
        key,
    )
    return NewOrg(name, ca, admin)


def change(net: Network, who: ParticipantKey, fn: str, **args: Any) -> TxResult:
    """One admin's approval of a change of the channel (the first one proposes it)."""
    return net.submit(who, "membership", fn, args)


def applied(result: TxResult) -> bool:
    assert result.valid, f"{result.code}: {result.message}"
    assert isinstance(result.result, dict)
    return bool(result.result["applied"])


def three_orgs(net: Network) -> dict[str, ParticipantKey]:
    """Grow ``net``'s channel (Org1) to Org1, Org2, Org3; return their admins."""
    grown = grow(net, ["Org2", "Org3"])
    return {"Org1": net.admin} | {name: org.admin for name, org in grown.items()}


def grow(net: Network, names: list[str]) -> dict[str, NewOrg]:
    """Add each org in turn, approved by every org already on the channel."""
    approvers = [net.admin]
    grown = {}
    for name in names:
        org = new_org(net, name)
        outcomes = [change(net, admin, "add_org", **org.add_org_args) for admin in approvers]
        # Only the approval that meets the majority applies it: the last one.
        assert [applied(outcome) for outcome in outcomes][-1]
        needed = len(approvers) // 2 + 1
        assert [applied(o) for o in outcomes].index(True) == needed - 1
        approvers.append(org.admin)
        grown[name] = org
    return grown


def enrolled(net: Network, org: NewOrg, who: str, role: Role) -> ParticipantKey:
    """A participant of ``org`` (not ``net``'s own), enrolled by that org's admin."""
    key = generate_private_key(Algorithm.ED25519)
    now = datetime.fromtimestamp(net.clock() / 1000, tz=UTC)
    certificate = org.ca.issue(participant_id=who, role=role, public_key=key.public_key(), now=now)
    participant = ParticipantKey(
        org.name,
        who,
        certificate_sha256(certificate),
        certificate_to_pem(certificate).decode(),
        key,
    )
    done = net.submit(
        org.admin, "membership", "enroll", {"certificate": participant.certificate_pem}
    )
    assert done.valid, done.message
    return participant
