"""A certificate offered with a key must certify that key (web keys and registered keys)."""

from __future__ import annotations

from tetherai.crypto.signature import public_key_to_pem
from tetherai.identity.certificate import certificate_sha256, load_certificate_pem
from tetherai.identity.errors import CertificateError
from tetherai.services.custody.errors import CustodyError

__all__ = ["check_certificate"]


def check_certificate(certificate_pem: str, public_key_pem: bytes) -> str:
    """The certificate's SHA-256, after checking it certifies ``public_key_pem``."""
    try:
        certificate = load_certificate_pem(certificate_pem.encode("ascii"))
    except (CertificateError, UnicodeEncodeError) as error:
        raise CustodyError(
            "the certificate is not a PEM X.509 certificate", code="custody.bad_key"
        ) from error
    certified = public_key_to_pem(certificate.public_key())  # type: ignore[arg-type]
    if certified != public_key_pem:
        raise CustodyError(
            "the certificate is for another key than the one given", code="custody.bad_key"
        )
    return certificate_sha256(certificate)
