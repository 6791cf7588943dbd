"""Public keys people register to sign on their own machines (the CLI and the SDK): the server
keeps the public key and its certificate, never the private key (DESIGN.md §4, §6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from tetherai.crypto.errors import CryptoError
from tetherai.crypto.signature import (
    algorithm_of,
    load_public_key_pem,
    public_key_fingerprint,
    public_key_to_pem,
)
from tetherai.services.custody._certificates import check_certificate
from tetherai.services.custody.errors import CustodyError
from tetherai.services.db.engine import SessionFactory, transaction
from tetherai.services.db.keys import RegisteredKey
from tetherai.services.db.people import User

__all__ = ["RegisteredKeyInfo", "RegisteredKeys"]


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


class RegisteredKeys:
    """The public keys people registered, in the service database.

    Args:
        session_factory: from :func:`tetherai.services.db.make_session_factory`.
        clock: the current time (aware).
    """

    def __init__(self, session_factory: SessionFactory, *, clock: Callable[[], datetime]) -> None:
        self._sessions = session_factory
        self._clock = clock

    def register_public_key(
        self,
        user_id: int,
        public_key_pem: str,
        *,
        name: str,
        certificate_pem: str | None = None,
    ) -> RegisteredKeyInfo:
        """Register a CLI/SDK user's public key (they keep the private key and sign locally),
        once its certificate is enrolled; the person's web key (``User.cert_sha256``) stays.

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
            None if certificate_pem is None else check_certificate(certificate_pem, normalized)
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
            session.flush()
            return _registered_info(row)

    def public_key_registered(self, fingerprint: str) -> bool:
        """Whether any person registered the public key with this fingerprint here."""
        with transaction(self._sessions) as session:
            found = session.scalar(
                select(RegisteredKey.id).where(RegisteredKey.fingerprint == fingerprint)
            )
            return found is not None

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
