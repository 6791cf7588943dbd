"""DSSE envelopes (Dead Simple Signing Envelope, secure-systems-lab/dsse protocol v1.0.0).

A DSSE signature covers the *pre-authentication encoding* of a payload and its type::

    PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body

with lengths in ASCII decimal bytes, so a signature over one payload type can never be taken
for one over another. in-toto statements travel this way (payload type
``application/vnd.in-toto+json``), inside Sigstore bundles among others.
"""

from __future__ import annotations

import base64

from tetherai.crypto.jcs import JSONValue
from tetherai.crypto.signature import PrivateKey, sign

__all__ = ["IN_TOTO_PAYLOAD_TYPE", "envelope", "pae"]

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """The bytes a DSSE signature signs."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def envelope(payload: bytes, payload_type: str, key: PrivateKey) -> dict[str, JSONValue]:
    """A DSSE envelope of ``payload`` with one signature by ``key``.

    ECDSA P-256 signatures are DER over SHA-256 (as Sigstore's verifiers expect), Ed25519 ones
    the raw 64 bytes. The key id is left empty: Sigstore bundles name the key in their
    verification material instead.

    Raises:
        UnsupportedKeyError: the key is neither Ed25519 nor P-256.
    """
    signature = sign(key, pae(payload_type, payload))
    return {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": payload_type,
        "signatures": [{"sig": base64.b64encode(signature).decode(), "keyid": ""}],
    }
