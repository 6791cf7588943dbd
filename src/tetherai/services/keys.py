"""A person's keys (DESIGN.md §4): a web key the server keeps sealed, any number of CLI/SDK
keys they keep, each enrolled and revoked on its own on the ledger.

The ledger is the record: which certificates a person holds and which are revoked is read
from ``membership.keys``; the service database only adds what the ledger need not know (a
key's name, the sealed web key). Every change is a tx first and a database write after it
succeeded, so a refused tx leaves nothing half-registered.

- :func:`enrol_web_key` makes a web key at the one moment the password is at hand (accepting
  an invitation, setting a password after a reset, the first sign-in after an org admin
  re-keyed the person), and enrols it with the person's own first tx (``accept_invitation``)
  against the invitation their admin recorded.
- :func:`register_key` enrols a key the person holds (``add_key``, signed with their web key,
  carrying the new key's proof of possession).
- :func:`revoke_key` revokes one of them; :func:`list_keys` lists them all.

The writes are coroutines: their checks and database work run in a worker thread, the wait
for the block holds none (``Runtime.act_async``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from tetherai import errors
from tetherai.crypto.errors import CryptoError
from tetherai.crypto.jcs import JSONValue
from tetherai.crypto.signature import (
    Algorithm,
    algorithm_of,
    generate_private_key,
    load_public_key_pem,
    public_key_fingerprint,
)
from tetherai.errors import TetherError
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import (
    certificate_sha256,
    certificate_to_pem,
    load_certificate_pem,
)
from tetherai.identity.possession import check_possession
from tetherai.ledger.executor import TxResult
from tetherai.services.auth import UserInfo
from tetherai.services.custody import KeyCustody
from tetherai.services.txs import Signer

__all__ = [
    "KeyInfo",
    "KeyRefused",
    "LedgerPort",
    "NoSuchKey",
    "WebKey",
    "enrol_web_key",
    "list_keys",
    "pending_invitation",
    "register_key",
    "revoke_key",
]


class KeyRefused(TetherError):
    """A key request the service refuses before any tx.

    KeyRefused          keys.error
    ├── BadKey          keys.bad_key     422  not a PEM Ed25519/P-256 key, or a bad name
    ├── KeyExists       keys.exists      409  registered already
    ├── NoSuchKey       keys.not_found   404  not a key of this person
    └── WebKey          keys.web_key     409  the web key is replaced by a reset, not revoked
    """

    code = "keys.error"


class BadKey(errors.InvalidInput, KeyRefused):
    code = "keys.bad_key"
    hint = "Export the public key as PEM (-----BEGIN PUBLIC KEY-----)."


class KeyExists(errors.Conflict, KeyRefused):
    code = "keys.exists"
    hint = "Generate a new key pair for a new registration."


class NoSuchKey(errors.NotFound, KeyRefused):
    code = "keys.not_found"
    hint = "tether key list shows your keys."


class WebKey(errors.Conflict, KeyRefused):
    code = "keys.web_key"
    hint = "Ask your org admin for a password reset if it may be compromised."


class LedgerPort(Protocol):
    """What the key use cases need of the node: sign-and-wait (holding no thread while it
    waits), queries, the clock, the CA."""

    @property
    def ca(self) -> CertificateAuthority: ...

    async def act_async(
        self, signer: Signer, contract: str, fn: str, args: Mapping[str, Any]
    ) -> TxResult: ...

    def query(self, contract: str, fn: str, args: Mapping[str, JSONValue]) -> JSONValue: ...

    def now_ms(self) -> int: ...


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """One of a person's certificates as the ledger records it, with its name here."""

    cert_sha256: str
    kind: str
    """``web`` (sealed by this server), ``cli`` (registered here, held by the person) or
    ``other`` (enrolled otherwise: set-up, another server)."""
    name: str
    algorithm: str
    fingerprint: str
    enrolled_at: int
    enrolled_by: str
    via: str
    after: str | None
    revoked: dict[str, JSONValue] | None

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "cert_sha256": self.cert_sha256,
            "kind": self.kind,
            "name": self.name,
            "algorithm": self.algorithm,
            "fingerprint": self.fingerprint,
            "enrolled_at": self.enrolled_at,
            "enrolled_by": self.enrolled_by,
            "via": self.via,
            "after": self.after,
            "revoked": self.revoked,
        }


def _now(ledger: LedgerPort) -> datetime:
    return datetime.fromtimestamp(ledger.now_ms() / 1000, tz=UTC)


def pending_invitation(ledger: LedgerPort, user: UserInfo) -> bool:
    """Whether the ledger holds an invitation for ``user`` to enrol a key of their own."""
    found = ledger.query("membership", "invitation", {"org": user.org, "id": user.username})
    return isinstance(found, dict) and found.get("role") == user.role.value


async def enrol_web_key(
    ledger: LedgerPort, custody: KeyCustody, user: UserInfo, password: str
) -> str:
    """Make the person a web key, have their org's CA certify it, enrol it with the person's
    own ``accept_invitation`` (signed by the new key), then seal it under ``password``.

    Returns the enrolling tx's id.

    Raises:
        TxRefused: the ledger holds no invitation for them (nothing is stored).
        CustodyError: the password changed meanwhile (the key is enrolled but not kept: an
            org admin re-keys the person).
    """

    def certified() -> tuple[Signer, str]:
        key = generate_private_key(Algorithm.ED25519)
        certificate = ledger.ca.issue(
            participant_id=user.username,
            role=user.role,
            public_key=key.public_key(),
            now=_now(ledger),
        )
        signer = Signer(user.org, user.username, certificate_sha256(certificate), key)
        return signer, certificate_to_pem(certificate).decode()

    signer, pem = await asyncio.to_thread(certified)
    result = await ledger.act_async(signer, "membership", "accept_invitation", {"certificate": pem})
    await asyncio.to_thread(
        custody.store_key, user.id, signer.private_key, password=password, certificate_pem=pem
    )
    return result.tx_id


async def register_key(
    ledger: LedgerPort,
    custody: KeyCustody,
    signer: Signer,
    user: UserInfo,
    *,
    name: str,
    public_key_pem: str,
    proof: str,
) -> tuple[KeyInfo, str, str]:
    """Enrol a public key the person holds, proved by ``proof`` (the new key's signature of
    the possession statement); the tx is signed with ``signer``, the person's web key.

    Returns the key, its certificate (PEM) and the enrolling tx's id.

    Raises:
        KeyRefused: not a PEM Ed25519/P-256 key or a bad name (``keys.bad_key``), already
            registered here (``keys.exists``).
        PossessionError: the proof is not the key's signature for this person.
        TxRefused: the ledger refused it (an auditor, a key enrolled before); nothing is kept.
    """

    def certified() -> tuple[str, str]:
        try:
            public_key = load_public_key_pem(public_key_pem.encode("ascii"))
        except (CryptoError, UnicodeEncodeError) as error:
            raise BadKey("not a PEM Ed25519 or P-256 public key") from error
        if not 1 <= len(name.strip()) <= 100:
            raise BadKey(
                "a key's name must be 1 to 100 characters", hint="Name it after the machine."
            )
        if custody.registered.public_key_registered(public_key_fingerprint(public_key)):
            raise KeyExists("this public key is already registered")
        check_possession(public_key, user.org, user.username, proof)
        certificate = ledger.ca.issue(
            participant_id=user.username, role=user.role, public_key=public_key, now=_now(ledger)
        )
        return certificate_to_pem(certificate).decode(), certificate_sha256(certificate)

    def kept() -> KeyInfo:
        custody.registered.register_public_key(
            user.id, public_key_pem, name=name.strip(), certificate_pem=pem
        )
        (found,) = [k for k in list_keys(ledger, custody, user) if k.cert_sha256 == sha]
        return found

    pem, sha = await asyncio.to_thread(certified)
    args = {"certificate": pem, "proof": proof}
    result = await ledger.act_async(signer, "membership", "add_key", args)
    return await asyncio.to_thread(kept), pem, result.tx_id


def list_keys(ledger: LedgerPort, custody: KeyCustody, user: UserInfo) -> list[KeyInfo]:
    """Every key ever enrolled for the person, oldest first, as the ledger records them."""
    records = ledger.query("membership", "keys", {"org": user.org, "id": user.username})
    names = custody.key_names(user.id)
    found = []
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict):
            continue
        sha = str(record["cert_sha256"])
        certificate = load_certificate_pem(str(record["cert"]).encode())
        public_key = certificate.public_key()
        kind, name = names.get(sha, ("other", ""))
        revoked = record.get("revoked")
        after = record.get("after")
        enrolled_at = record.get("enrolled_at")
        found.append(
            KeyInfo(
                cert_sha256=sha,
                kind=kind,
                name=name,
                algorithm=_algorithm(public_key),
                fingerprint=public_key_fingerprint(public_key),  # type: ignore[arg-type]
                enrolled_at=enrolled_at if isinstance(enrolled_at, int) else 0,
                enrolled_by=str(record.get("enrolled_by", "")),
                via=str(record.get("via", "")),
                after=None if after is None else str(after),
                revoked=revoked if isinstance(revoked, dict) else None,
            )
        )
    return found


def _algorithm(public_key: object) -> str:
    try:
        return algorithm_of(public_key).value  # type: ignore[arg-type]
    except CryptoError:
        return "unknown"


async def revoke_key(
    ledger: LedgerPort,
    custody: KeyCustody,
    signer: Signer,
    user: UserInfo,
    cert_sha256: str,
    reason: str,
) -> str:
    """Revoke one of the person's own keys (not their web key: a password reset replaces it).

    Returns the revoking tx's id.

    Raises:
        KeyRefused: no such key of theirs (``keys.not_found``), or it is their web key
            (``keys.web_key``).
        TxRefused: the ledger refused (already revoked, their last key, an auditor).
    """

    def check() -> None:
        mine = {k.cert_sha256: k for k in list_keys(ledger, custody, user)}
        key = mine.get(cert_sha256)
        if key is None:
            raise NoSuchKey(f"you have no key {cert_sha256[:12]}")
        if key.kind == "web":
            raise WebKey("this is your web key: the server replaces it when your password is reset")

    await asyncio.to_thread(check)
    args = {"cert_sha256": cert_sha256, "reason": reason}
    result = await ledger.act_async(signer, "membership", "revoke", args)
    await asyncio.to_thread(custody.retire_certificate, cert_sha256)
    return result.tx_id
