"""Participant certificates: what they say and whether a CA issued them (DESIGN.md §4).

A participant's X.509 certificate is issued by its org's CA and carries, in its subject, the
org (``O``), the participant id (``CN``) and the role (``OU``, like Fabric's NodeOUs). The
membership contract parses certificates with :func:`parse_participant_certificate` and checks
them with :func:`verify_issued_by` at the time of each tx; the ledger refers to a
certificate by :func:`certificate_sha256`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509.oid import NameOID

from tetherai.crypto.errors import UnsupportedKeyError
from tetherai.crypto.signature import PublicKey, algorithm_of
from tetherai.identity._x509 import extension, is_ca, require_aware, single_attribute
from tetherai.identity.errors import CertificateError, IdentityError
from tetherai.identity.roles import Role
from tetherai.names import name_problem

__all__ = [
    "ParticipantIdentity",
    "certificate_sha256",
    "certificate_to_pem",
    "load_certificate_pem",
    "parse_participant_certificate",
    "validate_name",
    "verify_issued_by",
    "verify_org_ca",
]


@dataclass(frozen=True)
class ParticipantIdentity:
    """Who a participant certificate names, with its key and validity period (UTC)."""

    org: str
    participant_id: str
    role: Role
    cert_sha256: str
    public_key: PublicKey
    not_before: datetime
    not_after: datetime


def validate_name(value: str, what: str) -> str:
    """Check an org or participant id by the one name rule (:mod:`tetherai.names`).

    Args:
        value: the name to check.
        what: what it names, for the message (``"org"``, ``"participant id"``).

    Returns:
        ``value``, unchanged.

    Raises:
        IdentityError: (code ``identity.bad_name``) the name breaks the rule.
    """
    problem = name_problem(value, what)
    if problem is None:
        return value
    raise IdentityError(
        problem,
        code="identity.bad_name",
        hint=f"Choose another {what}, such as 'Org1' or 'alice'.",
        details={"value": str(value), "what": what},
    )


def certificate_sha256(certificate: x509.Certificate) -> str:
    """Return the lowercase hex SHA-256 of the certificate's DER encoding."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def certificate_to_pem(certificate: x509.Certificate) -> bytes:
    """Return the certificate PEM-encoded (``-----BEGIN CERTIFICATE-----``)."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def load_certificate_pem(data: bytes) -> x509.Certificate:
    """Load a PEM certificate (the first one, if ``data`` holds several).

    Raises:
        CertificateError: ``data`` is not a PEM X.509 certificate.
    """
    try:
        return x509.load_pem_x509_certificate(data)
    except (ValueError, TypeError) as error:
        raise CertificateError(
            f"not a PEM X.509 certificate: {error}",
            hint="A certificate file starts with '-----BEGIN CERTIFICATE-----'.",
        ) from error


def parse_participant_certificate(certificate: x509.Certificate) -> ParticipantIdentity:
    """Read the participant a certificate names (subject ``O``, ``CN``, ``OU``) and its key.

    This does not check who issued the certificate nor when it is valid: see
    :func:`verify_issued_by`.

    Raises:
        CertificateError: ``O``, ``CN`` or ``OU`` is missing or repeated, the org or id is not
            a valid name, the role is unknown, or the key is neither Ed25519 nor P-256.
    """
    subject = certificate.subject
    org = single_attribute(subject, NameOID.ORGANIZATION_NAME, "organization (O)")
    participant_id = single_attribute(subject, NameOID.COMMON_NAME, "participant id (CN)")
    role_value = single_attribute(subject, NameOID.ORGANIZATIONAL_UNIT_NAME, "role (OU)")
    try:
        validate_name(org, "org")
        validate_name(participant_id, "participant id")
    except IdentityError as error:
        raise CertificateError(f"certificate subject: {error.message}") from error
    try:
        role = Role(role_value)
    except ValueError as error:
        known = ", ".join(role.value for role in Role)
        raise CertificateError(
            f"certificate of {participant_id}@{org} has unknown role {role_value!r} (OU); "
            f"known roles: {known}"
        ) from error
    return ParticipantIdentity(
        org=org,
        participant_id=participant_id,
        role=role,
        cert_sha256=certificate_sha256(certificate),
        public_key=_supported_public_key(certificate),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def verify_issued_by(
    certificate: x509.Certificate, ca_certificate: x509.Certificate, *, at: datetime
) -> None:
    """Check that ``ca_certificate`` issued ``certificate`` and both are valid at ``at``.

    Checks, in order: the issuer name is the CA's subject; the CA certificate is a CA
    (BasicConstraints ``ca=True``, and ``keyCertSign`` if it has a KeyUsage); the certificate
    itself is not a CA; the CA's signature over it; both validity periods contain ``at``.

    Args:
        certificate: the participant's certificate.
        ca_certificate: the certificate of the org's CA.
        at: the time to judge validity at (a tx's time, for the verifier); timezone-aware.

    Raises:
        CertificateError: one of the checks failed; the message says which.
        ValueError: ``at`` is a naive datetime.
    """
    require_aware(at, "at")
    name = certificate.subject.rfc4514_string()
    ca_name = ca_certificate.subject.rfc4514_string()
    if certificate.issuer != ca_certificate.subject:
        raise CertificateError(
            f"certificate {name} was issued by {certificate.issuer.rfc4514_string()}, "
            f"not by the CA {ca_name}",
            details={"issuer": certificate.issuer.rfc4514_string(), "ca": ca_name},
        )
    if not is_ca(ca_certificate):
        raise CertificateError(f"{ca_name} is not a CA certificate (BasicConstraints ca=True)")
    key_usage = extension(ca_certificate, x509.KeyUsage)
    if key_usage is not None and not key_usage.key_cert_sign:
        raise CertificateError(f"CA certificate {ca_name} may not sign certificates (KeyUsage)")
    if is_ca(certificate):
        raise CertificateError(
            f"{name} is a CA certificate, not a participant's (BasicConstraints ca=True)"
        )
    try:
        certificate.verify_directly_issued_by(ca_certificate)
    except InvalidSignature as error:
        raise CertificateError(
            f"the signature on certificate {name} does not verify with the key of CA {ca_name}",
            hint="The certificate was altered or issued by another CA with the same name.",
        ) from error
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise CertificateError(
            f"cannot verify the signature on certificate {name}: {error}"
        ) from error
    for checked, what in ((ca_certificate, "CA certificate"), (certificate, "certificate")):
        checked_name = checked.subject.rfc4514_string()
        not_before, not_after = checked.not_valid_before_utc, checked.not_valid_after_utc
        period = {"not_before": not_before.isoformat(), "not_after": not_after.isoformat()}
        if at < not_before:
            raise CertificateError(
                f"{what} {checked_name} is not yet valid at {at.isoformat()} "
                f"(valid from {not_before.isoformat()})",
                details={"at": at.isoformat(), **period},
            )
        if at > not_after:
            raise CertificateError(
                f"{what} {checked_name} expired at {not_after.isoformat()} "
                f"(checked at {at.isoformat()})",
                hint="Issue a new certificate for the participant.",
                details={"at": at.isoformat(), **period},
            )


def verify_org_ca(certificate: x509.Certificate, org: str, *, at: datetime) -> None:
    """Check that ``certificate`` is a CA certificate of ``org`` valid at ``at``.

    That is: self-issued and signed by its own key, a CA (BasicConstraints ``ca=True`` and, if
    it has a KeyUsage, ``keyCertSign``), with exactly one ``O`` in its subject, equal to
    ``org`` (so a CA can never speak for another org), valid at ``at``.

    Raises:
        CertificateError: one of the checks failed; the message says which.
        ValueError: ``at`` is a naive datetime.
    """
    require_aware(at, "at")
    name = certificate.subject.rfc4514_string()
    if certificate.issuer != certificate.subject:
        raise CertificateError(f"{name} is not self-signed: an org's CA certificate must be")
    if not is_ca(certificate):
        raise CertificateError(f"{name} is not a CA certificate (BasicConstraints ca=True)")
    key_usage = extension(certificate, x509.KeyUsage)
    if key_usage is not None and not key_usage.key_cert_sign:
        raise CertificateError(f"CA certificate {name} may not sign certificates (KeyUsage)")
    subject_org = single_attribute(certificate.subject, NameOID.ORGANIZATION_NAME, "org (O)")
    if subject_org != org:
        raise CertificateError(
            f"the CA certificate is {subject_org}'s (O={subject_org}), not {org}'s",
            hint=f"Give the CA certificate of {org}, whose subject has O={org}.",
        )
    try:
        certificate.verify_directly_issued_by(certificate)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise CertificateError(
            f"the self-signature of CA certificate {name} does not verify"
        ) from error
    if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
        raise CertificateError(
            f"CA certificate {name} is not valid at {at.isoformat()} (valid "
            f"{certificate.not_valid_before_utc.isoformat()} to "
            f"{certificate.not_valid_after_utc.isoformat()})"
        )


def _supported_public_key(certificate: x509.Certificate) -> PublicKey:
    try:
        key = certificate.public_key()
        if isinstance(key, Ed25519PublicKey | ec.EllipticCurvePublicKey):
            algorithm_of(key)  # refuses curves other than P-256
            return key
        raise UnsupportedKeyError(
            f"unsupported key type {type(key).__name__}: only Ed25519 and ECDSA P-256 are accepted"
        )
    except UnsupportedKeyError as error:
        raise CertificateError(f"certificate key refused: {error.message}") from error
    except (ValueError, UnsupportedAlgorithm) as error:
        raise CertificateError(f"certificate key cannot be read: {error}") from error
