"""Custody of web users' ledger keys: sealed at rest, wrapped per browser session.

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

:class:`KeyCustody` stores sealed keys and registered public keys in the service database.

Errors::

    TetherError
    └── CustodyError              custody.error           (500, exit 3)
        ├── UnsealFailed          custody.unseal_failed   Unauthenticated: wrong password or secret
        ├── MalformedBlob         custody.bad_blob        not a sealed/wrapped key of a known version
        ├── SessionKeyInvalid     custody.session_key     Unauthenticated: the session's key does
        │                                                 not open the blob
        ├── NoSigningKey          custody.no_key          PermissionDenied: no active sealed key
        ├── WrongPassword         custody.wrong_password  Unauthenticated
        ├── BadKey                custody.bad_key         InvalidInput: not a usable key/certificate
        ├── KeyExists             custody.key_exists      Conflict
        └── KeyNotFound           custody.not_found       NotFound
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Select, select

from tetherai.crypto.errors import CryptoError
from tetherai.crypto.signature import (
    PrivateKey,
    algorithm_of,
    load_public_key_pem,
    public_key_fingerprint,
    public_key_to_pem,
)
from tetherai.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TetherError,
    Unauthenticated,
)
from tetherai.identity.certificate import certificate_sha256, load_certificate_pem
from tetherai.identity.errors import CertificateError
from tetherai.services.db.engine import SessionFactory, transaction
from tetherai.services.db.keys import RegisteredKey, SealedKey
from tetherai.services.db.people import User
from tetherai.services.settings import Settings

__all__ = [
    "DEFAULT_ARGON2",
    "Argon2Parameters",
    "BadKey",
    "Clock",
    "CustodyError",
    "KeyCustody",
    "KeyExists",
    "KeyNotFound",
    "MalformedBlob",
    "NoSigningKey",
    "RegisteredKeyInfo",
    "SealedKeyInfo",
    "SessionKeyInvalid",
    "UnsealFailed",
    "WrongPassword",
    "reseal",
    "seal",
    "unseal",
    "unwrap_for_session",
    "wrap_for_session",
]

Clock = Callable[[], datetime]
"""Returns the current time as an aware datetime."""

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


class CustodyError(TetherError):
    code = "custody.error"
    hint = "Sign in again; if the problem persists, ask your org admin."


class UnsealFailed(Unauthenticated, CustodyError):
    code = "custody.unseal_failed"
    hint = "Check your password. If it was reset, your org admin must issue you a new key."


class MalformedBlob(CustodyError):
    code = "custody.bad_blob"
    hint = "The stored key is damaged or from an unknown version; ask your org admin."


class SessionKeyInvalid(Unauthenticated, CustodyError):
    code = "custody.session_key"
    hint = "Sign in again to unlock your signing key for this session."


class NoSigningKey(PermissionDenied, CustodyError):
    code = "custody.no_key"
    hint = "Ask your org admin to enrol you, or register a public key and sign locally."


class WrongPassword(Unauthenticated, CustodyError):
    code = "custody.wrong_password"


class BadKey(InvalidInput, CustodyError):
    code = "custody.bad_key"


class KeyExists(Conflict, CustodyError):
    code = "custody.key_exists"


class KeyNotFound(NotFound, CustodyError):
    code = "custody.not_found"


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


def _check_secret(secret: bytes) -> None:
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
    _check_secret(secret)
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
    _check_secret(secret)
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


@dataclass(frozen=True, slots=True)
class SealedKeyInfo:
    """A sealed key's public facts (never the blob)."""

    id: int
    user_id: int
    algorithm: str
    public_key_pem: str
    certificate_pem: str
    cert_sha256: str
    created_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True, slots=True)
class RegisteredKeyInfo:
    id: int
    user_id: int
    name: str
    algorithm: str
    public_key_pem: str
    fingerprint: str
    certificate_pem: str | None
    cert_sha256: str | None
    created_at: datetime
    retired_at: datetime | None


def _sealed_info(row: SealedKey) -> SealedKeyInfo:
    return SealedKeyInfo(
        row.id,
        row.user_id,
        row.algorithm,
        row.public_key_pem,
        row.certificate_pem,
        row.cert_sha256,
        row.created_at,
        row.retired_at,
    )


def _registered_info(row: RegisteredKey) -> RegisteredKeyInfo:
    return RegisteredKeyInfo(
        row.id,
        row.user_id,
        row.name,
        row.algorithm,
        row.public_key_pem,
        row.fingerprint,
        row.certificate_pem,
        row.cert_sha256,
        row.created_at,
        row.retired_at,
    )


def _check_certificate(certificate_pem: str, public_key_pem: bytes) -> str:
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


class KeyCustody:
    """Stores web users' sealed keys and CLI/SDK users' public keys (DESIGN.md §4, §6).

    Args:
        session_factory: from :func:`tetherai.services.db.make_session_factory`.
        clock: the current time (aware).
        settings: ``secret_key`` is the server secret mixed into every key-encryption key.
        kdf: Argon2id costs for new seals.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        clock: Clock,
        settings: Settings,
        kdf: Argon2Parameters = DEFAULT_ARGON2,
    ) -> None:
        _check_secret(settings.secret_key)
        self._sessions = session_factory
        self._clock = clock
        self._secret = settings.secret_key
        self._kdf = kdf

    def store_key(
        self, user_id: int, private_key: PrivateKey, *, password: str, certificate_pem: str
    ) -> SealedKeyInfo:
        """Seal a web user's new key under their password; retire the key it replaces.

        The user's ``cert_sha256`` becomes this certificate's.

        Raises:
            CustodyError: no such user (``custody.error``), the password is not the user's
                (``custody.wrong_password``), or the certificate is not for this key
                (``custody.bad_key``).
        """
        public_pem = public_key_to_pem(private_key.public_key())
        cert_sha256 = _check_certificate(certificate_pem, public_pem)
        with transaction(self._sessions) as session:  # Argon2 runs outside any transaction
            user = session.get(User, user_id)
            if user is None:
                raise CustodyError(f"no user with id {user_id}")
            username, seen_hash = user.username, user.password_hash
        if not _password_matches(seen_hash, password):
            raise CustodyError(
                "the password is not this user's password",
                code="custody.wrong_password",
                hint="Seal the key with the password the user signs in with.",
            )
        sealed = seal(
            private_key, secret=self._secret, password=password, user_id=username, kdf=self._kdf
        )
        with transaction(self._sessions) as session:
            user = session.get(User, user_id, with_for_update=True)
            if user is None or user.password_hash != seen_hash:
                raise CustodyError(
                    "the user's password changed meanwhile", hint="Try again with the new password."
                )
            now = self._clock()
            for old in session.scalars(_active_sealed(user_id)):
                old.retired_at = now
            row = SealedKey(
                user_id=user_id,
                algorithm=algorithm_of(private_key).value,
                sealed=sealed,
                public_key_pem=public_pem.decode("ascii"),
                certificate_pem=certificate_pem,
                cert_sha256=cert_sha256,
                created_at=now,
                retired_at=None,
            )
            session.add(row)
            user.cert_sha256 = cert_sha256
            user.updated_at = now
            session.flush()
            return _sealed_info(row)

    def active_key(self, user_id: int) -> SealedKeyInfo | None:
        """The user's current sealed key, if they have one."""
        with transaction(self._sessions) as session:
            row = session.scalars(_active_sealed(user_id)).first()
            return None if row is None else _sealed_info(row)

    def unseal_key(self, user_id: int, password: str) -> PrivateKey:
        """Unseal the user's current key with their password (at login, to wrap it for a session).

        Raises:
            NoSigningKey: the user has no active sealed key.
            UnsealFailed: the password (or the server secret) does not open it.
        """
        with transaction(self._sessions) as session:
            user = session.get(User, user_id)
            row = session.scalars(_active_sealed(user_id)).first()
            if user is None or row is None:
                raise NoSigningKey("you have no signing key kept by this server")
            blob, username = row.sealed, user.username
        return unseal(blob, secret=self._secret, password=password, user_id=username)

    def register_public_key(
        self,
        user_id: int,
        public_key_pem: str,
        *,
        name: str,
        certificate_pem: str | None = None,
    ) -> RegisteredKeyInfo:
        """Register a CLI/SDK user's public key (they keep the private key and sign locally).

        Raises:
            CustodyError: no such user, the key is not a PEM Ed25519/P-256 public key, the
                certificate is not for it (``custody.bad_key``), or it is already registered
                (``custody.key_exists``).
        """
        try:
            public_key = load_public_key_pem(public_key_pem.encode("ascii"))
            algorithm = algorithm_of(public_key)
        except (CryptoError, UnicodeEncodeError) as error:
            raise CustodyError(
                "not a PEM Ed25519 or P-256 public key",
                code="custody.bad_key",
                hint="Export the public key as PEM (-----BEGIN PUBLIC KEY-----).",
            ) from error
        normalized = public_key_to_pem(public_key)
        cert_sha256 = (
            None if certificate_pem is None else _check_certificate(certificate_pem, normalized)
        )
        fingerprint = public_key_fingerprint(public_key)
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise CustodyError("a key's name must be 1 to 100 characters", code="custody.bad_key")
        with transaction(self._sessions) as session:
            user = session.get(User, user_id)
            if user is None:
                raise CustodyError(f"no user with id {user_id}")
            taken = session.scalar(
                select(RegisteredKey.id).where(RegisteredKey.fingerprint == fingerprint)
            )
            if taken is not None:
                raise CustodyError(
                    "this public key is already registered",
                    code="custody.key_exists",
                    hint="Generate a new key pair for a new registration.",
                )
            now = self._clock()
            row = RegisteredKey(
                user_id=user_id,
                name=name,
                algorithm=algorithm.value,
                public_key_pem=normalized.decode("ascii"),
                fingerprint=fingerprint,
                certificate_pem=certificate_pem,
                cert_sha256=cert_sha256,
                created_at=now,
                retired_at=None,
            )
            session.add(row)
            if cert_sha256 is not None:
                user.cert_sha256 = cert_sha256
                user.updated_at = now
            session.flush()
            return _registered_info(row)

    def list_public_keys(
        self, user_id: int, *, include_retired: bool = False
    ) -> list[RegisteredKeyInfo]:
        """The user's registered public keys, oldest first."""
        query = select(RegisteredKey).where(RegisteredKey.user_id == user_id)
        if not include_retired:
            query = query.where(RegisteredKey.retired_at.is_(None))
        with transaction(self._sessions) as session:
            return [_registered_info(row) for row in session.scalars(query.order_by("id"))]

    def retire_public_key(self, user_id: int, key_id: int) -> RegisteredKeyInfo:
        """Stop accepting a registered key (it was lost, or replaced).

        Raises:
            CustodyError: the user has no such key (``custody.not_found``).
        """
        with transaction(self._sessions) as session:
            row = session.get(RegisteredKey, key_id)
            if row is None or row.user_id != user_id:
                raise CustodyError("no such registered key", code="custody.not_found")
            if row.retired_at is None:
                row.retired_at = self._clock()
            return _registered_info(row)


def _active_sealed(user_id: int) -> Select[SealedKey]:
    return (
        select(SealedKey)
        .where(SealedKey.user_id == user_id, SealedKey.retired_at.is_(None))
        .order_by(SealedKey.id.desc())
    )


def _password_matches(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        return False
    try:
        # verify() reads the cost parameters from the hash itself
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
