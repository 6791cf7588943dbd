"""A second org on a test network: its CA, its first admin (enrolled with the org) and people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tests.common.network import PASSPHRASE, TEST_KDF_ROUNDS, Network
from tetherai.crypto.signature import Algorithm
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_to_pem
from tetherai.identity.roles import Role
from tetherai.services.network import ParticipantKey, issue_participant


@dataclass
class Org:
    """An org added to ``net`` by Org1's admin, with an admin of its own."""

    net: Network
    ca: CertificateAuthority
    admin: ParticipantKey

    @property
    def name(self) -> str:
        return self.ca.org

    def participant(self, name: str, role: Role = Role.AI_ENGINEER) -> ParticipantKey:
        """A participant of this org, enrolled by its own admin."""
        key = self._issue(name, role)
        result = self.net.submit(
            self.admin, "membership", "enroll", {"certificate": key.certificate_pem}
        )
        assert result.valid, result
        return key

    def _issue(self, name: str, role: Role) -> ParticipantKey:
        now = datetime.fromtimestamp(self.net.clock() / 1000, tz=UTC)
        return issue_participant(
            self.net.home,
            self.ca,
            name,
            role,
            PASSPHRASE,
            now,
            Algorithm.ED25519,
            kdf_rounds=TEST_KDF_ROUNDS,
        )


def add_org(net: Network, name: str = "Org2", admin: str = "admin2") -> Org:
    """Bring org ``name`` into the channel (signed by Org1's admin) with its first admin."""
    now = datetime.fromtimestamp(net.clock() / 1000, tz=UTC)
    ca = CertificateAuthority.create(name, now=now)
    org = Org(net, ca, admin=None)  # type: ignore[arg-type]  # set below
    org.admin = org._issue(admin, Role.ORG_ADMIN)
    result = net.submit(
        net.admin,
        "membership",
        "add_org",
        {
            "org": name,
            "ca_cert": certificate_to_pem(ca.certificate).decode(),
            "admin": org.admin.certificate_pem,
        },
    )
    assert result.valid, result
    return org
