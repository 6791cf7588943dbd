"""The short memory of resolved credentials: what it saves, and the bounds it keeps.

A revocation made through the same service takes effect at once; one made by another process
(a second service on the same database) within ``auth_cache_seconds``; nothing outlives the
credential's own expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.unit.services.conftest import FAST_ARGON2, ManualClock, add_user
from tetherai.services.auth import (
    AccountDisabled,
    AuthService,
    TokenExpired,
    TokenInvalid,
    UserInfo,
)
from tetherai.services.db import SessionFactory, transaction
from tetherai.services.db.people import User
from tetherai.services.notifications import NotificationService
from tetherai.services.settings import Settings


@pytest.fixture
def other_process(
    session_factory: SessionFactory, clock: ManualClock, settings: Settings
) -> AuthService:
    """A second auth service on the same database: its writes do not reach our memory."""
    return AuthService(
        session_factory.__class__(**session_factory.kw),
        clock=clock,
        settings=settings,
        hashing=FAST_ARGON2,
    )


def test_a_resolved_token_is_answered_from_memory(auth: AuthService, admin: UserInfo) -> None:
    token = auth.issue_api_token(admin, "ci").token
    assert auth.cached_api_token(token) is None
    found = auth.resolve_api_token(token)
    assert auth.cached_api_token(token) == found
    assert auth.cached_api_token(token + "x") is None
    assert auth.cached_api_token("not a token") is None


def test_revoking_in_this_process_takes_effect_at_once(auth: AuthService, admin: UserInfo) -> None:
    issued = auth.issue_api_token(admin, "ci")
    auth.resolve_api_token(issued.token)
    auth.revoke_api_token(issued.info.id, by=admin)
    assert auth.cached_api_token(issued.token) is None
    with pytest.raises(TokenInvalid):
        auth.resolve_api_token(issued.token)


def test_disabling_in_this_process_ends_cached_sessions_at_once(
    auth: AuthService, admin: UserInfo
) -> None:
    user, _ = add_user(auth, admin, "eve")
    session_token = auth.start_session(user).session_token
    auth.resolve_session(session_token)
    assert auth.cached_session(session_token) is not None
    auth.set_enabled(user, False, by_admin=admin)
    assert auth.cached_session(session_token) is None
    with pytest.raises((AccountDisabled, TokenInvalid)):
        auth.resolve_session(session_token)


def test_another_process_revocation_takes_effect_within_the_cache_time(
    auth: AuthService, other_process: AuthService, admin: UserInfo, clock: ManualClock
) -> None:
    issued = auth.issue_api_token(admin, "ci")
    auth.resolve_api_token(issued.token)
    other_process.revoke_api_token(issued.info.id, by=admin)
    auth.resolve_api_token(issued.token)  # still remembered: the documented bound
    clock.advance(seconds=2)
    with pytest.raises(TokenInvalid):
        auth.resolve_api_token(issued.token)


def test_a_remembered_token_never_outlives_its_expiry(
    auth: AuthService, admin: UserInfo, clock: ManualClock
) -> None:
    token = auth.issue_api_token(admin, "ci", expires_in_days=1).token
    clock.advance(hours=23, minutes=59, seconds=59)
    auth.resolve_api_token(token)
    clock.advance(seconds=1)
    assert auth.cached_api_token(token) is None
    with pytest.raises(TokenExpired):
        auth.resolve_api_token(token)


def test_the_cache_can_be_switched_off(
    session_factory: SessionFactory, clock: ManualClock, settings: Settings, admin: UserInfo
) -> None:
    auth = AuthService(
        session_factory,
        clock=clock,
        settings=replace(settings, auth_cache_seconds=0),
        hashing=FAST_ARGON2,
    )
    token = auth.issue_api_token(admin, "ci").token
    auth.resolve_api_token(token)
    assert auth.cached_api_token(token) is None


def test_last_seen_is_still_refreshed_once_a_minute(
    auth: AuthService, admin: UserInfo, clock: ManualClock
) -> None:
    session_token = auth.start_session(admin).session_token
    started = auth.resolve_session(session_token).last_seen_at
    clock.advance(seconds=30)
    assert auth.resolve_session(session_token).last_seen_at == started
    clock.advance(seconds=30)
    assert auth.resolve_session(session_token).last_seen_at == started + timedelta(minutes=1)


def test_notifications_on_the_same_database_keep_the_memory(
    auth: AuthService, session_factory: SessionFactory, clock: ManualClock, admin: UserInfo
) -> None:
    """Every block's notifications are committed through the same session factory: they
    change no credential, so resolved ones stay remembered; a people-table write still clears."""
    notes = NotificationService(session_factory, clock=clock)
    token = auth.issue_api_token(admin, "ci").token
    session_token = auth.start_session(admin).session_token
    auth.resolve_api_token(token)
    auth.resolve_session(session_token)
    notes.notify_person(admin.id, "key.registered", "a note", "0" * 64)  # ORM insert
    notes.mark_all_read(admin.id)  # an UPDATE statement
    assert auth.cached_api_token(token) is not None
    assert auth.cached_session(session_token) is not None
    with transaction(session_factory) as session:
        session.execute(update(User).where(User.id == admin.id).values(enabled=True))
    assert auth.cached_api_token(token) is None
    assert auth.cached_session(session_token) is None


def test_recording_a_credential_s_last_use_keeps_the_others_remembered(
    auth: AuthService, admin: UserInfo
) -> None:
    first = auth.issue_api_token(admin, "ci").token
    second = auth.issue_api_token(admin, "cd").token
    auth.resolve_api_token(first)  # its first use is recorded: a write
    assert auth.cached_api_token(first) is not None
    auth.resolve_api_token(second)  # the same for the second
    assert auth.cached_api_token(first) is not None
    assert auth.list_api_tokens(admin)[-1].last_used_at is not None  # recorded all the same
