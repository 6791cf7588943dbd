"""Signatures: Ed25519 and ECDSA P-256 keys, signing and verifying (DESIGN.md §3, §4).

Participants sign the canonical bytes of their txs; orderers and peers sign blocks and
checkpoints. Two algorithms are supported, as for org CAs: Ed25519 and ECDSA over P-256 with
SHA-256 (DER-encoded signatures). Exceptions of ``cryptography`` are translated here.
"""

from __future__ import annotations

import enum
import hashlib
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tetherai.crypto._ed25519 import ed25519_valid
from tetherai.crypto.errors import SignatureError, UnsupportedKeyError

__all__ = [
    "Algorithm",
    "PrivateKey",
    "PublicKey",
    "algorithm_of",
    "generate_private_key",
    "load_public_key_pem",
    "public_key_fingerprint",
    "public_key_to_pem",
    "sign",
    "verify",
]

PrivateKey: TypeAlias = Ed25519PrivateKey | ec.EllipticCurvePrivateKey
"""A private key of a supported algorithm (check with :func:`algorithm_of`)."""
PublicKey: TypeAlias = Ed25519PublicKey | ec.EllipticCurvePublicKey
"""A public key of a supported algorithm (check with :func:`algorithm_of`)."""


class Algorithm(enum.StrEnum):
    """The signature algorithms tetherai accepts."""

    ED25519 = "ed25519"
    ECDSA_P256 = "ecdsa-p256"


def generate_private_key(algorithm: Algorithm = Algorithm.ED25519) -> PrivateKey:
    """Generate a new private key.

    Args:
        algorithm: which kind of key.

    Returns:
        A fresh key from the operating system's random source.
    """
    if algorithm is Algorithm.ED25519:
        return Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def algorithm_of(key: PrivateKey | PublicKey) -> Algorithm:
    """Return the algorithm of a private or public key.

    Raises:
        UnsupportedKeyError: the key is neither Ed25519 nor ECDSA on P-256 (RSA, DSA, another
            curve, not a key at all).
    """
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return Algorithm.ED25519
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return Algorithm.ECDSA_P256
        raise UnsupportedKeyError(
            f"unsupported elliptic curve {key.curve.name}: only P-256 (secp256r1) is accepted",
            details={"curve": key.curve.name},
        )
    raise UnsupportedKeyError(
        f"unsupported key type {type(key).__name__}: only Ed25519 and ECDSA P-256 are accepted",
        details={"key_type": type(key).__name__},
    )


def sign(private_key: PrivateKey, data: bytes) -> bytes:
    """Sign ``data``.

    Args:
        private_key: an Ed25519 or P-256 private key.
        data: the exact bytes to sign (for a tx, its canonical JSON).

    Returns:
        The signature: 64 raw bytes for Ed25519; DER-encoded ``(r, s)`` over SHA-256 for ECDSA.

    Raises:
        UnsupportedKeyError: the key is of another type.
    """
    algorithm_of(private_key)  # refuses RSA, other curves, ...
    if isinstance(private_key, Ed25519PrivateKey):
        return private_key.sign(data)
    return private_key.sign(data, ec.ECDSA(hashes.SHA256()))


def verify(public_key: PublicKey, signature: bytes, data: bytes) -> None:
    """Check that ``signature`` is ``public_key``'s signature over ``data``.

    Args:
        public_key: the signer's Ed25519 or P-256 public key.
        signature: as made by :func:`sign`.
        data: the bytes that were signed.

    Raises:
        SignatureError: the signature does not verify (other key, altered data or signature,
            a malformed signature).
        UnsupportedKeyError: the key is of another type.
    """
    if isinstance(public_key, Ed25519PublicKey):  # the common case: one type check, not two
        valid = ed25519_valid(
            public_key.public_bytes(Encoding.Raw, PublicFormat.Raw), signature, data
        )
    else:
        algorithm_of(public_key)  # refuses RSA, other curves, ...
        try:
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            valid = True
        except (InvalidSignature, ValueError, TypeError):
            valid = False
    if not valid:
        algorithm = algorithm_of(public_key)
        raise SignatureError(
            f"invalid {algorithm} signature for key {public_key_fingerprint(public_key)[:16]}",
            details={
                "algorithm": str(algorithm),
                "public_key_fingerprint": public_key_fingerprint(public_key),
            },
        )


def public_key_fingerprint(public_key: PublicKey) -> str:
    """Return the lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def public_key_to_pem(public_key: PublicKey) -> bytes:
    """Return the key as a PEM SubjectPublicKeyInfo (``-----BEGIN PUBLIC KEY-----``)."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key_pem(data: bytes) -> PublicKey:
    """Load a PEM SubjectPublicKeyInfo public key.

    Args:
        data: PEM bytes as written by :func:`public_key_to_pem`.

    Returns:
        The Ed25519 or P-256 public key.

    Raises:
        UnsupportedKeyError: ``data`` is not a PEM public key, or the key is of another type.
    """
    try:
        key = serialization.load_pem_public_key(data)
    except UnsupportedAlgorithm as error:
        raise UnsupportedKeyError(
            f"unsupported public key algorithm: {error}; only Ed25519 and ECDSA P-256 are accepted"
        ) from error
    except ValueError as error:
        raise UnsupportedKeyError(
            "not a PEM public key (expected '-----BEGIN PUBLIC KEY-----')"
        ) from error
    if not isinstance(key, Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise UnsupportedKeyError(
            f"unsupported public key type {type(key).__name__}: "
            "only Ed25519 and ECDSA P-256 are accepted",
            details={"key_type": type(key).__name__},
        )
    algorithm_of(key)  # refuses curves other than P-256
    return key
