"""Small X.509 helpers shared by the identity modules (private; DESIGN.md §4)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from tetherai.identity.errors import CertificateError

_Extension = TypeVar("_Extension", bound=x509.ExtensionType)


def extension(certificate: x509.Certificate, kind: type[_Extension]) -> _Extension | None:
    """Return the certificate's extension of type ``kind``, or ``None`` if it has none.

    Raises:
        CertificateError: the certificate's extensions cannot be parsed.
    """
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
    except ValueError as error:
        raise CertificateError(f"certificate has malformed extensions: {error}") from error


def is_ca(certificate: x509.Certificate) -> bool:
    """Tell whether the certificate says it is a CA (BasicConstraints ``ca=True``)."""
    constraints = extension(certificate, x509.BasicConstraints)
    return constraints is not None and constraints.ca


def single_attribute(subject: x509.Name, oid: x509.ObjectIdentifier, what: str) -> str:
    """Return the one value of ``oid`` in ``subject``.

    Raises:
        CertificateError: the attribute is missing, repeated, or not a string.
    """
    attributes = subject.get_attributes_for_oid(oid)
    if len(attributes) != 1:
        problem = "no" if not attributes else f"{len(attributes)} values for"
        raise CertificateError(
            f"certificate subject {subject.rfc4514_string()!r} has {problem} {what}; "
            "a participant certificate has exactly one O, one CN and one OU"
        )
    value = attributes[0].value
    if not isinstance(value, str):  # pragma: no cover - cryptography decodes string types
        raise CertificateError(f"certificate subject {what} is not a string")
    return value


def public_key_der(public_key: CertificatePublicKeyTypes) -> bytes:
    """Return the DER SubjectPublicKeyInfo of any certificate key, to compare keys."""
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def require_aware(moment: datetime, what: str) -> None:
    """Refuse a naive datetime: certificate times are absolute (UTC)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")
