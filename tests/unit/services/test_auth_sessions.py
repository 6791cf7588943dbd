"""Browser sessions (CSRF, expiry, per-session signing keys) and personal API tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.unit.services.conftest import ADMIN_PASSWORD, ManualClock, add_user
from tetherai.crypto.signature import generate_private_key, sign, verify
from tetherai.services.auth import (
    API_TOKEN_PREFIX,
    AccountDisabled,
    AuthService,
    CsrfFailed,
    InvalidInput,
    NotFound,
    TokenExpired,
    TokenInvalid,
    UserInfo,
)
from tetherai.services.custody import NoSigningKey, SessionKeyInvalid
from tetherai.services.db import ApiToken, BrowserSession, SessionFactory, transaction


def _rows(factory: SessionFactory) -> list[BrowserSession]:
    with transaction(factory) as session:
        return list(session.scalars(select(BrowserSession)))


def test_a_session_is_found_by_its_token_which_is_stored_only_hashed(
    auth: AuthService, admin: UserInfo, session_factory: SessionFactory, clock: ManualClock
) -> None:
    tokens = auth.start_session(admin, ip="192.0.2.7")
    assert tokens.signing_key_token is None
    assert tokens.expires_at == clock.now + timedelta(hours=12)
    assert tokens.session_token not in repr(tokens) and tokens.csrf_token not in repr(tokens)
    session = auth.resolve_session(tokens.session_token)
    assert session.user == admin and not session.can_sign
    (row,) = _rows(session_factory)
    assert row.id == hashlib.sha256(tokens.session_token.encode()).hexdigest() == session.id
    assert row.csrf_sha256 == hashlib.sha256(tokens.csrf_token.encode()).hexdigest()
    other = auth.start_session(admin)
    assert other.session_token != tokens.session_token and other.csrf_token != tokens.csrf_token


def test_csrf_tokens_must_match_their_session(auth: AuthService, admin: UserInfo) -> None:
    first, second = auth.start_session(admin), auth.start_session(admin)
    session = auth.resolve_session(first.session_token)
    auth.check_csrf(session, first.csrf_token)
    for bad in (second.csrf_token, "", first.session_token, "x" * 10_000):
        with pytest.raises(CsrfFailed) as raised:
            auth.check_csrf(session, bad)
        assert raised.value.code == "auth.csrf"


def test_sessions_expire(auth: AuthService, admin: UserInfo, clock: ManualClock) -> None:
    tokens = auth.start_session(admin)
    clock.advance(hours=11, minutes=59)
    assert auth.resolve_session(tokens.session_token).last_seen_at == clock.now
    clock.advance(minutes=1)
    with pytest.raises(TokenExpired) as raised:
        auth.resolve_session(tokens.session_token)
    assert (raised.value.code, raised.value.details) == ("auth.token_expired", {"kind": "session"})


def test_last_seen_is_written_at_most_once_a_minute(
    auth: AuthService, admin: UserInfo, clock: ManualClock
) -> None:
    tokens = auth.start_session(admin)
    started = clock.now
    clock.advance(seconds=30)
    assert auth.resolve_session(tokens.session_token).last_seen_at == started
    clock.advance(seconds=30)
    assert auth.resolve_session(tokens.session_token).last_seen_at == clock.now


def test_ending_a_session(auth: AuthService, admin: UserInfo) -> None:
    tokens = auth.start_session(admin)
    auth.end_session(tokens.session_token)
    auth.end_session(tokens.session_token)  # idempotent
    auth.end_session("never issued")
    for token in (tokens.session_token, "never issued", "", "x" * 1000):
        with pytest.raises(TokenInvalid) as raised:
            auth.resolve_session(token)
        assert raised.value.details == {"kind": "session"}


def test_disabling_a_user_ends_their_sessions(auth: AuthService, admin: UserInfo) -> None:
    alice, password = add_user(auth, admin, "alice")
    tokens = auth.start_session(auth.login("alice", password))
    auth.set_enabled(alice, False, by_admin=admin)
    with pytest.raises(TokenInvalid):
        auth.resolve_session(tokens.session_token)
    with pytest.raises(AccountDisabled):
        auth.start_session(alice)
    auth.set_enabled(alice, True, by_admin=admin)
    with pytest.raises(TokenInvalid):  # re-enabling does not revive old sessions
        auth.resolve_session(tokens.session_token)


def test_a_session_can_sign_only_with_the_browsers_key(
    auth: AuthService, admin: UserInfo, session_factory: SessionFactory
) -> None:
    key = generate_private_key()
    tokens = auth.start_session(admin, signing_key=key)
    assert tokens.signing_key_token is not None
    session = auth.resolve_session(tokens.session_token)
    assert session.can_sign
    signing_key = auth.session_signing_key(session, tokens.signing_key_token)
    verify(key.public_key(), sign(signing_key, b"tx"), b"tx")
    with pytest.raises(SessionKeyInvalid):
        auth.session_signing_key(
            session, auth.start_session(admin, signing_key=key).signing_key_token or ""
        )
    with pytest.raises(NoSigningKey):
        auth.session_signing_key(auth.resolve_session(auth.start_session(admin).session_token), "x")
    auth.end_session(tokens.session_token)
    ended = [row for row in _rows(session_factory) if row.id == session.id]
    assert ended[0].wrapped_key is None  # nothing left to unwrap after sign-out


def test_api_tokens_are_shown_once_and_stored_hashed(
    auth: AuthService, admin: UserInfo, session_factory: SessionFactory, clock: ManualClock
) -> None:
    issued = auth.issue_api_token(admin, "  laptop  ")
    assert issued.token.startswith(API_TOKEN_PREFIX) and len(issued.token) > 40
    assert issued.info.name == "laptop" and issued.info.prefix == issued.token[:10]
    assert issued.info.expires_at == clock.now + timedelta(days=90)
    assert issued.token not in repr(issued)
    with transaction(session_factory) as session:
        (row,) = session.scalars(select(ApiToken))
        assert row.token_sha256 == hashlib.sha256(issued.token.encode()).hexdigest()
    found = auth.resolve_api_token(issued.token)
    assert found.user == admin and found.token.last_used_at == clock.now
    assert auth.list_api_tokens(admin) == [found.token]


def test_api_tokens_expire(auth: AuthService, admin: UserInfo, clock: ManualClock) -> None:
    issued = auth.issue_api_token(admin, "ci", expires_in_days=1)
    clock.advance(hours=23, minutes=59)
    auth.resolve_api_token(issued.token)
    clock.advance(minutes=1)
    with pytest.raises(TokenExpired) as raised:
        auth.resolve_api_token(issued.token)
    assert raised.value.details == {"kind": "api_token"}


@pytest.mark.parametrize("token", ["", "tth_", "tth_unknown", "no prefix", "tth_" + "a" * 300])
def test_unknown_api_tokens_are_refused(auth: AuthService, admin: UserInfo, token: str) -> None:
    auth.issue_api_token(admin, "one")
    with pytest.raises(TokenInvalid) as raised:
        auth.resolve_api_token(token)
    assert raised.value.code == "auth.token_invalid"


def test_revoking_api_tokens(auth: AuthService, admin: UserInfo) -> None:
    alice, _ = add_user(auth, admin, "alice")
    bob, _ = add_user(auth, admin, "bob")
    auth.create_org("Org2")
    other_admin = auth.create_user("Org2", "admin2", "org_admin", ADMIN_PASSWORD)
    first, second = auth.issue_api_token(alice, "one"), auth.issue_api_token(alice, "two")
    for stranger in (bob, other_admin):  # cannot revoke, and cannot tell the token exists
        with pytest.raises(NotFound):
            auth.revoke_api_token(first.info.id, by=stranger)
    with pytest.raises(NotFound):
        auth.revoke_api_token(9999, by=alice)
    assert auth.revoke_api_token(first.info.id, by=alice).revoked_at is not None
    assert auth.revoke_api_token(second.info.id, by=admin).revoked_at is not None
    for issued in (first, second):
        with pytest.raises(TokenInvalid):
            auth.resolve_api_token(issued.token)
    assert [token.revoked_at is not None for token in auth.list_api_tokens(alice)] == [True, True]
    events = [entry.event for entry in auth.list_activity(admin, user=alice, limit=2).entries]
    assert events == ["token.revoked", "token.revoked"]


def test_a_disabled_users_tokens_are_revoked(auth: AuthService, admin: UserInfo) -> None:
    alice, _ = add_user(auth, admin, "alice")
    issued = auth.issue_api_token(alice, "cli")
    auth.set_enabled(alice, False, by_admin=admin)
    with pytest.raises(TokenInvalid):
        auth.resolve_api_token(issued.token)
    with pytest.raises(AccountDisabled):
        auth.issue_api_token(alice, "another")
    auth.set_enabled(alice, True, by_admin=admin)
    with pytest.raises(TokenInvalid):  # enabling brings no old credential back
        auth.resolve_api_token(issued.token)


def test_a_password_change_or_reset_revokes_every_token(auth: AuthService, admin: UserInfo) -> None:
    alice, password = add_user(auth, admin, "alice")
    tokens = [auth.issue_api_token(alice, name).token for name in ("laptop", "ci")]
    auth.change_password(alice, password, "alice's second long password")
    for token in tokens:
        with pytest.raises(TokenInvalid):
            auth.resolve_api_token(token)
    later = auth.issue_api_token(alice, "after").token
    reset = auth.create_password_reset(alice, by_admin=admin)
    with pytest.raises(TokenInvalid):  # ended when the reset began
        auth.resolve_api_token(later)
    auth.reset_password(reset.token, "alice's third long password")
    assert all(t.revoked_at is not None for t in auth.list_api_tokens(alice))


def test_a_token_lives_at_most_the_servers_limit(auth: AuthService, admin: UserInfo) -> None:
    issued = auth.issue_api_token(admin, "default")
    assert issued.info.expires_at - issued.info.created_at == timedelta(days=90)
    with pytest.raises(InvalidInput, match="1 to 90 days"):
        auth.issue_api_token(admin, "long", expires_in_days=91)


@pytest.mark.parametrize(("name", "days"), [("", None), ("x" * 101, None), ("ok", 0), ("ok", 91)])
def test_api_token_names_and_lifetimes_are_checked(
    auth: AuthService, admin: UserInfo, name: str, days: int | None
) -> None:
    with pytest.raises(InvalidInput):
        auth.issue_api_token(admin, name, expires_in_days=days)


def test_purging_sessions_that_ended_long_ago(
    auth: AuthService, admin: UserInfo, clock: ManualClock, session_factory: SessionFactory
) -> None:
    auth.start_session(admin)  # expires after 12 hours
    auth.end_session(auth.start_session(admin).session_token)  # ends now
    clock.advance(hours=13)
    later = auth.start_session(admin)  # expires 25 hours from the start
    assert auth.purge_sessions(ended_before=timedelta(days=1)) == 0
    clock.advance(days=1)  # 37 hours from the start: the first two ended more than a day ago
    assert auth.purge_sessions(ended_before=timedelta(days=1)) == 2
    remaining = [row.id for row in _rows(session_factory)]
    assert remaining == [hashlib.sha256(later.session_token.encode()).hexdigest()]
