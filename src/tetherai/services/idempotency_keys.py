"""Idempotency keys in the service database: one answer per (user, key), kept across a
restart of the server and shared by every process on that database.

A request *claims* its key by inserting the key's row; the primary key lets exactly one
process succeed. The claim is then *finished* with the response every repeat gets until the
row expires, or *released* (a server error: a retry runs again). A claim whose server stopped
before finishing it is taken over once it is older than the lease; that request may have
reached the ledger or not, as when one process forgot its keys on a restart.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tetherai.services.db import IdempotencyRecord, SessionFactory, transaction

__all__ = ["Answered", "Claimed", "Conflict", "Running", "SharedKeys"]

PRUNE_EVERY = 256
"""Claims between two deletions of expired rows."""
KEYS_PER_USER = 1_000
"""Answers kept per user (the oldest go first): a person sending refused writes under new
keys cannot grow the table without bound before the rows expire."""


@dataclass(frozen=True)
class Claimed:
    """This request holds the key: run it, then finish or release the claim."""

    token: str


@dataclass(frozen=True)
class Running:
    """A request with the same key and fingerprint is running now (in another process)."""


@dataclass(frozen=True)
class Conflict:
    """The key was taken by a request with another fingerprint."""


@dataclass(frozen=True)
class Answered:
    """The key's request was answered: what every repeat gets."""

    status: int
    body: Any


class SharedKeys:
    """The ``idempotency_keys`` table."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        ttl_seconds: float,
        lease_seconds: float,
        clock: Callable[[], float],
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl_seconds
        self._lease = lease_seconds
        self._clock = clock
        self._claims = 0

    def claim(
        self, user: str, key: str, fingerprint: str
    ) -> Claimed | Running | Conflict | Answered:
        """Take ``key`` for a request with ``fingerprint``, or say who has it.

        Raises:
            DatabaseUnavailable: as :func:`~tetherai.services.db.transaction`.
        """
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            self.prune()
        while True:
            now = self._clock()
            token = secrets.token_hex(16)
            try:
                with transaction(self._sessions) as session:
                    session.add(
                        IdempotencyRecord(
                            user=user, key=key, **self._fresh(fingerprint, token, now)
                        )
                    )
                    session.flush()  # the primary key decides here
                    _forget_oldest(session, user)  # in the same transaction: one commit
            except IntegrityError:
                pass  # the key's row exists: read it
            else:
                return Claimed(token)
            with transaction(self._sessions) as session:
                found = session.get(IdempotencyRecord, (user, key))
                if found is None:
                    continue  # deleted meanwhile (released, expired): claim again
                stale = found.expires_at <= now or (
                    found.status is None and found.claimed_at + self._lease <= now
                )
                if not stale:
                    if found.fingerprint != fingerprint:
                        return Conflict()
                    if found.status is None:
                        return Running()
                    return Answered(found.status, found.body)
                # Expired, or left by a server that stopped: take it over, unless another
                # request did so first.
                taken = session.execute(
                    update(IdempotencyRecord)
                    .where(
                        IdempotencyRecord.user == user,
                        IdempotencyRecord.key == key,
                        IdempotencyRecord.claim == found.claim,
                    )
                    .values(**self._fresh(fingerprint, token, now))
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return Claimed(token)

    def _fresh(self, fingerprint: str, token: str, now: float) -> dict[str, Any]:
        """The columns of a claim just taken, running (no answer yet)."""
        return {
            "fingerprint": fingerprint,
            "claim": token,
            "claimed_at": now,
            "expires_at": now + self._ttl,
            "status": None,
            "body": None,
        }

    def finish(self, user: str, key: str, claim: Claimed, status: int, body: Any) -> None:
        """Record the response of the request that holds ``claim``."""
        with transaction(self._sessions) as session:
            session.execute(
                update(IdempotencyRecord)
                .where(*self._held(user, key, claim))
                .values(status=status, body=body)
                .execution_options(synchronize_session=False)
            )

    def release(self, user: str, key: str, claim: Claimed) -> None:
        """Give the key up: the next request with it runs."""
        with transaction(self._sessions) as session:
            session.execute(
                delete(IdempotencyRecord)
                .where(*self._held(user, key, claim))
                .execution_options(synchronize_session=False)
            )

    def prune(self) -> int:
        """Delete the expired rows; how many."""
        with transaction(self._sessions) as session:
            gone = session.execute(
                delete(IdempotencyRecord)
                .where(IdempotencyRecord.expires_at <= self._clock())
                .execution_options(synchronize_session=False)
            )
        return int(gone.rowcount)  # type: ignore[attr-defined]

    def count(self) -> int:
        """Rows kept (answered, running or expired but not yet pruned)."""
        with transaction(self._sessions) as session:
            return int(session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0)

    @staticmethod
    def _held(user: str, key: str, claim: Claimed) -> tuple[Any, ...]:
        return (
            IdempotencyRecord.user == user,
            IdempotencyRecord.key == key,
            IdempotencyRecord.claim == claim.token,
            IdempotencyRecord.status.is_(None),
        )


def _forget_oldest(session: Session, user: str) -> None:
    """Forget ``user``'s oldest answers beyond :data:`KEYS_PER_USER`."""
    newest = session.scalars(
        select(IdempotencyRecord.claimed_at)
        .where(IdempotencyRecord.user == user)
        .order_by(IdempotencyRecord.claimed_at.desc())
        .offset(KEYS_PER_USER - 1)
        .limit(1)
    ).first()
    if newest is not None:
        session.execute(
            delete(IdempotencyRecord)
            .where(
                IdempotencyRecord.user == user,
                IdempotencyRecord.claimed_at < newest,
                IdempotencyRecord.status.is_not(None),
            )
            .execution_options(synchronize_session=False)
        )
