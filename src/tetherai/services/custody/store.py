"""The service database's keys of a person: web users' keys sealed under their password
(:mod:`.sealing`), and what is known of all their keys here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, select, update

from tetherai.crypto.signature import PrivateKey, algorithm_of, public_key_to_pem
from tetherai.services.custody._certificates import check_certificate
from tetherai.services.custody.errors import CustodyError, NoSigningKey
from tetherai.services.custody.registration import RegisteredKeys
from tetherai.services.custody.sealing import (
    DEFAULT_ARGON2,
    Argon2Parameters,
    check_secret,
    seal,
    unseal,
)
from tetherai.services.db.engine import SessionFactory, transaction
from tetherai.services.db.keys import RegisteredKey, SealedKey
from tetherai.services.db.people import User
from tetherai.services.settings import Settings

__all__ = ["Clock", "KeyCustody", "SealedKeyInfo"]

Clock = Callable[[], datetime]
"""Returns the current time as an aware datetime."""


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


class KeyCustody:
    """Keeps web users' sealed keys and knows every key of a person here (DESIGN.md §4, §6);
    the keys people registered to sign on their own machines are :attr:`registered`.

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
        check_secret(settings.secret_key)
        self._sessions = session_factory
        self._clock = clock
        self._secret = settings.secret_key
        self._kdf = kdf
        self.registered = RegisteredKeys(session_factory, clock=clock)
        """The public keys people registered (CLI and SDK keys)."""

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
        cert_sha256 = check_certificate(certificate_pem, public_pem)
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

    def key_names(self, user_id: int) -> dict[str, tuple[str, str]]:
        """``cert_sha256 -> (kind, name)`` of the person's keys known here: ``web`` for the
        keys sealed by this server, ``cli`` for the public keys they registered."""
        with transaction(self._sessions) as session:
            found = {
                row.cert_sha256: ("web", "web")
                for row in session.scalars(select(SealedKey).where(SealedKey.user_id == user_id))
            }
            for key in session.scalars(
                select(RegisteredKey).where(RegisteredKey.user_id == user_id)
            ):
                if key.cert_sha256 is not None:
                    found[key.cert_sha256] = ("cli", key.name)
            return found

    def retire_certificate(self, cert_sha256: str) -> None:
        """Mark the registered or sealed key of a revoked certificate retired."""
        with transaction(self._sessions) as session:
            now = self._clock()
            session.execute(
                update(RegisteredKey)
                .where(RegisteredKey.cert_sha256 == cert_sha256, RegisteredKey.retired_at.is_(None))
                .values(retired_at=now)
            )
            session.execute(
                update(SealedKey)
                .where(SealedKey.cert_sha256 == cert_sha256, SealedKey.retired_at.is_(None))
                .values(retired_at=now)
            )


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
