"""A channel run in memory: each tx is its own block, executed by the ledger's own executor
with real signatures and the real membership rules, on an in-memory world state.

Fast enough for property tests that run hundreds of txs per example, and the same code path
as a peer (``ledger.executor.execute_block``), minus storage and ordering.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.common.network import START_MS
from tetherai.contracts.membership_rules import MembershipRules
from tetherai.contracts.registry import genesis_versions
from tetherai.crypto.signature import Algorithm, generate_private_key
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_sha256, certificate_to_pem
from tetherai.identity.roles import Role
from tetherai.ledger.contract import ContractRegistry
from tetherai.ledger.executor import TxResult, execute_block
from tetherai.ledger.signatures import PendingChecks
from tetherai.ledger.state import MemoryState
from tetherai.services.network import ParticipantKey

CHANNEL = "main"


def raw_public(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


@dataclass(frozen=True)
class OrgMaterial:
    """An org's CA and some participants' keys, made once and reused by every example."""

    name: str
    ca: CertificateAuthority
    admins: tuple[ParticipantKey, ...]
    engineer: ParticipantKey

    @property
    def ca_pem(self) -> str:
        return certificate_to_pem(self.ca.certificate).decode()


def _participant(ca: CertificateAuthority, who: str, role: Role) -> ParticipantKey:
    key = generate_private_key(Algorithm.ED25519)
    now = datetime.fromtimestamp(START_MS / 1000, tz=UTC)
    certificate = ca.issue(participant_id=who, role=role, public_key=key.public_key(), now=now)
    return ParticipantKey(
        ca.org, who, certificate_sha256(certificate), certificate_to_pem(certificate).decode(), key
    )


def org_material(name: str, admins: int = 2) -> OrgMaterial:
    now = datetime.fromtimestamp(START_MS / 1000, tz=UTC)
    ca = CertificateAuthority.create(name, algorithm=Algorithm.ED25519, now=now)
    return OrgMaterial(
        name,
        ca,
        tuple(_participant(ca, f"admin{n}", Role.ORG_ADMIN) for n in range(admins)),
        _participant(ca, "engineer", Role.AI_ENGINEER),
    )


@dataclass
class ChannelSim:
    """One channel's state; :meth:`run` orders, executes and applies one tx as one block."""

    registry: ContractRegistry
    state: MemoryState = field(default_factory=MemoryState)
    rules: MembershipRules = field(default_factory=MembershipRules)
    height: int = 0
    now: int = START_MS
    tx_ids: set[str] = field(default_factory=set)

    def run(self, who: ParticipantKey, contract: str, fn: str, args: dict[str, Any]) -> TxResult:
        envelope = who.sign(CHANNEL, contract, fn, args, self.now)
        outcome = execute_block(
            [envelope],
            channel=CHANNEL,
            block_number=self.height,
            block_ts=self.now,
            state=self.state,
            rules=self.rules,
            registry=self.registry,
            signatures=PendingChecks([envelope], {}, set()),
            known_tx_ids=lambda ids: {tx_id for tx_id in ids if tx_id in self.tx_ids},
        )
        self.state.apply(outcome.writes)
        self.tx_ids.add(envelope.tx_id)
        self.height += 1
        self.now += 1000
        return outcome.results[0]

    def query(self, fn: str, **args: Any) -> Any:
        config = self.rules.contract_version("membership", self.state)
        function = self.registry.function("membership", config, fn, "query")
        from tetherai.ledger.contract import QueryContext

        return function.method(QueryContext(self.state, self.height, self.now), **args)


def genesis(
    registry: ContractRegistry,
    orgs: list[OrgMaterial],
    peers: dict[str, Ed25519PrivateKey],
    orderer: Ed25519PrivateKey,
    contracts: dict[str, str] | None = None,
) -> ChannelSim:
    """A channel of ``orgs`` (their admins enrolled) with these peers and one orderer of the
    first org, bootstrapped by the first org's first admin."""
    sim = ChannelSim(registry)
    channel = {
        "name": CHANNEL,
        "orderers": [{"name": f"orderer.{orgs[0].name}", "org": orgs[0].name,
                      "public_key": raw_public(orderer)}],
        "peers": [
            {"name": name, "org": name.rpartition(".")[2], "public_key": raw_public(key)}
            for name, key in peers.items()
        ],
        "contracts": contracts or genesis_versions(),
    }  # fmt: skip
    result = sim.run(
        orgs[0].admins[0],
        "membership",
        "bootstrap",
        {
            "channel": channel,
            "orgs": [{"org": org.name, "ca_cert": org.ca_pem} for org in orgs],
            "participants": [admin.certificate_pem for org in orgs for admin in org.admins],
        },
    )
    assert result.valid, result.message
    return sim
