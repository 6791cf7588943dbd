"""People: orgs, users, invitations, password resets and changes, enable/disable, the log.

Every admin action is checked by the service: only an enabled org admin of the same org.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.unit.services.conftest import ADMIN_PASSWORD, ManualClock, add_user
from tetherai.crypto.signature import generate_private_key
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_to_pem
from tetherai.identity.roles import Role
from tetherai.services.auth import (
    AccountDisabled,
    AccountLocked,
    AuthError,
    AuthService,
    BadCredentials,
    Conflict,
    InvalidInput,
    NotFound,
    NotPermitted,
    TokenExpired,
    TokenInvalid,
    UserInfo,
    WeakPassword,
)
from tetherai.services.custody import KeyCustody, NoSigningKey, UnsealFailed
from tetherai.services.db import ActivityLogEntry, SessionFactory, transaction


def test_orgs(auth: AuthService) -> None:
    org = auth.create_org("Org1", "Org One")
    assert (org.id, org.name) == ("Org1", "Org One")
    with pytest.raises(Conflict):
        auth.create_org("Org1")
    with pytest.raises(InvalidInput) as raised:
        auth.create_org("-bad name")
    assert raised.value.code == "auth.invalid"


def test_creating_users(auth: AuthService, admin: UserInfo) -> None:
    alice = auth.create_user(
        "Org1", "alice", Role.MLOPS_ENGINEER, "alice's long password", by_admin=admin
    )
    assert (alice.org, alice.role, alice.enabled, alice.has_password) == (
        "Org1",
        Role.MLOPS_ENGINEER,
        True,
        True,
    )
    assert auth.get_user_by_username("alice") == auth.get_user(alice.id) == alice
    with pytest.raises(Conflict):
        auth.create_user("Org1", "alice", "stakeholder", "another long password")
    with pytest.raises(NotFound):
        auth.create_user("Org9", "bob", "stakeholder", "another long password")
    with pytest.raises(NotFound):
        auth.get_user_by_username("nobody")
    with pytest.raises(NotFound):
        auth.get_user(9999)
    for role in ("operator", "root", ""):
        with pytest.raises(InvalidInput, match="unknown role"):
            auth.create_user("Org1", "bob", role, "another long password")
    for name in ("", "a b", "x" * 65, ".hidden"):
        with pytest.raises(InvalidInput):
            auth.create_user("Org1", name, "stakeholder", "another long password")


def test_listing_users_of_an_org(auth: AuthService, admin: UserInfo) -> None:
    alice, _ = add_user(auth, admin, "alice")
    auth.create_org("Org2")
    stranger = auth.create_user("Org2", "eve", "ai_engineer", "eve's long password")
    assert [user.username for user in auth.list_users("Org1", viewer=admin)] == ["admin", "alice"]
    assert [user.username for user in auth.list_users("Org1", viewer=admin, limit=1, offset=1)] == [
        "alice"
    ]
    for outsider in (stranger, alice):  # who works where is for the org's admins
        with pytest.raises(NotPermitted):
            auth.list_users("Org1", viewer=outsider)
    with pytest.raises(InvalidInput):
        auth.list_users("Org1", viewer=admin, limit=0)


# --------------------------------------------------------------------------- permissions


@pytest.fixture
def outsiders(auth: AuthService, admin: UserInfo) -> dict[str, UserInfo]:
    """Users who must not administer Org1's users."""
    people = {role: add_user(auth, admin, role, role)[0] for role in (
        "ai_engineer", "mlops_engineer", "stakeholder", "auditor"
    )}  # fmt: skip
    auth.create_org("Org2")
    people["admin of Org2"] = auth.create_user("Org2", "admin2", "org_admin", ADMIN_PASSWORD)
    disabled_admin, _ = add_user(auth, admin, "former_admin", "org_admin")
    auth.set_enabled(disabled_admin, False, by_admin=admin)
    people["disabled admin"] = disabled_admin
    return people


ADMIN_ACTIONS: dict[str, Callable[[AuthService, UserInfo, UserInfo], object]] = {
    "invite": lambda auth, actor, _: auth.invite("Org1", "newcomer", "stakeholder", actor),
    "create user": lambda auth, actor, _: auth.create_user(
        "Org1", "newcomer", "stakeholder", "a long password!", by_admin=actor
    ),
    "reset password": lambda auth, actor, target: auth.create_password_reset(
        target, by_admin=actor
    ),
    "disable": lambda auth, actor, target: auth.set_enabled(target, False, by_admin=actor),
    "enable": lambda auth, actor, target: auth.set_enabled(target, True, by_admin=actor),
}


@pytest.mark.parametrize("action", ADMIN_ACTIONS)
def test_only_an_enabled_admin_of_the_same_org_administers_users(
    auth: AuthService, admin: UserInfo, outsiders: dict[str, UserInfo], action: str
) -> None:
    target, _ = add_user(auth, admin, "target")
    for who, actor in outsiders.items():
        with pytest.raises(NotPermitted) as raised:
            ADMIN_ACTIONS[action](auth, actor, target)
        assert raised.value.code == "auth.not_permitted", who
    ADMIN_ACTIONS[action](auth, admin, target)  # the org's admin may


def test_an_admin_cannot_disable_themselves(auth: AuthService, admin: UserInfo) -> None:
    with pytest.raises(NotPermitted, match="your own account"):
        auth.set_enabled(admin, False, by_admin=admin)


# --------------------------------------------------------------------------- invitations


def test_an_invitation_lets_the_user_set_a_password_once(
    auth: AuthService, admin: UserInfo
) -> None:
    invitation = auth.invite("Org1", "alice", "ai_engineer", admin, display_name="Alice A.")
    assert invitation.user.has_password is False and invitation.user.display_name == "Alice A."
    assert invitation.token not in repr(invitation)
    with pytest.raises(WeakPassword):
        auth.accept_invitation(invitation.token, "too short")
    alice = auth.accept_invitation(invitation.token, "alice's long password")  # still usable
    assert alice.has_password and auth.login("alice", "alice's long password") == alice
    with pytest.raises(TokenInvalid) as raised:
        auth.accept_invitation(invitation.token, "another long password")
    assert raised.value.details == {"kind": "invitation"}


def test_invitations_expire(auth: AuthService, admin: UserInfo, clock: ManualClock) -> None:
    invitation = auth.invite("Org1", "alice", "ai_engineer", admin, expires_in_hours=1)
    clock.advance(hours=1)
    with pytest.raises(TokenExpired, match="ask your org admin"):
        auth.accept_invitation(invitation.token, "alice's long password")


def test_inviting_again_replaces_the_pending_invitation(auth: AuthService, admin: UserInfo) -> None:
    first = auth.invite("Org1", "alice", "ai_engineer", admin)
    second = auth.invite("Org1", "alice", "mlops_engineer", admin)
    assert second.user.id == first.user.id and second.user.role == Role.MLOPS_ENGINEER
    with pytest.raises(TokenInvalid):
        auth.accept_invitation(first.token, "alice's long password")
    auth.accept_invitation(second.token, "alice's long password")
    with pytest.raises(Conflict):  # she has a password now
        auth.invite("Org1", "alice", "ai_engineer", admin)


def test_a_disabled_invitee_cannot_accept(auth: AuthService, admin: UserInfo) -> None:
    invitation = auth.invite("Org1", "alice", "ai_engineer", admin)
    auth.set_enabled(invitation.user, False, by_admin=admin)
    with pytest.raises(AccountDisabled):
        auth.accept_invitation(invitation.token, "alice's long password")


@pytest.mark.parametrize("hours", [0, 721])
def test_one_time_links_live_one_hour_to_thirty_days(
    auth: AuthService, admin: UserInfo, hours: int
) -> None:
    with pytest.raises(InvalidInput):
        auth.invite("Org1", "alice", "ai_engineer", admin, expires_in_hours=hours)
    with pytest.raises(InvalidInput):
        auth.create_password_reset(admin, by_admin=admin, expires_in_hours=hours)


# --------------------------------------------------------------------------- passwords


def _enrol(custody: KeyCustody, user: UserInfo, password: str) -> str:
    key = generate_private_key()
    now = datetime(2026, 9, 21, tzinfo=UTC)
    ca = CertificateAuthority.create(user.org, now=now)
    certificate = ca.issue(
        participant_id=user.username, role=user.role, public_key=key.public_key(), now=now
    )
    pem = certificate_to_pem(certificate).decode()
    return custody.store_key(user.id, key, password=password, certificate_pem=pem).cert_sha256


def test_a_password_reset_by_an_admin(
    auth: AuthService, admin: UserInfo, custody: KeyCustody, clock: ManualClock
) -> None:
    alice, old_password = add_user(auth, admin, "alice")
    _enrol(custody, alice, old_password)
    session = auth.start_session(alice)
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login("alice", "a wrong password")
    reset = auth.create_password_reset(alice, by_admin=admin)
    assert reset.expires_at == clock.now.replace(day=22)
    done = auth.reset_password(reset.token, "alice's new password")
    assert done.signing_key_retired and done.user.cert_sha256 is None
    assert auth.login("alice", "alice's new password").id == alice.id  # the lockout is lifted
    with pytest.raises(BadCredentials):
        auth.login("alice", old_password)
    with pytest.raises(TokenInvalid):
        auth.resolve_session(session.session_token)
    with pytest.raises(TokenInvalid):
        auth.reset_password(reset.token, "yet another password")
    with pytest.raises(NoSigningKey):  # the old key was sealed under the old password
        custody.unseal_key(alice.id, "alice's new password")


def test_a_newer_reset_link_replaces_the_older_one(
    auth: AuthService, admin: UserInfo, clock: ManualClock
) -> None:
    alice, _ = add_user(auth, admin, "alice")
    first = auth.create_password_reset(alice, by_admin=admin)
    second = auth.create_password_reset(alice, by_admin=admin, expires_in_hours=1)
    with pytest.raises(TokenInvalid):
        auth.reset_password(first.token, "alice's new password")
    clock.advance(hours=2)
    with pytest.raises(TokenExpired):
        auth.reset_password(second.token, "alice's new password")
    done = auth.reset_password(
        auth.create_password_reset(alice, by_admin=admin).token, "a new long one!"
    )
    assert not done.signing_key_retired


def test_changing_a_password_reseals_the_key_and_ends_sessions(
    auth: AuthService, admin: UserInfo, custody: KeyCustody
) -> None:
    alice, password = add_user(auth, admin, "alice")
    cert_sha256 = _enrol(custody, alice, password)
    session = auth.start_session(alice)
    changed = auth.change_password(alice, password, "alice's newer password")
    assert changed.cert_sha256 == cert_sha256
    custody.unseal_key(alice.id, "alice's newer password")
    with pytest.raises(UnsealFailed):
        custody.unseal_key(alice.id, password)
    with pytest.raises(TokenInvalid):
        auth.resolve_session(session.session_token)
    with pytest.raises(BadCredentials):
        auth.login("alice", password)
    with pytest.raises(WeakPassword):
        auth.change_password(alice, "alice's newer password", "short")


def test_guessing_the_old_password_counts_as_failed_logins(
    auth: AuthService, admin: UserInfo
) -> None:
    alice, password = add_user(auth, admin, "alice")
    codes = []
    for _ in range(5):
        with pytest.raises(AuthError) as raised:
            auth.change_password(alice, "a guessed password", "a brand new password")
        codes.append(raised.value.code)
    assert codes == ["auth.bad_credentials"] * 4 + ["auth.locked"]
    with pytest.raises(AccountLocked):
        auth.change_password(alice, password, "a brand new password")
    with pytest.raises(AccountLocked):
        auth.login("alice", password)


# --------------------------------------------------------------------------- enable/disable


def test_enabling_lifts_a_lockout(auth: AuthService, admin: UserInfo) -> None:
    alice, password = add_user(auth, admin, "alice")
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.login("alice", "a wrong password")
    assert auth.get_user(alice).locked_until is not None
    auth.set_enabled(alice, False, by_admin=admin)
    enabled = auth.set_enabled(alice, True, by_admin=admin)
    assert enabled.enabled and enabled.locked_until is None
    assert auth.login("alice", password).id == alice.id


# --------------------------------------------------------------------------- activity log


def test_activity_is_paged_newest_first(auth: AuthService, admin: UserInfo) -> None:
    for number in range(25):
        auth.record("project.viewed", user=admin, ip="192.0.2.1", detail={"number": number})
    seen: list[int] = []
    before = None
    while True:
        page = auth.list_activity(admin, limit=10, before=before)
        seen += [entry.id for entry in page.entries]
        if page.next_before is None:
            break
        before = page.next_before
    assert (
        seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 25 + 2
    )  # with org.created, user.created
    newest = auth.list_activity(admin, limit=1).entries[0]
    assert (newest.event, newest.detail, newest.ip) == (
        "project.viewed",
        {"number": 24},
        "192.0.2.1",
    )
    with pytest.raises(InvalidInput):
        auth.list_activity(admin, limit=501)
    with pytest.raises(InvalidInput):
        auth.list_activity(admin, before=0)


def test_who_sees_which_activity(auth: AuthService, admin: UserInfo) -> None:
    alice, _ = add_user(auth, admin, "alice")
    bob, bob_password = add_user(auth, admin, "bob")
    auth.login("bob", bob_password)
    with pytest.raises(BadCredentials):
        auth.login("nobody", "a wrong password")
    auth.create_org("Org2")
    other_admin = auth.create_user("Org2", "admin2", "org_admin", ADMIN_PASSWORD)

    def users(viewer: UserInfo, user: UserInfo | None = None) -> set[str | None]:
        page = auth.list_activity(viewer, user=user, limit=500)
        return {entry.username for entry in page.entries}

    assert users(admin) == {None, "admin", "alice", "bob"}  # the org's own lines (org.created)
    assert users(alice) == {"alice"}
    assert users(admin, user=bob) == {"bob"}
    assert users(other_admin) == {None, "admin2"}
    for viewer, user in ((alice, bob), (other_admin, bob)):
        with pytest.raises(NotPermitted):
            auth.list_activity(viewer, user=user)
    admin_events = [entry.event for entry in auth.list_activity(admin, user=bob).entries]
    assert admin_events == ["login.ok", "invitation.accepted", "user.invited"]
    invited = auth.list_activity(admin, user=bob).entries[-1]
    assert invited.actor_id == admin.id and invited.detail == {"role": "ai_engineer"}


def test_the_log_never_holds_a_password_or_a_token(
    auth: AuthService, admin: UserInfo, session_factory: SessionFactory
) -> None:
    secrets_seen: list[str] = [ADMIN_PASSWORD]
    invitation = auth.invite("Org1", "alice", "ai_engineer", admin)
    auth.accept_invitation(invitation.token, "alice's long password")
    tokens = auth.start_session(
        auth.login("alice", "alice's long password"), signing_key=generate_private_key()
    )
    api_token = auth.issue_api_token(admin, "cli")
    reset = auth.create_password_reset(admin, by_admin=admin)
    auth.reset_password(reset.token, "admin's new long password")
    for guess in ("guess number one", "alice's long passwor"):
        with pytest.raises(AuthError):
            auth.login("alice", guess)
    auth.end_session(tokens.session_token)
    secrets_seen += [
        invitation.token,
        "alice's long password",
        tokens.session_token,
        tokens.csrf_token,
        tokens.signing_key_token or "",
        api_token.token,
        reset.token,
        "admin's new long password",
        "guess number one",
        "alice's long passwor",
    ]
    with transaction(session_factory) as session:
        rows = session.scalars(select(ActivityLogEntry)).all()
        dump = json.dumps([[row.username, row.event, row.ip, row.detail] for row in rows])
    assert len(rows) >= 10
    for secret in secrets_seen:
        assert secret not in dump
