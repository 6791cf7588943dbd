"""A model-signing statement signed as the OpenSSF ``model_signing`` tool signs one.

The tool's signature file (``model.sig``) is a Sigstore bundle v0.3 whose DSSE envelope holds the
in-toto statement of :mod:`tetherai.storage.openssf`, signed with a key the consumer knows::

    {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
     "verificationMaterial": {"publicKey": {"hint": <SHA-256 of the key's PEM>},
                              "tlogEntries": []},
     "dsseEnvelope": {"payload": <base64 statement>,
                      "payloadType": "application/vnd.in-toto+json",
                      "signatures": [{"sig": <base64 DER ECDSA>, "keyid": ""}]}}

Consumers check it with the tool itself: ``model_signing verify key MODEL --signature model.sig
--public_key signer.pub``, or, when the bundle carries the signer's X.509 certificate instead of a
key hint, ``model_signing verify certificate MODEL --signature model.sig --certificate_chain
org-ca.pem``. model_signing 1.1.1 verifies ECDSA signatures only (P-256, P-384, P-521), so the
signer's key must be ECDSA P-256 here; an Ed25519 key is refused with what to do instead.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tetherai.crypto.dsse import IN_TOTO_PAYLOAD_TYPE, envelope
from tetherai.crypto.jcs import JSONValue, canonicalize
from tetherai.crypto.signature import PrivateKey, algorithm_of, public_key_to_pem
from tetherai.storage.errors import BadInput

__all__ = ["SIGSTORE_BUNDLE_MEDIA_TYPE", "key_hint", "signed_bundle"]

SIGSTORE_BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def key_hint(key: PrivateKey) -> str:
    """What model_signing compares with the public key it is given: SHA-256 of its PEM."""
    return hashlib.sha256(public_key_to_pem(key.public_key())).hexdigest()


def signed_bundle(
    statement: dict[str, JSONValue],
    key: PrivateKey,
    *,
    certificate: x509.Certificate | None = None,
) -> bytes:
    """Sign ``statement`` with ``key`` into a Sigstore bundle that model_signing verifies.

    Args:
        statement: a model-signing v1.0 in-toto statement.
        key: the signer's ECDSA P-256 private key.
        certificate: the signer's certificate for ``key``; the bundle then carries it (for
            ``model_signing verify certificate`` against its issuer) instead of a key hint
            (for ``model_signing verify key``). Its KeyUsage must allow digital signatures.

    Returns:
        The bundle as JSON bytes (the file a consumer gets next to the model).

    Raises:
        BadInput: the key is not ECDSA P-256, or the certificate is not the key's.
    """
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise BadInput(
            f"model_signing verifies only ECDSA signatures; this key is {algorithm_of(key).value}",
            hint="Sign with an ECDSA P-256 key: tether key create --algorithm ecdsa-p256 "
            "(and register it), or pass --key with such a key file.",
        )
    material: dict[str, JSONValue]
    if certificate is None:
        material = {"publicKey": {"hint": key_hint(key)}, "tlogEntries": []}
    else:
        if certificate.public_key() != key.public_key():
            raise BadInput("the certificate given is not the signing key's certificate")
        der = certificate.public_bytes(serialization.Encoding.DER)
        material = {
            "x509CertificateChain": {
                "certificates": [{"rawBytes": base64.b64encode(der).decode()}]
            },
            "tlogEntries": [],
        }
    bundle: dict[str, JSONValue] = {
        "mediaType": SIGSTORE_BUNDLE_MEDIA_TYPE,
        "verificationMaterial": material,
        "dsseEnvelope": envelope(canonicalize(statement), IN_TOTO_PAYLOAD_TYPE, key),
    }
    return json.dumps(bundle, indent=2).encode() + b"\n"
