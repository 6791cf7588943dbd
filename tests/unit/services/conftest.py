"""Fixtures of the service tests: a real database, a manual clock, cheap Argon2.

``db_url`` is a SQLite file in ``tmp_path`` here; ``tests/integration/postgresql`` runs the same
tests on a real PostgreSQL 15 (``tests/common/postgres.py``) by overriding it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tetherai.services.auth import AuthService, UserInfo
from tetherai.services.custody import Argon2Parameters, KeyCustody
from tetherai.services.db import SessionFactory, make_engine, make_session_factory
from tetherai.services.settings import Settings


def count_wakeups(loop: asyncio.AbstractEventLoop) -> list[object]:
    """Each wake-up of ``loop`` from another thread (``call_soon_threadsafe``) from now on,
    recorded in the list returned."""
    wakeups: list[object] = []
    original = loop.call_soon_threadsafe

    def counted(*args: object, **kwargs: object) -> object:
        wakeups.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    loop.call_soon_threadsafe = counted  # type: ignore[method-assign,assignment]
    return wakeups


FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
"""Cheap Argon2id costs for tests, passed explicitly (never by patching module constants)."""
SECRET = b"a server secret of at least thirty-two bytes"
ADMIN_PASSWORD = "admin's long password"
START = datetime(2026, 9, 21, 12, 0, tzinfo=UTC)


@dataclass
class ManualClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """A SQLite database at the newest schema; tests/integration/postgresql runs these tests
    again on a real PostgreSQL 15 by overriding this fixture."""
    return sqlite_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> SessionFactory:
    return make_session_factory(engine)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        home=tmp_path,
        database_url=db_url,
        secret_key=SECRET,
        passphrase=b"unused",
        lockout_attempts=5,
        lockout_minutes=15,
        session_hours=12,
        api_token_days=90,
    )


@pytest.fixture
def auth(session_factory: SessionFactory, clock: ManualClock, settings: Settings) -> AuthService:
    return AuthService(session_factory, clock=clock, settings=settings, hashing=FAST_ARGON2)


@pytest.fixture
def custody(session_factory: SessionFactory, clock: ManualClock, settings: Settings) -> KeyCustody:
    return KeyCustody(session_factory, clock=clock, settings=settings, kdf=FAST_ARGON2)


@pytest.fixture
def admin(auth: AuthService) -> UserInfo:
    """Org1 with its first org admin."""
    auth.create_org("Org1", "Org One")
    return auth.create_user("Org1", "admin", "org_admin", ADMIN_PASSWORD, display_name="Ada Admin")


def add_user(
    auth: AuthService, admin: UserInfo, username: str, role: str = "ai_engineer"
) -> tuple[UserInfo, str]:
    """A user of the admin's org with a password, through an invitation; returns the password."""
    password = f"{username}'s long password"
    invitation = auth.invite(admin.org, username, role, admin)
    return auth.accept_invitation(invitation.token, password), password
