"""Logins, lockout and passwords: login, change, and the one-time invitation and reset tokens.

Argon2 work (seconds of CPU at scale) never runs inside a database transaction: a first short
transaction reads what is needed, the hashing happens outside, and a second transaction writes
after re-checking that nothing changed meanwhile. On SQLite a write transaction locks the whole
database, so hashing inside one would serialize every login of the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tetherai.crypto.jcs import JSONValue
from tetherai.services.auth._base import (
    MAX_TOKEN_LENGTH,
    MAX_USERNAME_TRIED,
    ServiceBase,
    active_sealed_keys,
    disabled,
    end_credentials,
    load_user,
    log,
    sha256_hex,
    throttle,
    token_expired,
    token_invalid,
)
from tetherai.services.auth.errors import AccountLocked, AuthError, BadCredentials, Conflict
from tetherai.services.auth.passwords import check_password_policy
from tetherai.services.auth.records import PasswordResetDone, UserInfo, UserRef
from tetherai.services.custody import reseal
from tetherai.services.db.engine import transaction
from tetherai.services.db.people import Invitation, LoginThrottle, PasswordReset, User
from tetherai.services.mail import check_address

_OneTime = TypeVar("_OneTime", Invitation, PasswordReset)


@dataclass(frozen=True, slots=True)
class _Failure:
    """An error to raise once the transaction that recorded it has committed."""

    error: AuthError


def _locked(until: datetime) -> AccountLocked:
    return AccountLocked(
        "too many failed logins: this account is locked until "
        f"{until.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        details={"locked_until": until.isoformat()},
    )


def _is_locked(counter: User | LoginThrottle | None, now: datetime) -> bool:
    return counter is not None and counter.locked_until is not None and counter.locked_until > now


class Logins(ServiceBase):
    def login(self, username: str, password: str, ip: str | None = None) -> UserInfo:
        """Check a username and password; count failures, lock, log every attempt.

        Raises:
            BadCredentials: unknown username or wrong password (the same answer for both).
            AccountLocked: too many failures (this attempt may be the one that locks);
                ``details["locked_until"]`` says until when, and so does the message.
            AccountDisabled: the password was right but the account is disabled.
        """
        username = username[:MAX_USERNAME_TRIED]
        with transaction(self._sessions) as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            counter = user or session.get(LoginThrottle, username)
            seen_hash = None if user is None else user.password_hash
            locked = _is_locked(counter, self._now())
        matched = not locked and self._passwords.verify(seen_hash, password)
        new_hash = (
            self._passwords.hash(password)
            if matched and seen_hash is not None and self._passwords.needs_rehash(seen_hash)
            else None
        )
        outcome: UserInfo | _Failure
        with transaction(self._sessions) as session:
            now = self._now()
            user = session.scalars(
                select(User).where(User.username == username).with_for_update()
            ).first()
            counter = user if user is not None else throttle(session, username, now)
            if _is_locked(counter, now):
                log(session, now, "login.locked", user=user, username=username, ip=ip)
                assert counter.locked_until is not None
                outcome = _Failure(_locked(counter.locked_until))
            elif user is None or not matched or user.password_hash != seen_hash:
                outcome = _Failure(self._count_failure(session, counter, user, username, ip, now))
            elif not user.enabled:
                log(session, now, "login.disabled", user=user, ip=ip)
                outcome = _Failure(disabled())
            else:
                user.failed_logins, user.locked_until = 0, None
                if new_hash is not None:
                    user.password_hash = new_hash
                log(session, now, "login.ok", user=user, ip=ip)
                outcome = UserInfo.of(user)
        if isinstance(outcome, _Failure):
            raise outcome.error
        return outcome

    def _count_failure(
        self,
        session: Session,
        counter: User | LoginThrottle,
        user: User | None,
        username: str,
        ip: str | None,
        now: datetime,
        event: str = "login.failed",
    ) -> AuthError:
        counter.failed_logins += 1
        counter.updated_at = now
        detail: dict[str, JSONValue] = {"failures": counter.failed_logins}
        error: AuthError = BadCredentials("wrong username or password")
        if counter.failed_logins >= self._settings.lockout_attempts:
            counter.failed_logins = 0
            counter.locked_until = now + timedelta(minutes=self._settings.lockout_minutes)
            detail["locked_until"] = counter.locked_until.isoformat()
            error = _locked(counter.locked_until)
        log(session, now, event, user=user, username=username, ip=ip, detail=detail)
        return error

    def change_password(
        self, user: UserRef, old_password: str, new_password: str, *, ip: str | None = None
    ) -> UserInfo:
        """Change a password, knowing the old one. The user's sealed signing key is re-sealed
        under the new password; every browser session ends (sign in again) and every API
        token is revoked (make new ones): nothing made with the old password outlives it.

        A wrong old password counts as a failed login (so a stolen session cannot be used to
        guess the password), and a locked account cannot change it.

        Raises:
            BadCredentials: ``old_password`` is wrong. AccountLocked. AccountDisabled.
            WeakPassword: the new password is refused. NotFound: no such user.
            Conflict: the password or the keys changed meanwhile (try again).
        """
        with transaction(self._sessions) as session:
            row = load_user(session, user)
            username, seen_hash = row.username, row.password_hash
            locked, enabled = _is_locked(row, self._now()), row.enabled
            seen_keys = {key.id: key.sealed for key in session.scalars(active_sealed_keys(row.id))}
        check_password_policy(new_password, username)
        if not enabled:
            raise disabled()
        matched = not locked and self._passwords.verify(seen_hash, old_password)
        new_hash, resealed = "", dict[int, bytes]()
        if matched:
            new_hash = self._passwords.hash(new_password)
            resealed = {
                key_id: reseal(
                    blob,
                    secret=self._settings.secret_key,
                    old_password=old_password,
                    new_password=new_password,
                    user_id=username,
                    kdf=self._kdf,
                )
                for key_id, blob in seen_keys.items()
            }
        outcome: UserInfo | _Failure
        with transaction(self._sessions) as session:
            now = self._now()
            row = load_user(session, user, for_update=True)
            keys = list(session.scalars(active_sealed_keys(row.id)))
            if _is_locked(row, now):
                assert row.locked_until is not None
                outcome = _Failure(_locked(row.locked_until))
            elif not matched:
                event = "password.change_refused"
                outcome = _Failure(self._count_failure(session, row, row, username, ip, now, event))
            elif row.password_hash != seen_hash or {k.id: k.sealed for k in keys} != seen_keys:
                raise Conflict("your password or signing key changed meanwhile: try again")
            else:
                for key in keys:
                    key.sealed = resealed[key.id]
                row.password_hash = new_hash
                row.failed_logins, row.updated_at = 0, now
                tokens = end_credentials(session, row.id, now)
                log(session, now, "password.changed", user=row, ip=ip, detail={"tokens": tokens})
                outcome = UserInfo.of(row)
        if isinstance(outcome, _Failure):
            raise outcome.error
        return outcome

    def set_email(self, user: UserRef, email: str | None, password: str) -> UserInfo:
        """The person sets (or, with ``None``, removes) their own address; their password
        confirms it is them, so a borrowed session cannot redirect their password resets.

        Raises:
            BadCredentials: wrong password (counted as a failed login). MailError: not an
            address. AccountLocked. AccountDisabled.
        """
        address = None if email is None else check_address(email)
        with transaction(self._read_sessions) as session:
            seen_hash = load_user(session, user).password_hash
        if not self._passwords.verify(seen_hash, password):
            with transaction(self._sessions) as session:
                row = load_user(session, user, for_update=True)
                error = self._count_failure(
                    session, row, row, row.username, None, self._now(), "email.change_refused"
                )
            raise error
        with transaction(self._sessions) as session:
            row = load_user(session, user, for_update=True)
            if not row.enabled:
                raise disabled()
            now = self._now()
            row.email, row.updated_at = address, now
            log(session, now, "email.changed", user=row)
            return UserInfo.of(row)

    def accept_invitation(self, token: str, password: str, *, ip: str | None = None) -> UserInfo:
        """Set an invited user's password with their one-time token.

        Raises:
            TokenInvalid (unknown or used), TokenExpired, WeakPassword, AccountDisabled.
        """
        with transaction(self._sessions) as session:
            username = self._redeem(session, Invitation, token, "invitation")[1].username
        check_password_policy(password, username)
        password_hash = self._passwords.hash(password)
        with transaction(self._sessions) as session:
            invitation, user = self._redeem(session, Invitation, token, "invitation")
            now = self._now()
            invitation.used_at = now
            user.password_hash = password_hash
            user.failed_logins, user.locked_until, user.updated_at = 0, None, now
            log(session, now, "invitation.accepted", user=user, ip=ip)
            return UserInfo.of(user)

    def reset_password(
        self, token: str, new_password: str, *, ip: str | None = None
    ) -> PasswordResetDone:
        """Set a new password with a reset token; lifts a lockout, ends every session and
        revokes every API token.

        The user's sealed signing key cannot be opened without the old password, so it is
        retired (``signing_key_retired``) and the user's ``cert_sha256`` cleared: the org
        admin's reset revoked their keys on the ledger and invited a new one, which the
        caller enrols with the new password (``services.keys.enrol_web_key``).

        Raises:
            TokenInvalid (unknown or used), TokenExpired, WeakPassword, AccountDisabled.
        """
        with transaction(self._sessions) as session:
            username = self._redeem(session, PasswordReset, token, "password_reset")[1].username
        check_password_policy(new_password, username)
        password_hash = self._passwords.hash(new_password)
        with transaction(self._sessions) as session:
            reset, user = self._redeem(session, PasswordReset, token, "password_reset")
            now = self._now()
            reset.used_at = now
            user.password_hash = password_hash
            user.failed_logins, user.locked_until, user.updated_at = 0, None, now
            retired = False
            for key in session.scalars(active_sealed_keys(user.id)):
                key.retired_at, retired = now, True
            user.cert_sha256 = None
            tokens = end_credentials(session, user.id, now)
            detail: dict[str, JSONValue] = {"signing_key_retired": retired, "tokens": tokens}
            log(session, now, "password.reset", user=user, ip=ip, detail=detail)
            return PasswordResetDone(UserInfo.of(user), retired)

    def _redeem(
        self, session: Session, table: type[_OneTime], token: str, kind: str
    ) -> tuple[_OneTime, User]:
        """The token's row and user, locked, if the token may be used now."""
        if not 0 < len(token) <= MAX_TOKEN_LENGTH:
            raise token_invalid(kind)
        row = session.scalars(
            select(table).where(table.token_sha256 == sha256_hex(token)).with_for_update()
        ).first()
        if row is None or row.used_at is not None:
            raise token_invalid(kind)
        if row.expires_at <= self._now():
            raise token_expired(kind)
        user = load_user(session, row.user_id, for_update=True)
        if not user.enabled:
            raise disabled()
        return row, user
