"""What every part of :class:`~tetherai.services.auth.service.AuthService` shares: its
collaborators, the activity log writer, loaders that check who may do what, validators."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tetherai.crypto.jcs import JSONValue
from tetherai.identity.certificate import validate_name
from tetherai.identity.errors import IdentityError
from tetherai.identity.roles import Role
from tetherai.services.auth._cache import CredentialCache, forget_on_credential_writes
from tetherai.services.auth.errors import (
    AccountDisabled,
    InvalidInput,
    NotFound,
    NotPermitted,
    TokenExpired,
    TokenInvalid,
)
from tetherai.services.auth.passwords import PasswordHashing
from tetherai.services.auth.records import AuthenticatedToken, SessionInfo, UserRef
from tetherai.services.custody import DEFAULT_ARGON2, Argon2Parameters, Clock
from tetherai.services.db.engine import SessionFactory, reading
from tetherai.services.db.keys import SealedKey
from tetherai.services.db.people import (
    USER_ROLES,
    ActivityLogEntry,
    ApiToken,
    BrowserSession,
    Invitation,
    LoginThrottle,
    PasswordReset,
    User,
)
from tetherai.services.settings import Settings

MAX_TOKEN_LENGTH = 256
TOUCH_EVERY = timedelta(minutes=1)
"""Last-seen and last-used times are refreshed at most this often (a write per minute, not per
request)."""
MAX_USERNAME_TRIED = 200


class ServiceBase:
    """Collaborators of the auth service (see ``AuthService`` for the arguments)."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        clock: Clock,
        settings: Settings,
        hashing: Argon2Parameters = DEFAULT_ARGON2,
    ) -> None:
        self._sessions = session_factory
        self._read_sessions = reading(session_factory)
        self._clock = clock
        self._settings = settings
        self._kdf = hashing
        self._passwords = PasswordHashing(hashing)
        ttl = timedelta(seconds=settings.auth_cache_seconds)
        self._session_cache: CredentialCache[SessionInfo] = CredentialCache(ttl)
        self._token_cache: CredentialCache[AuthenticatedToken] = CredentialCache(ttl)
        # A committed write to the people tables through this factory may revoke or change
        # a credential: forget them all (such writes are rare).
        forget_on_credential_writes(session_factory, self._forget_credentials)

    def _forget_credentials(self) -> None:
        self._session_cache.clear()
        self._token_cache.clear()

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now


def sha256_hex(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_id_of(user: UserRef) -> int:
    return user if isinstance(user, int) else user.id


def clip(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


def valid_name(value: str, what: str) -> None:
    """Raises: InvalidInput (an org or username must be a valid ledger name)."""
    try:
        validate_name(value, what)
    except IdentityError as error:
        raise InvalidInput(error.message, hint=error.hint, details=error.details) from error


def valid_role(role: Role | str) -> Role:
    """Raises: InvalidInput (not one of the user roles)."""
    try:
        parsed = Role(role)
    except ValueError:
        parsed = None
    if parsed is None or parsed not in USER_ROLES:
        raise InvalidInput(
            f"unknown role {role!r}: use one of {', '.join(r.value for r in USER_ROLES)}"
        )
    return parsed


def valid_hours(hours: int) -> None:
    if not 1 <= hours <= 24 * 30:
        raise InvalidInput("a one-time link must expire in 1 to 720 hours")


def valid_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidInput("a page holds 1 to 500 entries, from a non-negative offset")


_INVALID = {
    "session": "your session has ended: sign in again",
    "api_token": "the API token is not valid (unknown or revoked)",
    "invitation": "the invitation is not valid (unknown or already used)",
    "password_reset": "the password-reset link is not valid (unknown or already used)",
}
_EXPIRED = {
    "session": "your session has expired: sign in again",
    "api_token": "the API token has expired: create a new one",
    "invitation": "the invitation has expired: ask your org admin for a new one",
    "password_reset": "the password-reset link has expired: ask your org admin for a new one",
}


def token_invalid(kind: str) -> TokenInvalid:
    return TokenInvalid(_INVALID[kind], details={"kind": kind})


def token_expired(kind: str) -> TokenExpired:
    return TokenExpired(_EXPIRED[kind], details={"kind": kind})


def disabled() -> AccountDisabled:
    return AccountDisabled("this account is disabled")


def load_user(session: Session, user: UserRef, *, for_update: bool = False) -> User:
    """Raises: NotFound."""
    row = session.get(User, user_id_of(user), with_for_update=True if for_update else None)
    if row is None:
        raise NotFound(f"no user with id {user_id_of(user)}")
    return row


def require_admin(session: Session, by_admin: UserRef, org: str) -> User:
    """The acting user, if they are an enabled org admin of ``org``.

    Raises:
        NotPermitted: they are not (or do not exist).
    """
    admin = session.get(User, user_id_of(by_admin))
    if admin is None or not admin.enabled or admin.role != Role.ORG_ADMIN or admin.org_id != org:
        raise NotPermitted(f"only an org admin of {org} may do this")
    return admin


def throttle(session: Session, username: str, now: datetime) -> LoginThrottle:
    """The failure counter of a username that has no user (created on first use)."""
    key = username[:MAX_USERNAME_TRIED]
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():  # another login may create it at the same moment
            row = LoginThrottle(username=key, failed_logins=0, locked_until=None, updated_at=now)
            session.add(row)
    except IntegrityError:
        row = session.get(LoginThrottle, key, with_for_update=True)
        assert row is not None
    return row


def active_sealed_keys(user_id: int) -> Select[SealedKey]:
    return (
        select(SealedKey)
        .where(SealedKey.user_id == user_id, SealedKey.retired_at.is_(None))
        .order_by(SealedKey.id)
    )


def end_sessions(session: Session, user_id: int, now: datetime) -> None:
    """End every browser session of a user (and forget their wrapped keys)."""
    session.execute(
        update(BrowserSession)
        .where(BrowserSession.user_id == user_id, BrowserSession.revoked_at.is_(None))
        .values(revoked_at=now, wrapped_key=None)
    )


def end_credentials(session: Session, user_id: int, now: datetime) -> int:
    """End every browser session and revoke every API token of a user (a password change or
    reset, disabling): nothing made with the old password outlives it. Returns how many
    tokens were revoked."""
    end_sessions(session, user_id, now)
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def use_up(
    session: Session, table: type[Invitation] | type[PasswordReset], user_id: int, now: datetime
) -> None:
    """Make a user's pending one-time tokens of a kind unusable (a new one replaces them)."""
    session.execute(
        update(table).where(table.user_id == user_id, table.used_at.is_(None)).values(used_at=now)
    )


def log(
    session: Session,
    at: datetime,
    event: str,
    *,
    user: User | None = None,
    username: str | None = None,
    org: str | None = None,
    actor: User | None = None,
    ip: str | None = None,
    detail: dict[str, JSONValue] | None = None,
) -> None:
    """Add a line to the activity log. Callers never put a password or a token in ``detail``."""
    session.add(
        ActivityLogEntry(
            at=at,
            user_id=None if user is None else user.id,
            username=clip(user.username if user is not None else username, MAX_USERNAME_TRIED),
            org_id=user.org_id if user is not None else org,
            event=event[:64],
            ip=clip(ip, 64),
            detail=dict(detail or {}),
            actor_id=None if actor is None else actor.id,
        )
    )
