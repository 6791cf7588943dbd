"""What the auth service returns: frozen values, never ORM rows (which outlive no session)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tetherai.crypto.jcs import JSONValue
from tetherai.identity.roles import Role
from tetherai.services.db.people import ActivityLogEntry, ApiToken, BrowserSession, Org, User

__all__ = [
    "ActivityPage",
    "ActivityRecord",
    "ApiTokenInfo",
    "AuthenticatedToken",
    "IssuedApiToken",
    "IssuedInvitation",
    "IssuedPasswordReset",
    "OrgInfo",
    "PasswordResetDone",
    "SessionInfo",
    "SessionTokens",
    "UserInfo",
    "UserRef",
]


@dataclass(frozen=True, slots=True)
class OrgInfo:
    id: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, row: Org) -> OrgInfo:
        return cls(row.id, row.name, row.created_at)


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as the front ends see them (no hash, no counters)."""

    id: int
    username: str
    display_name: str
    org: str
    role: Role
    enabled: bool
    has_password: bool
    """False until an invited user accepts the invitation."""
    locked_until: datetime | None
    cert_sha256: str | None
    created_at: datetime
    updated_at: datetime
    language: str | None = None
    """The language chosen for the web pages (``None``: the browser's)."""
    email: str | None = None

    @property
    def participant_id(self) -> str:
        """The user's participant id on the ledger: the username."""
        return self.username

    @classmethod
    def of(cls, row: User) -> UserInfo:
        return cls(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            org=row.org_id,
            role=Role(row.role),
            enabled=row.enabled,
            has_password=row.password_hash is not None,
            locked_until=row.locked_until,
            cert_sha256=row.cert_sha256,
            created_at=row.created_at,
            updated_at=row.updated_at,
            language=row.language,
            email=row.email,
        )


UserRef = UserInfo | int
"""A user, by value or by database id; the service always re-reads the current row."""


@dataclass(frozen=True, slots=True)
class SessionTokens:
    """What a new browser session hands to the browser, once. The server keeps only hashes."""

    session_token: str = field(repr=False)
    csrf_token: str = field(repr=False)
    signing_key_token: str | None = field(repr=False)
    """The per-session key that unwraps the user's signing key (a second cookie), if any."""
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    """SHA-256 of the session token."""
    user: UserInfo
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    csrf_sha256: str = field(repr=False)
    wrapped_key: bytes | None = field(repr=False)

    @property
    def can_sign(self) -> bool:
        return self.wrapped_key is not None

    @classmethod
    def of(cls, row: BrowserSession, user: User) -> SessionInfo:
        return cls(
            row.id,
            UserInfo.of(user),
            row.created_at,
            row.expires_at,
            row.last_seen_at,
            row.csrf_sha256,
            row.wrapped_key,
        )


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    id: int
    user_id: int
    name: str
    prefix: str
    """The first characters of the token, to recognize it (``tth_AbC123``)."""
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> ApiTokenInfo:
        return cls(
            row.id,
            row.user_id,
            row.name,
            row.prefix,
            row.created_at,
            row.expires_at,
            row.last_used_at,
            row.revoked_at,
        )


@dataclass(frozen=True, slots=True)
class IssuedApiToken:
    token: str = field(repr=False)
    """Shown to the user once; only its SHA-256 is stored."""
    info: ApiTokenInfo


@dataclass(frozen=True, slots=True)
class AuthenticatedToken:
    user: UserInfo
    token: ApiTokenInfo


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    token: str = field(repr=False)
    """Give it to the invited person (a link); only its SHA-256 is stored."""
    user: UserInfo
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedPasswordReset:
    token: str = field(repr=False)
    user: UserInfo
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PasswordResetDone:
    user: UserInfo
    signing_key_retired: bool
    """True when the user's sealed key could not survive the reset (it was sealed under the old
    password): the org admin must issue a new certificate and revoke the old one."""


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    id: int
    at: datetime
    event: str
    user_id: int | None
    username: str | None
    org: str | None
    actor_id: int | None
    ip: str | None
    detail: dict[str, JSONValue]

    @classmethod
    def of(cls, row: ActivityLogEntry) -> ActivityRecord:
        return cls(
            row.id,
            row.at,
            row.event,
            row.user_id,
            row.username,
            row.org_id,
            row.actor_id,
            row.ip,
            dict(row.detail),
        )


@dataclass(frozen=True, slots=True)
class ActivityPage:
    entries: tuple[ActivityRecord, ...]
    """Newest first."""
    next_before: int | None
    """Pass as ``before`` for the next (older) page; ``None`` at the end."""
