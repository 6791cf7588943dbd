"""What the ledger asks about members: who signed a tx, which versions run, which nodes count.

:class:`MembershipRules` is the ledger's ``ChannelRules`` (DESIGN.md §3, §4): it reads the
membership namespace (``contracts._membership_state``) the membership contract writes, so each
rule is written once and every past tx is judged by the membership of its time.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tetherai.contracts._membership_state import (
    CHANNEL_KEY,
    GENESIS_VERSION,
    MEMBERSHIP,
    CertificateCache,
    cert_key,
    certificate_record,
    channel_limit,
    invitation_key,
    org_record,
    parse_certificate,
)
from tetherai.contracts.errors import InvalidArgument
from tetherai.crypto.jcs import JSONValue
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Identity, NodeKey, StateReader
from tetherai.ledger.errors import TxInvalid
from tetherai.ledger.transaction import Transaction

__all__ = ["MembershipRules"]


@functools.lru_cache(maxsize=1024)
def _node_key(name: str, public_key: str) -> NodeKey:
    """A node's key from its channel configuration entry (base64 raw Ed25519), decoded once
    per entry: the peer checks the orderer's signature with it for every block."""
    return NodeKey(name, Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)))


class MembershipRules:
    """The ledger's view of membership (``ledger.contract.ChannelRules``)."""

    def __init__(self) -> None:
        self._certificates = CertificateCache()

    def authenticate(self, tx: Transaction, state: StateReader) -> Identity:
        creator = tx.creator
        record = state.get(cert_key(creator.cert_sha256))
        if record is None and state.get(CHANNEL_KEY) is None:
            record = self._genesis_record(tx)
        elif record is None and tx.contract == MEMBERSHIP and tx.fn == "accept_invitation":
            record = self._invited_record(tx, state)
        if not isinstance(record, dict):
            raise TxInvalid(
                f"certificate {creator.cert_sha256[:12]}… of {creator.id}@{creator.org} is not enrolled",
                code="tx.unknown_certificate",
                hint="ask your org admin to enrol your certificate",
            )
        if record["org"] != creator.org or record["id"] != creator.id:
            raise TxInvalid(
                f"certificate {creator.cert_sha256[:12]}… belongs to {record['id']}@{record['org']}, "
                f"not {creator.id}@{creator.org}",
                code="tx.creator_mismatch",
            )
        org = org_record(state, creator.org)
        removed = None if org is None else org.get("removed")
        if isinstance(removed, dict):
            # Removing an org ends what all its certificates can sign, in one write; what they
            # signed before stays valid (each tx is judged by the membership of its time).
            raise TxInvalid(
                f"org {creator.org} was removed from the channel in block {removed['block']}",
                code="tx.org_removed",
            )
        revoked = record.get("revoked")
        if isinstance(revoked, dict):
            raise TxInvalid(
                f"certificate of {creator.id}@{creator.org} was revoked in block {revoked['block']}: "
                f"{revoked['reason']}",
                code="tx.revoked_certificate",
                hint="ask your org admin for a new certificate",
            )
        pem = str(record["cert"])
        identity = self._certificates.parse(pem)
        if identity.role == Role.AUDITOR and not self._auditor_enrolling(tx, state):
            raise TxInvalid(
                f"{creator.id}@{creator.org} is an auditor; auditors only read the ledger",
                code="tx.auditor_cannot_write",
            )
        if not self._certificates.valid_at(pem, tx.ts):
            raise TxInvalid(
                f"certificate of {creator.id}@{creator.org} is not valid at the tx's time",
                code="tx.expired_certificate",
            )
        return Identity(
            creator.org, creator.id, str(identity.role), creator.cert_sha256, identity.public_key
        )

    def _auditor_enrolling(self, tx: Transaction, state: StateReader) -> bool:
        """Auditors only read. Since membership version 2 the one tx an auditor signs is
        accepting their invitation, which enrols the very key it is signed with and writes
        nothing else (version 1 channels replay as they ran)."""
        return (
            tx.contract == MEMBERSHIP
            and tx.fn == "accept_invitation"
            and self.contract_version(MEMBERSHIP, state) not in (None, "1")
        )

    def _genesis_record(self, tx: Transaction) -> dict[str, JSONValue] | None:
        """Before bootstrap, the genesis tx vouches for its signer's certificate itself."""
        if tx.contract != MEMBERSHIP or tx.fn != "bootstrap":
            return None
        participants = tx.args.get("participants")
        if not isinstance(participants, list):
            return None
        for pem in participants:
            try:
                identity = parse_certificate(pem)
            except InvalidArgument:
                continue
            if identity.cert_sha256 == tx.creator.cert_sha256:
                return certificate_record(str(pem), identity, by="genesis", block_ts=tx.ts)
        return None

    def _invited_record(self, tx: Transaction, state: StateReader) -> dict[str, JSONValue] | None:
        """An invited participant's first tx vouches for its own certificate, if invited as such."""
        pem = tx.args.get("certificate")
        try:
            identity = parse_certificate(pem)
        except InvalidArgument:
            return None
        invitation = state.get(invitation_key(identity.org, identity.participant_id))
        if identity.cert_sha256 != tx.creator.cert_sha256 or not isinstance(invitation, dict):
            return None
        return certificate_record(str(pem), identity, by=str(invitation["by"]), block_ts=tx.ts)

    def contract_version(self, contract: str, state: StateReader) -> str | None:
        config = state.get(CHANNEL_KEY)
        if config is None:
            # Before genesis: the genesis tx runs with the version channels have always run
            # it with (every version shares it), so every genesis replays the same.
            return GENESIS_VERSION if contract == MEMBERSHIP else None
        contracts = config.get("contracts") if isinstance(config, dict) else None
        if not isinstance(contracts, dict):
            return None
        version = contracts.get(contract)
        return None if version is None else str(version)

    def orderers(self, state: StateReader) -> Sequence[NodeKey]:
        return self._nodes(state, "orderers")

    def peers(self, state: StateReader) -> Sequence[NodeKey]:
        """The channel's current peers (those removed are in ``retired_peers``)."""
        return self._nodes(state, "peers")

    def retired_peers(self, state: StateReader) -> set[str]:
        """The names of the peers the channel's governance removed (never reused)."""
        config = state.get(CHANNEL_KEY)
        entries = config.get("retired_peers") if isinstance(config, dict) else None
        if not isinstance(entries, list):
            return set()
        return {str(entry["name"]) for entry in entries if isinstance(entry, dict)}

    def _nodes(self, state: StateReader, kind: str) -> list[NodeKey]:
        config = state.get(CHANNEL_KEY)
        entries = config.get(kind) if isinstance(config, dict) else None
        if not isinstance(entries, list):
            return []
        return [
            _node_key(str(entry["name"]), str(entry["public_key"]))
            for entry in entries
            if isinstance(entry, dict)
        ]

    def member_cas(self, state: StateReader) -> dict[str, str]:
        """The current member orgs' CA certificates (PEM), by org: whom a node of this
        channel trusts at the transport (orgs removed are not there)."""
        return {
            str(record["org"]): str(record["ca_cert"])
            for _, record in state.scan("membership/org/")
            if isinstance(record, dict) and record.get("removed") is None
        }

    def known_orgs(self, state: StateReader) -> set[str]:
        """Every org the channel ever had, removed ones too."""
        return {
            str(record["org"])
            for _, record in state.scan("membership/org/")
            if isinstance(record, dict)
        }

    def max_skew_ms(self, state: StateReader) -> int:
        config = state.get(CHANNEL_KEY)
        return channel_limit(config if isinstance(config, dict) else {}, "max_skew_ms")

    def ledger_format(self, state: StateReader) -> int:
        # Channels made before ledger formats were chosen have none in their configuration.
        config = state.get(CHANNEL_KEY)
        value = config.get("ledger_format") if isinstance(config, dict) else None
        return value if type(value) is int else 1
