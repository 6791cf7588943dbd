"""Errors of the crypto layer: canonical JSON, digests and signatures (DESIGN.md §3).

    TetherError
    └── CryptoError                     crypto.error                  (500, exit 3)
        ├── CanonicalizationError       crypto.not_canonicalizable    InvalidInput
        │   └── NotCanonicalError       crypto.not_canonical          InvalidInput
        ├── SignatureError              crypto.bad_signature          IntegrityFailure
        └── UnsupportedKeyError         crypto.unsupported_key        InvalidInput

Foreign exceptions (``rfc8785``, ``json``, ``cryptography``) are translated into these in the
module that calls the library, chained with ``from``.
"""

from __future__ import annotations

from tetherai.errors import IntegrityFailure, InvalidInput, TetherError

__all__ = [
    "CanonicalizationError",
    "CryptoError",
    "NotCanonicalError",
    "SignatureError",
    "UnsupportedKeyError",
]


class CryptoError(TetherError):
    """Base of the crypto layer's errors."""

    code = "crypto.error"
    hint = "This is a cryptographic failure; check the inputs and keys involved."


class CanonicalizationError(InvalidInput, CryptoError):
    """A value cannot be serialized with RFC 8785 (JCS)."""

    code = "crypto.not_canonicalizable"
    hint = (
        "Only JSON values can be canonicalized: null, booleans, strings without lone "
        "surrogates, integers within ±(2**53-1), finite floats, lists and objects with "
        "string keys."
    )


class NotCanonicalError(CanonicalizationError):
    """Bytes are not exactly the RFC 8785 canonical form of the JSON value they encode."""

    code = "crypto.not_canonical"
    hint = (
        "Signed and hashed structures must be sent in their RFC 8785 (JCS) form: UTF-8, "
        "no whitespace, keys sorted, no duplicate keys; serialize them with canonicalize()."
    )


class SignatureError(IntegrityFailure, CryptoError):
    """A signature does not verify (wrong key, altered data, or a malformed signature)."""

    code = "crypto.bad_signature"
    hint = (
        "The data or the signature was altered, or it was signed with another key; "
        "check that the right public key is used."
    )


class UnsupportedKeyError(InvalidInput, CryptoError):
    """A key is not of a supported type (Ed25519 or ECDSA P-256) or cannot be read."""

    code = "crypto.unsupported_key"
    hint = "Use an Ed25519 or an ECDSA P-256 key, PEM-encoded."
