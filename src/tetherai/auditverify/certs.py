"""Participant certificates: bound to a tx by SHA-256, issued by their org's CA, in force."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

__all__ = [
    "CertFailure",
    "Participant",
    "load_pem",
    "participant",
    "sha256_of",
    "verify_tx_signature",
]


class CertFailure(ValueError):
    """A certificate is malformed, not issued by the right CA, or not in force."""


@dataclass(frozen=True)
class Participant:
    org: str
    id: str
    role: str
    certificate: x509.Certificate


def load_pem(pem: str, what: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise CertFailure(f"{what} is not a PEM certificate") from error


def sha256_of(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def _one(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if len(values) == 1 else ""


def org_of(certificate: x509.Certificate) -> str:
    return _one(certificate.subject, NameOID.ORGANIZATION_NAME)


def participant(
    certificate: x509.Certificate, roots: dict[str, x509.Certificate], at_ms: int
) -> Participant:
    """The participant a certificate names, once its issuer and validity are checked."""
    org = org_of(certificate)
    who = f"{_one(certificate.subject, NameOID.COMMON_NAME)}@{org}"
    root = roots.get(org)
    if root is None:
        raise CertFailure(f"no trusted CA certificate for org {org!r} (certificate of {who})")
    try:
        certificate.verify_directly_issued_by(root)
    except (InvalidSignature, ValueError, TypeError) as error:
        raise CertFailure(f"the certificate of {who} is not issued by the CA of {org}") from error
    when = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
    if not certificate.not_valid_before_utc <= when <= certificate.not_valid_after_utc:
        raise CertFailure(f"the certificate of {who} was not in force at {when:%Y-%m-%d %H:%M} UTC")
    return Participant(
        org,
        _one(certificate.subject, NameOID.COMMON_NAME),
        _one(certificate.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
        certificate,
    )


def verify_tx_signature(certificate: x509.Certificate, signature: bytes, data: bytes) -> bool:
    """Ed25519, or ECDSA P-256 with SHA-256 (DER signature), as tetherai signs txs."""
    key = certificate.public_key()
    try:
        if isinstance(key, Ed25519PublicKey):
            key.verify(signature, data)
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True
