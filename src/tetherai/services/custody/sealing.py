"""The sealed-key formats: a web user's ledger key sealed at rest, wrapped per browser session.

DESIGN.md §3 ("a key the server keeps for a web user, encrypted at rest"): a copy of
the service database alone must not let anyone sign.

**Sealing.** A key-encryption key (KEK) is derived from the user's password with Argon2id and a
random salt, then mixed with the server secret: ``KEK = HMAC-SHA256(secret, label || Argon2id(
password, salt))``. The private key (PKCS#8 DER) is encrypted with AES-256-GCM under the KEK;
the associated data binds the blob's header and the user id, so a blob copied to another user's
row does not open. Without the password *and* the server secret nothing opens, and a wrong one
of them fails the same way (:class:`UnsealFailed` never says which).

Sealed blob, version 1 (integers big-endian)::

    magic "TTSK" | version u8 = 1 | kdf u8 = 1 (argon2id + HMAC-SHA256 with the server secret)
    | time_cost u32 | memory_cost u32 (KiB) | parallelism u8 | salt_len u8 | salt
    | nonce (12) | AES-256-GCM ciphertext and tag

**Session wrapping.** At login the server unseals the key once and re-encrypts it under a random
per-session key that it hands to the browser (a cookie) and does not keep; the database keeps
only the wrapped blob. Neither the database nor the server's memory after the request can sign:
each request that signs brings the session key back. Wrapped blob, version 1::

    magic "TTWK" | version u8 = 1 | nonce (12) | AES-256-GCM ciphertext and tag
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import struct
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tetherai.crypto.errors import CryptoError
from tetherai.crypto.signature import PrivateKey, algorithm_of
from tetherai.services.custody.errors import (
    CustodyError,
    MalformedBlob,
    SessionKeyInvalid,
    UnsealFailed,
)

__all__ = [
    "DEFAULT_ARGON2",
    "Argon2Parameters",
    "check_secret",
    "reseal",
    "seal",
    "unseal",
    "unwrap_for_session",
    "wrap_for_session",
]

_SEALED_MAGIC = b"TTSK"
_WRAPPED_MAGIC = b"TTWK"
_VERSION = 1
_KDF_ARGON2ID_HMAC = 1
_SALT_BYTES = 16
_NONCE_BYTES = 12
_KEY_BYTES = 32
_KEK_LABEL = b"tetherai/custody/kek/v1\x00"
_MIN_SECRET_BYTES = 32
_HEADER = struct.Struct(">4sBBIIBB")  # magic, version, kdf, time, memory, parallelism, salt_len


@dataclass(frozen=True, slots=True)
class Argon2Parameters:
    """Argon2id cost parameters, for password hashes and key-encryption keys.

    The defaults are RFC 9106's second recommendation (64 MiB, 3 passes, 4 lanes). Tests pass
    cheaper ones explicitly; sealed blobs and password hashes record the parameters they used.
    """

    time_cost: int = 3
    memory_cost: int = 64 * 1024
    """In KiB."""
    parallelism: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.time_cost <= 64:
            raise ValueError("Argon2 time_cost must be 1..64")
        if not 1 <= self.parallelism <= 64:
            raise ValueError("Argon2 parallelism must be 1..64")
        if not 8 * self.parallelism <= self.memory_cost <= 4 * 1024 * 1024:
            raise ValueError("Argon2 memory_cost must be 8*parallelism KiB .. 4 GiB")


DEFAULT_ARGON2 = Argon2Parameters()


def check_secret(secret: bytes) -> None:
    if len(secret) < _MIN_SECRET_BYTES:
        raise CustodyError(
            "the server secret is shorter than 32 bytes",
            hint="Configure a server secret of at least 32 random bytes.",
        )


def _kek(secret: bytes, password: str, salt: bytes, parameters: Argon2Parameters) -> bytes:
    stretched = hash_secret_raw(
        secret=password.encode("utf-8"),
        salt=salt,
        time_cost=parameters.time_cost,
        memory_cost=parameters.memory_cost,
        parallelism=parameters.parallelism,
        hash_len=_KEY_BYTES,
        type=Type.ID,
    )
    return hmac.digest(secret, _KEK_LABEL + stretched, "sha256")


def _associated_data(header: bytes, user_id: str) -> bytes:
    return header + b"\x00user\x00" + user_id.encode("utf-8")


def _private_bytes(private_key: PrivateKey) -> bytes:
    algorithm_of(private_key)  # refuses unsupported keys (CryptoError)
    return private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_private(data: bytes, error: CustodyError) -> PrivateKey:
    try:
        key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as cause:
        raise error from cause
    try:
        algorithm_of(key)  # type: ignore[arg-type]
    except CryptoError as cause:
        raise error from cause
    return key  # type: ignore[return-value]


def seal(
    private_key: PrivateKey,
    *,
    secret: bytes,
    password: str,
    user_id: str,
    kdf: Argon2Parameters = DEFAULT_ARGON2,
) -> bytes:
    """Encrypt ``private_key`` for storage: only ``password`` + ``secret`` open it, for ``user_id``.

    Args:
        private_key: an Ed25519 or P-256 key.
        secret: the server secret (``Settings.secret_key``), at least 32 bytes.
        password: the user's password.
        user_id: who the key belongs to (the participant id); bound as associated data.
        kdf: Argon2id costs, recorded in the blob.

    Returns:
        A sealed blob (format in the module docstring).

    Raises:
        CustodyError: the secret is too short.
        CryptoError: the key is of an unsupported type.
    """
    check_secret(secret)
    plaintext = _private_bytes(private_key)
    salt = secrets.token_bytes(_SALT_BYTES)
    header = (
        _HEADER.pack(
            _SEALED_MAGIC,
            _VERSION,
            _KDF_ARGON2ID_HMAC,
            kdf.time_cost,
            kdf.memory_cost,
            kdf.parallelism,
            len(salt),
        )
        + salt
    )
    nonce = secrets.token_bytes(_NONCE_BYTES)
    ciphertext = AESGCM(_kek(secret, password, salt, kdf)).encrypt(
        nonce, plaintext, _associated_data(header, user_id)
    )
    return header + nonce + ciphertext


def _parse_sealed(blob: bytes) -> tuple[bytes, Argon2Parameters, bytes, bytes, bytes]:
    """Split a sealed blob into (header, parameters, salt, nonce, ciphertext)."""
    malformed = MalformedBlob("the stored signing key is not a sealed key this server can read")
    if len(blob) < _HEADER.size:
        raise malformed
    magic, version, kdf, time_cost, memory_cost, parallelism, salt_len = _HEADER.unpack_from(blob)
    if magic != _SEALED_MAGIC or version != _VERSION or kdf != _KDF_ARGON2ID_HMAC:
        raise malformed
    if not 8 <= salt_len <= 64:
        raise malformed
    try:  # bounded, so a crafted blob cannot make the server burn unbounded memory or time
        parameters = Argon2Parameters(time_cost, memory_cost, parallelism)
    except ValueError as error:
        raise malformed from error
    salt_end = _HEADER.size + salt_len
    nonce_end = salt_end + _NONCE_BYTES
    if len(blob) < nonce_end + 16:
        raise malformed
    return (
        blob[:salt_end],
        parameters,
        blob[_HEADER.size : salt_end],
        blob[salt_end:nonce_end],
        blob[nonce_end:],
    )


def unseal(blob: bytes, *, secret: bytes, password: str, user_id: str) -> PrivateKey:
    """Open a blob made by :func:`seal`.

    Raises:
        UnsealFailed: the password or the server secret is wrong, the blob belongs to another
            user, or it was altered (one error for all: it never says which).
        MalformedBlob: not a sealed key of a known format or version.
        CustodyError: the secret is too short.
    """
    check_secret(secret)
    header, parameters, salt, nonce, ciphertext = _parse_sealed(blob)
    failed = UnsealFailed("cannot unlock the signing key: the password does not match it")
    try:
        plaintext = AESGCM(_kek(secret, password, salt, parameters)).decrypt(
            nonce, ciphertext, _associated_data(header, user_id)
        )
    except InvalidTag as error:
        raise failed from error
    return _load_private(plaintext, failed)


def reseal(
    blob: bytes,
    *,
    secret: bytes,
    old_password: str,
    new_password: str,
    user_id: str,
    kdf: Argon2Parameters = DEFAULT_ARGON2,
) -> bytes:
    """Re-seal a key under a new password (a password change), with a fresh salt and nonce.

    Raises:
        UnsealFailed, MalformedBlob, CustodyError: as :func:`unseal`, for the old password.
    """
    key = unseal(blob, secret=secret, password=old_password, user_id=user_id)
    return seal(key, secret=secret, password=new_password, user_id=user_id, kdf=kdf)


def wrap_for_session(private_key: PrivateKey) -> tuple[str, bytes]:
    """Encrypt an unsealed key under a fresh random session key.

    Returns:
        ``(session_key, wrapped)``: the session key as unpadded URL-safe base64, for the
        client's cookie only (never stored by the server), and the blob to store with the session.
    """
    session_key = secrets.token_bytes(_KEY_BYTES)
    header = _WRAPPED_MAGIC + bytes([_VERSION])
    nonce = secrets.token_bytes(_NONCE_BYTES)
    ciphertext = AESGCM(session_key).encrypt(nonce, _private_bytes(private_key), header)
    encoded = base64.urlsafe_b64encode(session_key).rstrip(b"=").decode("ascii")
    return encoded, header + nonce + ciphertext


def unwrap_for_session(wrapped: bytes, session_key: str) -> PrivateKey:
    """Open a blob made by :func:`wrap_for_session` with the client's session key.

    Raises:
        SessionKeyInvalid: the session key is malformed or does not open the blob, or the blob
            was altered.
        MalformedBlob: not a wrapped key of a known format or version.
    """
    header = _WRAPPED_MAGIC + bytes([_VERSION])
    if wrapped[: len(header)] != header or len(wrapped) < len(header) + _NONCE_BYTES + 16:
        raise MalformedBlob("the session's signing key is not a wrapped key this server can read")
    invalid = SessionKeyInvalid("the session's signing key cannot be unlocked with this session")
    try:
        key = base64.urlsafe_b64decode(session_key + "=" * (-len(session_key) % 4))
    except (binascii.Error, ValueError) as error:
        raise invalid from error
    if len(key) != _KEY_BYTES:
        raise invalid
    nonce = wrapped[len(header) : len(header) + _NONCE_BYTES]
    try:
        plaintext = AESGCM(key).decrypt(nonce, wrapped[len(header) + _NONCE_BYTES :], header)
    except InvalidTag as error:
        raise invalid from error
    return _load_private(plaintext, invalid)
