"""A few seconds' memory of resolved credentials, so a read request does not query the
database to learn who is calling.

Correctness first: an entry lives at most ``ttl`` (``Settings.auth_cache_seconds``), never past
the credential's own expiry or its next last-seen touch, and the whole cache is dropped whenever
this process commits a write to the people tables (a revocation, a disabled user, a new role take
effect at once). A write made by another process (a second worker, ``tether`` on the same
database) takes effect within ``ttl``.

Which commits count (:func:`forget_on_credential_writes`): every commit that wrote a table other
than the few that hold no credential (notifications, webhooks, object holders), written through
the ORM or a statement run by the session, except the once-a-minute record of a credential's
last use. The notifications of every block share the database
and its session factory; they do not empty the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from tetherai.services.db.engine import SessionFactory

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    fresh_until: datetime


class CredentialCache(Generic[T]):
    def __init__(self, ttl: timedelta, *, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[str, _Entry[T]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime) -> T | None:
        entry = self._entries.get(key)
        if entry is None or not now < entry.fresh_until:
            return None
        return entry.value

    def put(self, key: str, value: T, now: datetime, *, until: datetime) -> None:
        """Remember ``value`` until ``until`` or ``now + ttl``, whichever is sooner."""
        if self._ttl <= timedelta(0):
            return
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()  # rare (many distinct live tokens): start over
            self._entries[key] = _Entry(value, min(until, now + self._ttl))

    def clear(self) -> None:
        with self._lock:
            self._entries = {}


NO_CREDENTIALS = frozenset({"notifications", "webhooks", "object_holders"})
"""Tables whose writes cannot change who a credential signs in (all others may)."""
LAST_USE_ONLY = "tetherai_last_use_only"
"""Execution option of a statement that only records when a credential was last used (an
advisory time, shown, never checked): it changes no credential either."""
_WROTE = "tetherai.credentials_may_have_changed"


def forget_on_credential_writes(factory: SessionFactory, forget: Callable[[], None]) -> None:
    """Call ``forget`` after each commit of a session of ``factory`` that wrote any table but
    those of :data:`NO_CREDENTIALS` (or ran a statement whose table it cannot tell)."""

    def flushed(session: Session, _flush: UOWTransaction) -> None:
        for row in (*session.new, *session.dirty, *session.deleted):
            if getattr(getattr(row, "__table__", None), "name", None) not in NO_CREDENTIALS:
                session.info[_WROTE] = True
                return

    def executing(state: ORMExecuteState) -> None:
        if state.is_select or state.execution_options.get(LAST_USE_ONLY):
            return
        table: Any = getattr(state.statement, "table", None)
        if getattr(table, "name", None) not in NO_CREDENTIALS:
            state.session.info[_WROTE] = True

    def committed(session: Session) -> None:
        # (A session that rolled back a write and commits later still forgets: never too little.)
        if session.info.pop(_WROTE, False):
            forget()

    event.listen(factory, "after_flush", flushed)
    event.listen(factory, "do_orm_execute", executing)
    event.listen(factory, "after_commit", committed)
