"""Orgs, users, enabling and disabling, and the activity log."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tetherai.crypto.jcs import JSONValue
from tetherai.identity.roles import Role
from tetherai.services.auth._base import (
    ServiceBase,
    disabled,
    end_credentials,
    load_user,
    log,
    require_admin,
    sha256_hex,
    use_up,
    user_id_of,
    valid_hours,
    valid_name,
    valid_page,
    valid_role,
)
from tetherai.services.auth.errors import Conflict, InvalidInput, NotFound, NotPermitted
from tetherai.services.auth.passwords import check_password_policy
from tetherai.services.auth.records import (
    ActivityPage,
    ActivityRecord,
    IssuedInvitation,
    IssuedPasswordReset,
    OrgInfo,
    UserInfo,
    UserRef,
)
from tetherai.services.db.engine import transaction
from tetherai.services.db.people import ActivityLogEntry, Invitation, Org, PasswordReset, User
from tetherai.services.mail import check_address as valid_email


class People(ServiceBase):
    def create_org(self, org_id: str, name: str | None = None) -> OrgInfo:
        """Add an org (set-up and the demo; its first admin comes with :meth:`create_user`).

        Raises:
            InvalidInput: ``org_id`` is not a valid org id.
            Conflict: the org exists.
        """
        valid_name(org_id, "org")
        with transaction(self._sessions) as session:
            if session.get(Org, org_id) is not None:
                raise Conflict(f"org {org_id} exists already")
            row = Org(id=org_id, name=(name or org_id)[:200], created_at=self._now())
            session.add(row)
            log(session, row.created_at, "org.created", org=org_id)
            return OrgInfo.of(row)

    def create_user(
        self,
        org: str,
        username: str,
        role: Role | str,
        password: str,
        *,
        display_name: str | None = None,
        by_admin: UserRef | None = None,
    ) -> UserInfo:
        """Create a user with a password.

        Args:
            by_admin: the org admin doing it. ``None`` only for set-up (the first admin, the
                demo): routes always pass the signed-in admin.

        Raises:
            NotPermitted: ``by_admin`` is not an enabled org admin of ``org``.
            InvalidInput: bad username or role. NotFound: no such org. Conflict: taken username.
            WeakPassword: the password policy refused the password.
        """
        role = valid_role(role)
        valid_name(username, "username")
        check_password_policy(password, username)
        with transaction(self._sessions) as session:  # check first: hashing costs time
            if by_admin is not None:
                require_admin(session, by_admin, org)
            self._check_new_user(session, org, username)
        password_hash = self._passwords.hash(password)
        with transaction(self._sessions) as session:
            admin = None if by_admin is None else require_admin(session, by_admin, org)
            user = self._new_user(session, org, username, role, display_name)
            user.password_hash = password_hash
            session.flush()
            log(
                session,
                user.created_at,
                "user.created",
                user=user,
                actor=admin,
                detail={"role": role.value},
            )
            return UserInfo.of(user)

    @staticmethod
    def _check_new_user(session: Session, org: str, username: str) -> None:
        if session.get(Org, org) is None:
            raise NotFound(f"no org {org}")
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(f"the username {username} is taken", hint="Choose another username.")

    def _new_user(
        self, session: Session, org: str, username: str, role: Role, display_name: str | None
    ) -> User:
        self._check_new_user(session, org, username)
        now = self._now()
        user = User(
            username=username,
            display_name=(display_name or "").strip()[:200] or username,
            org_id=org,
            role=role.value,
            enabled=True,
            password_hash=None,
            failed_logins=0,
            locked_until=None,
            cert_sha256=None,
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        return user

    def get_user(self, user: UserRef) -> UserInfo:
        """Raises: NotFound."""
        with transaction(self._read_sessions) as session:
            return UserInfo.of(load_user(session, user))

    def get_user_by_username(self, username: str) -> UserInfo:
        """Raises: NotFound."""
        with transaction(self._read_sessions) as session:
            row = session.scalars(select(User).where(User.username == username)).first()
            if row is None:
                raise NotFound(f"no user {username}")
            return UserInfo.of(row)

    def list_users(
        self, org: str, *, viewer: UserRef, limit: int = 50, offset: int = 0
    ) -> list[UserInfo]:
        """The users of ``org`` by username, for its org admins (others see only themselves,
        through :meth:`get_user`: who works where is not everyone's business).

        Raises:
            NotPermitted: ``viewer`` is not an enabled org admin of ``org``.
            InvalidInput: ``limit`` not in 1..500 or a negative ``offset``.
        """
        valid_page(limit, offset)
        with transaction(self._read_sessions) as session:
            require_admin(session, viewer, org)
            rows = session.scalars(
                select(User)
                .where(User.org_id == org)
                .order_by(User.username)
                .limit(limit)
                .offset(offset)
            )
            return [UserInfo.of(row) for row in rows]

    def set_enabled(self, user: UserRef, enabled: bool, *, by_admin: UserRef) -> UserInfo:
        """Enable or disable a user. Disabling ends their browser sessions and revokes their
        API tokens (enabling brings none back); enabling also lifts a lockout. Their keys on
        the ledger are the caller's to revoke (``services.accounts``).

        Raises:
            NotPermitted: ``by_admin`` is not an enabled org admin of the user's org, or tries
                to disable themselves. NotFound: no such user.
        """
        with transaction(self._sessions) as session:
            target = load_user(session, user, for_update=True)
            admin = require_admin(session, by_admin, target.org_id)
            if admin.id == target.id and not enabled:
                raise NotPermitted(
                    "you cannot disable your own account", hint="Ask another org admin."
                )
            now = self._now()
            target.enabled = enabled
            target.updated_at = now
            if enabled:
                target.failed_logins, target.locked_until = 0, None
            else:
                end_credentials(session, target.id, now)
            event = "user.enabled" if enabled else "user.disabled"
            log(session, now, event, user=target, actor=admin)
            return UserInfo.of(target)

    def set_language(self, user: UserRef, language: str | None) -> UserInfo:
        """Record the language a person chose for the pages (``None``: their browser's).

        Raises:
            InvalidInput: not a language tag (letters, digits and '-', at most 16).
            NotFound: no such user.
        """
        if language is not None and not re.fullmatch(
            r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})?", language
        ):
            raise InvalidInput(f"{language[:20]!r} is not a language tag such as 'en' or 'zh'")
        with transaction(self._sessions) as session:
            row = load_user(session, user, for_update=True)
            row.language = language
            row.updated_at = self._now()
            return UserInfo.of(row)

    def invite(
        self,
        org: str,
        username: str,
        role: Role | str,
        by_admin: UserRef,
        *,
        display_name: str | None = None,
        email: str | None = None,
        expires_in_hours: int = 72,
    ) -> IssuedInvitation:
        """Create a user without a password, and a one-time token with which they set it.

        ``email`` is where the link may be sent (and later password resets): the person
        changes it themselves afterwards.

        Inviting a username again while its invitation is pending (same org) replaces the
        earlier token and takes the new role.

        Raises:
            NotPermitted: ``by_admin`` is not an enabled org admin of ``org``.
            InvalidInput. Conflict: a user who has a password (or another org's) has the name.
        """
        role = valid_role(role)
        valid_name(username, "username")
        valid_hours(expires_in_hours)
        address = None if email is None else valid_email(email)
        token = secrets.token_urlsafe(32)
        with transaction(self._sessions) as session:
            admin = require_admin(session, by_admin, org)
            now = self._now()
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None:
                user = self._new_user(session, org, username, role, display_name)
                user.email = address
                session.flush()
            elif user.password_hash is None and user.org_id == org:
                user.role, user.updated_at = role.value, now
                user.email = address or user.email
                use_up(session, Invitation, user.id, now)
            else:
                raise Conflict(f"the username {username} is taken", hint="Choose another username.")
            expires = now + timedelta(hours=expires_in_hours)
            session.add(
                Invitation(
                    token_sha256=sha256_hex(token),
                    user_id=user.id,
                    created_by_id=admin.id,
                    created_at=now,
                    expires_at=expires,
                    used_at=None,
                )
            )
            detail: dict[str, JSONValue] = {"role": role.value}
            log(session, now, "user.invited", user=user, actor=admin, detail=detail)
            return IssuedInvitation(token, UserInfo.of(user), expires)

    def create_password_reset(
        self, user: UserRef, *, by_admin: UserRef, expires_in_hours: int = 24
    ) -> IssuedPasswordReset:
        """A one-time token with which the user sets a new password (earlier ones stop working).

        Their password stops working, their sessions end and their API tokens are revoked at
        once (the account may be in someone else's hands): until the link is used nobody signs
        in as them. Their keys are revoked on the ledger in the same step
        (``services.accounts.Accounts.reset``).

        Raises:
            NotPermitted: ``by_admin`` is not an enabled org admin of the user's org.
            NotFound. InvalidInput.
        """
        valid_hours(expires_in_hours)
        token = secrets.token_urlsafe(32)
        with transaction(self._sessions) as session:
            target = load_user(session, user)
            admin = require_admin(session, by_admin, target.org_id)
            now = self._now()
            use_up(session, PasswordReset, target.id, now)
            end_credentials(session, target.id, now)
            target.password_hash, target.updated_at = None, now
            expires = now + timedelta(hours=expires_in_hours)
            session.add(
                PasswordReset(
                    token_sha256=sha256_hex(token),
                    user_id=target.id,
                    created_by_id=admin.id,
                    created_at=now,
                    expires_at=expires,
                    used_at=None,
                )
            )
            log(session, now, "password.reset_created", user=target, actor=admin)
            return IssuedPasswordReset(token, UserInfo.of(target), expires)

    def reset_pending(self, user: UserRef) -> bool:
        """Whether an unused, unexpired password reset waits for the user."""
        with transaction(self._read_sessions) as session:
            found = session.scalars(
                select(PasswordReset.id).where(
                    PasswordReset.user_id == user_id_of(user),
                    PasswordReset.used_at.is_(None),
                    PasswordReset.expires_at > self._now(),
                )
            ).first()
            return found is not None

    def void_link(self, token: str) -> None:
        """Make an invitation or reset token unusable (its e-mail could not be sent)."""
        digest = sha256_hex(token)
        with transaction(self._sessions) as session:
            now = self._now()
            use = {"used_at": now}
            session.execute(
                update(Invitation)
                .where(Invitation.token_sha256 == digest, Invitation.used_at.is_(None))
                .values(use)
            )
            session.execute(
                update(PasswordReset)
                .where(PasswordReset.token_sha256 == digest, PasswordReset.used_at.is_(None))
                .values(use)
            )

    def record(
        self,
        event: str,
        *,
        user: UserRef | None = None,
        ip: str | None = None,
        detail: dict[str, JSONValue] | None = None,
    ) -> None:
        """Add a line to the activity log (for other services' events). Never log secrets."""
        with transaction(self._sessions) as session:
            row = None if user is None else load_user(session, user)
            log(session, self._now(), event, user=row, ip=ip, detail=detail)

    def list_activity(
        self,
        viewer: UserRef,
        *,
        user: UserRef | None = None,
        limit: int = 50,
        before: int | None = None,
    ) -> ActivityPage:
        """Activity, newest first, a page at a time (keyset: pass ``next_before`` as ``before``).

        An org admin sees their org's activity (or one of its users'); anyone else sees only
        their own. Failed logins for usernames that do not exist belong to no org and are
        listed to nobody here.

        Raises:
            NotPermitted: a non-admin asks for someone else's, or an admin for another org's user.
            AccountDisabled: ``viewer`` is disabled. InvalidInput: ``limit`` not in 1..500.
        """
        valid_page(limit, 0)
        if before is not None and before < 1:
            raise InvalidInput("'before' must be an entry id from a previous page")
        with transaction(self._read_sessions) as session:
            me = load_user(session, viewer)
            if not me.enabled:
                raise disabled()
            query = select(ActivityLogEntry)
            if user is not None:
                target = load_user(session, user)
                admin_of_target = me.role == Role.ORG_ADMIN and me.org_id == target.org_id
                if target.id != me.id and not admin_of_target:
                    raise NotPermitted("you may see only your own activity")
                query = query.where(ActivityLogEntry.user_id == target.id)
            elif me.role == Role.ORG_ADMIN:
                query = query.where(ActivityLogEntry.org_id == me.org_id)
            else:
                query = query.where(ActivityLogEntry.user_id == me.id)
            if before is not None:
                query = query.where(ActivityLogEntry.id < before)
            query = query.order_by(ActivityLogEntry.id.desc()).limit(limit + 1)
            rows = list(session.scalars(query))
            entries = tuple(ActivityRecord.of(row) for row in rows[:limit])
            return ActivityPage(entries, entries[-1].id if len(rows) > limit else None)
