"""Tables of people and sign-in: orgs, users, sessions, API tokens, invitations, resets, log.

DESIGN.md §6 ("users, password hashes, sessions and API tokens"). Secrets are never stored:
tokens are kept as the lowercase hex SHA-256 of the token, passwords as Argon2id hashes.
A user's participant id on the ledger is their username (:attr:`User.participant_id`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tetherai.identity.roles import Role
from tetherai.services.db.base import Base

__all__ = [
    "USER_ROLES",
    "ActivityLogEntry",
    "ApiToken",
    "BrowserSession",
    "Invitation",
    "LoginThrottle",
    "Org",
    "PasswordReset",
    "User",
]

USER_ROLES: tuple[Role, ...] = (
    Role.AI_ENGINEER,
    Role.MLOPS_ENGINEER,
    Role.STAKEHOLDER,
    Role.AUDITOR,
    Role.ORG_ADMIN,
)
"""The roles a user of the service may have (DESIGN.md §1; ``operator`` runs nodes, not users)."""

_ROLE_CHECK = "role IN ({})".format(", ".join(f"'{role.value}'" for role in USER_ROLES))


class Org(Base):
    """An organization (an MSP in Fabric words) whose users sign in here."""

    __tablename__ = "orgs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The org id on the ledger, such as ``Org1``."""
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class User(Base):
    """A person who can sign in; invited users have no password until they accept."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool]
    password_hash: Mapped[str | None] = mapped_column(String(512))
    failed_logins: Mapped[int]
    """Consecutive failed logins since the last success or lockout."""
    locked_until: Mapped[datetime | None]
    cert_sha256: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the participant's current certificate, once enrolled."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    language: Mapped[str | None] = mapped_column(String(16))
    """The language the person chose for the web pages (``None``: their browser's)."""
    email: Mapped[str | None] = mapped_column(String(254))
    """Where one-time links and notices go. Given at invitation, changed only by the person
    (with their password): an org admin cannot redirect a person's password reset."""

    @property
    def participant_id(self) -> str:
        """The user's participant id on the ledger: the username."""
        return self.username


class LoginThrottle(Base):
    """Failed-login counting for usernames that have no user.

    Unknown usernames are locked out exactly like real ones, so the answer to a login never
    tells whether a username exists.
    """

    __tablename__ = "login_throttles"

    username: Mapped[str] = mapped_column(String(200), primary_key=True)
    failed_logins: Mapped[int]
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class BrowserSession(Base):
    """A signed-in browser; ``id`` is the SHA-256 of the session cookie's token."""

    __tablename__ = "browser_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    csrf_sha256: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes | None]
    """The user's signing key wrapped under a key only the browser holds (custody)."""
    ip: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]


class ApiToken(Base):
    """A personal API token for the CLI/SDK, shown once and kept as its SHA-256."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    """The token's first characters, to recognize it in a list."""
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Invitation(Base):
    """A one-time invitation for a (password-less) user to set a password."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PasswordReset(Base):
    """A one-time password-reset token made by an org admin."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ActivityLogEntry(Base):
    """One line of the login/activity log; never holds a password or a token."""

    __tablename__ = "activity_log"
    __table_args__ = (
        Index(None, "org_id", "id"),
        Index(None, "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(200))
    """The user's username, or the username a failed login tried."""
    org_id: Mapped[str | None] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who did it, when not the user themselves (an org admin)."""
