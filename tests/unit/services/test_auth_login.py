"""Logins: Argon2id, lockout (the same for unknown usernames), disabled users, the log."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import argon2
import pytest
from sqlalchemy import select

from tests.unit.services.conftest import (
    ADMIN_PASSWORD,
    FAST_ARGON2,
    SECRET,
    ManualClock,
    add_user,
)
from tetherai.services.auth import (
    AccountDisabled,
    AccountLocked,
    AuthError,
    AuthService,
    BadCredentials,
    UserInfo,
    WeakPassword,
)
from tetherai.services.custody import Argon2Parameters
from tetherai.services.db import (
    SessionFactory,
    User,
    make_engine,
    make_session_factory,
    migrate,
    transaction,
)
from tetherai.services.settings import Settings


def _attempt(auth: AuthService, username: str, password: str) -> str:
    try:
        auth.login(username, password, ip="192.0.2.7")
    except AuthError as error:
        return error.code
    return "ok"


def test_login_with_the_right_password(auth: AuthService, admin: UserInfo) -> None:
    user = auth.login("admin", ADMIN_PASSWORD, ip="192.0.2.7")
    assert user == admin
    assert user.participant_id == "admin" and user.display_name == "Ada Admin"
    entry = auth.list_activity(admin, limit=1).entries[0]
    assert (entry.event, entry.user_id, entry.ip) == ("login.ok", admin.id, "192.0.2.7")


def test_unknown_user_and_wrong_password_get_the_same_answer(
    auth: AuthService, admin: UserInfo
) -> None:
    with pytest.raises(BadCredentials) as wrong:
        auth.login("admin", "not the password")
    with pytest.raises(BadCredentials) as unknown:
        auth.login("nobody", "not the password")
    assert (wrong.value.code, wrong.value.message) == (unknown.value.code, unknown.value.message)
    assert wrong.value.code == "auth.bad_credentials"


@pytest.mark.parametrize("username", ["admin", "nobody"], ids=["known", "unknown"])
def test_five_failures_lock_the_username_for_fifteen_minutes(
    auth: AuthService, admin: UserInfo, clock: ManualClock, username: str
) -> None:
    codes = [_attempt(auth, username, "wrong password!") for _ in range(5)]
    assert codes == ["auth.bad_credentials"] * 4 + ["auth.locked"]
    with pytest.raises(AccountLocked) as locked:
        auth.login(username, ADMIN_PASSWORD)  # even the right password, while locked
    until = clock.now + timedelta(minutes=15)
    assert locked.value.details == {"locked_until": until.isoformat()}
    assert until.strftime("%H:%M:%S") in locked.value.message
    clock.advance(minutes=14, seconds=59)
    assert _attempt(auth, username, ADMIN_PASSWORD) == "auth.locked"
    clock.advance(seconds=1)
    expected = "ok" if username == "admin" else "auth.bad_credentials"
    assert _attempt(auth, username, ADMIN_PASSWORD) == expected


def test_a_success_resets_the_count(auth: AuthService, admin: UserInfo) -> None:
    for _ in range(4):
        assert _attempt(auth, "admin", "wrong password!") == "auth.bad_credentials"
    assert _attempt(auth, "admin", ADMIN_PASSWORD) == "ok"
    for _ in range(4):
        assert _attempt(auth, "admin", "wrong password!") == "auth.bad_credentials"
    assert _attempt(auth, "admin", ADMIN_PASSWORD) == "ok"


def test_lockout_follows_the_settings(
    session_factory: SessionFactory, clock: ManualClock, settings: Settings, admin: UserInfo
) -> None:
    strict = AuthService(
        session_factory,
        clock=clock,
        settings=replace(settings, lockout_attempts=2, lockout_minutes=1),
        hashing=FAST_ARGON2,
    )
    assert [_attempt(strict, "admin", "wrong password!") for _ in range(2)] == [
        "auth.bad_credentials",
        "auth.locked",
    ]
    clock.advance(minutes=1)
    assert _attempt(strict, "admin", ADMIN_PASSWORD) == "ok"


@pytest.mark.parametrize("username", ["admin", "nobody"], ids=["known", "unknown"])
def test_concurrent_failures_are_all_counted(
    auth: AuthService, admin: UserInfo, username: str
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: _attempt(auth, username, "wrong password!"), range(10)))
    # 4 failures, the 5th locks, and the 5 after it are refused while locked
    assert sorted(codes) == ["auth.bad_credentials"] * 4 + ["auth.locked"] * 6


def test_a_disabled_user_is_refused_only_with_the_right_password(
    auth: AuthService, admin: UserInfo
) -> None:
    alice, password = add_user(auth, admin, "alice")
    auth.set_enabled(alice, False, by_admin=admin)
    with pytest.raises(BadCredentials):
        auth.login("alice", "a wrong password")  # says nothing about the account
    with pytest.raises(AccountDisabled) as raised:
        auth.login("alice", password)
    assert raised.value.code == "auth.disabled"
    events = [entry.event for entry in auth.list_activity(admin, user=alice, limit=2).entries]
    assert events == ["login.disabled", "login.failed"]


def test_an_invited_user_cannot_log_in_before_accepting(auth: AuthService, admin: UserInfo) -> None:
    auth.invite("Org1", "bob", "stakeholder", admin)
    with pytest.raises(BadCredentials):
        auth.login("bob", "")


def test_passwords_are_rehashed_when_the_costs_change(
    session_factory: SessionFactory,
    clock: ManualClock,
    settings: Settings,
    auth: AuthService,
    admin: UserInfo,
) -> None:
    def stored_hash() -> str:
        with transaction(session_factory) as session:
            value = session.scalars(select(User.password_hash).where(User.id == admin.id)).one()
            assert value is not None
            return value

    before = stored_hash()
    assert before.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    stronger = Argon2Parameters(time_cost=2, memory_cost=2048, parallelism=1)
    AuthService(session_factory, clock=clock, settings=settings, hashing=stronger).login(
        "admin", ADMIN_PASSWORD
    )
    after = stored_hash()
    assert after.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    assert auth.login("admin", ADMIN_PASSWORD).id == admin.id  # the old costs still verify it


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "at least 12 characters"),
        ("alice", "at least 12 characters"),
        ("x" * 1025, "at most 1024 characters"),
    ],
)
def test_the_password_policy_says_what_is_wrong(
    auth: AuthService, admin: UserInfo, password: str, message: str
) -> None:
    with pytest.raises(WeakPassword, match=message) as raised:
        auth.create_user("Org1", "alice", "ai_engineer", password)
    assert raised.value.code == "auth.weak_password"
    assert password not in raised.value.message


def test_the_password_must_not_be_the_username(auth: AuthService, admin: UserInfo) -> None:
    with pytest.raises(WeakPassword, match="must not be the username"):
        auth.create_user("Org1", "longusername", "ai_engineer", "LongUserName")


def test_unknown_usernames_cost_the_same_argon2_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login of an unknown name runs one Argon2id verification with the same costs as a
    known name's: the work is counted (real argon2 calls, watched), not timed, so the answer
    does not depend on the machine's speed. SQLite is enough: the backend does no Argon2 work."""
    url = f"sqlite:///{tmp_path / 'work.sqlite'}"
    migrate(url)
    engine = make_engine(url)
    settings = Settings(home=tmp_path, database_url=url, secret_key=SECRET, passphrase=b"unused")
    costly = Argon2Parameters(time_cost=2, memory_cost=16 * 1024, parallelism=1)
    factory = make_session_factory(engine)
    service = AuthService(factory, clock=ManualClock(), settings=settings, hashing=costly)
    service.create_org("Org1")
    service.create_user("Org1", "admin", "org_admin", ADMIN_PASSWORD)
    verified: list[argon2.Parameters] = []
    real_verify = argon2.PasswordHasher.verify

    def watched(self: argon2.PasswordHasher, encoded: str | bytes, password: str | bytes) -> bool:
        text = encoded if isinstance(encoded, str) else encoded.decode()
        verified.append(argon2.extract_parameters(text))
        return real_verify(self, encoded, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", watched)

    def work(username: str) -> list[argon2.Parameters]:
        verified.clear()
        with pytest.raises(BadCredentials):
            service.login(username, "wrong password!")
        return list(verified)

    try:
        known = work("admin")
        unknown = work("nobody")
    finally:
        engine.dispose()
    assert len(known) == 1
    assert unknown == known  # no short cut for unknown names: same count, same costs
    assert (known[0].time_cost, known[0].memory_cost) == (2, 16 * 1024)
