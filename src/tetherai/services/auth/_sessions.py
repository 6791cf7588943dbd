"""Browser sessions (with CSRF tokens and per-session signing keys) and personal API tokens.

A token is ``secrets.token_urlsafe(32)`` (256 bits); the database keeps its SHA-256 only, so a
copy of the database cannot be used to sign in. API tokens start with ``tth_``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Update, delete, or_, select, update

from tetherai.crypto.jcs import JSONValue
from tetherai.crypto.signature import PrivateKey
from tetherai.identity.roles import Role
from tetherai.services.auth._base import (
    MAX_TOKEN_LENGTH,
    TOUCH_EVERY,
    ServiceBase,
    clip,
    disabled,
    load_user,
    log,
    sha256_hex,
    token_expired,
    token_invalid,
    user_id_of,
)
from tetherai.services.auth._cache import LAST_USE_ONLY
from tetherai.services.auth.errors import CsrfFailed, InvalidInput, NotFound
from tetherai.services.auth.records import (
    ApiTokenInfo,
    AuthenticatedToken,
    IssuedApiToken,
    SessionInfo,
    SessionTokens,
    UserInfo,
    UserRef,
)
from tetherai.services.custody import NoSigningKey, unwrap_for_session, wrap_for_session
from tetherai.services.db.engine import SessionFactory, transaction
from tetherai.services.db.errors import DatabaseUnavailable
from tetherai.services.db.people import ApiToken, BrowserSession

_logger = logging.getLogger(__name__)

API_TOKEN_PREFIX = "tth_"  # noqa: S105  (a public prefix, not a secret)
"""Every personal API token starts with this, so it is recognizable (and scannable) as ours."""
_SHOWN_PREFIX = len(API_TOKEN_PREFIX) + 6


class Sessions(ServiceBase):
    def start_session(
        self, user: UserRef, *, signing_key: PrivateKey | None = None, ip: str | None = None
    ) -> SessionTokens:
        """Open a browser session for a user who just logged in.

        Args:
            signing_key: the user's unsealed key (``KeyCustody.unseal_key`` with the password
                just checked). It is wrapped under a fresh per-session key, returned once as
                ``signing_key_token`` and never stored.

        Raises:
            AccountDisabled: the account is disabled. NotFound: no such user.
        """
        session_token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        key_token, wrapped = (None, None) if signing_key is None else wrap_for_session(signing_key)
        with transaction(self._sessions) as session:
            row = load_user(session, user)
            if not row.enabled:
                raise disabled()
            now = self._now()
            expires = now + timedelta(hours=self._settings.session_hours)
            session.add(
                BrowserSession(
                    id=sha256_hex(session_token),
                    user_id=row.id,
                    created_at=now,
                    expires_at=expires,
                    last_seen_at=now,
                    csrf_sha256=sha256_hex(csrf_token),
                    wrapped_key=wrapped,
                    ip=clip(ip, 64),
                    revoked_at=None,
                )
            )
            log(
                session, now, "session.started", user=row, ip=ip, detail={"can_sign": bool(wrapped)}
            )
        return SessionTokens(session_token, csrf_token, key_token, expires)

    def resolve_session(self, session_token: str) -> SessionInfo:
        """The session a browser's token belongs to, if it is still good.

        Raises:
            TokenInvalid: unknown or ended session. TokenExpired: past its expiry.
            AccountDisabled: the user was disabled.
        """
        if not 0 < len(session_token) <= MAX_TOKEN_LENGTH:
            raise token_invalid("session")
        key = sha256_hex(session_token)
        cached = self.cached_session(session_token)
        if cached is not None:
            return cached
        # Read first (no write lock on every request); touch last_seen at most once a minute.
        with transaction(self._read_sessions) as session:
            row = session.get(BrowserSession, key)
            if row is None or row.revoked_at is not None:
                raise token_invalid("session")
            now = self._now()
            if row.expires_at <= now:
                raise token_expired("session")
            user = load_user(session, row.user_id)
            if not user.enabled:
                raise disabled()
            stale = now - row.last_seen_at >= TOUCH_EVERY
            info = SessionInfo.of(row, user)
            if stale:
                info = replace(info, last_seen_at=now)
        if stale:
            _touch(
                self._sessions,
                update(BrowserSession).where(BrowserSession.id == key),
                "last_seen_at",
                now,
            )
        self._session_cache.put(
            key, info, now, until=min(info.expires_at, info.last_seen_at + TOUCH_EVERY)
        )
        return info

    def cached_session(self, session_token: str) -> SessionInfo | None:
        """The session if it was resolved a moment ago (memory only: never blocks on the
        database); ``None`` means call :meth:`resolve_session`."""
        return self._session_cache.get(sha256_hex(session_token), self._now())

    @staticmethod
    def check_csrf(session: SessionInfo, csrf_token: str) -> None:
        """Check a form's CSRF token against its session, in constant time.

        Raises:
            CsrfFailed: missing, or not this session's token.
        """
        given = sha256_hex(csrf_token) if 0 < len(csrf_token) <= MAX_TOKEN_LENGTH else ""
        if not hmac.compare_digest(given.encode(), session.csrf_sha256.encode()):
            raise CsrfFailed("the form's CSRF token does not match your session")

    @staticmethod
    def session_signing_key(session: SessionInfo, signing_key_token: str) -> PrivateKey:
        """The session user's private key, unwrapped with the browser's per-session key.

        Raises:
            NoSigningKey: the session holds no key. SessionKeyInvalid: the token does not open it.
        """
        if session.wrapped_key is None:
            raise NoSigningKey("this session cannot sign: sign in again with your password")
        return unwrap_for_session(session.wrapped_key, signing_key_token)

    def end_session(self, session_token: str, *, ip: str | None = None) -> None:
        """Sign out (idempotent: an unknown or ended session is no error)."""
        if not 0 < len(session_token) <= MAX_TOKEN_LENGTH:
            return
        with transaction(self._sessions) as session:
            row = session.get(BrowserSession, sha256_hex(session_token))
            if row is None or row.revoked_at is not None:
                return
            now = self._now()
            row.revoked_at, row.wrapped_key = now, None
            log(session, now, "session.ended", user=load_user(session, row.user_id), ip=ip)

    def purge_sessions(self, *, ended_before: timedelta = timedelta(days=30)) -> int:
        """Delete browser sessions that ended (expired or signed out) longer ago than
        ``ended_before``; return how many. Housekeeping for a periodic job.
        """
        with transaction(self._sessions) as session:
            cutoff = self._now() - ended_before
            result = session.execute(
                delete(BrowserSession).where(
                    or_(BrowserSession.expires_at < cutoff, BrowserSession.revoked_at < cutoff)
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def issue_api_token(
        self, user: UserRef, name: str, expires_in_days: int | None = None
    ) -> IssuedApiToken:
        """Create a personal API token; its plaintext is in the result, and nowhere else.

        Only a browser session made with the password may ask (the routes see to it): a token
        never makes another. A password change or reset, or disabling the person, revokes it.

        Args:
            expires_in_days: 1 to ``settings.api_token_days`` (90 by default), which is also
                the default.

        Raises:
            InvalidInput: bad name or duration. AccountDisabled. NotFound.
        """
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise InvalidInput("a token's name must be 1 to 100 characters")
        longest = self._settings.api_token_days
        days = longest if expires_in_days is None else expires_in_days
        if not 1 <= days <= longest:
            raise InvalidInput(
                f"a token must expire in 1 to {longest} days (this server's limit)",
                details={"max_days": longest},
            )
        token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        with transaction(self._sessions) as session:
            row = load_user(session, user)
            if not row.enabled:
                raise disabled()
            now = self._now()
            record = ApiToken(
                user_id=row.id,
                name=name,
                token_sha256=sha256_hex(token),
                prefix=token[:_SHOWN_PREFIX],
                created_at=now,
                expires_at=now + timedelta(days=days),
                last_used_at=None,
                revoked_at=None,
            )
            session.add(record)
            session.flush()
            detail: dict[str, JSONValue] = {
                "token_id": record.id,
                "name": name,
                "prefix": record.prefix,
            }
            log(session, now, "token.issued", user=row, detail=detail)
            return IssuedApiToken(token, ApiTokenInfo.of(record))

    def resolve_api_token(self, token: str) -> AuthenticatedToken:
        """The user an API token signs in, if the token is still good.

        Raises:
            TokenInvalid: unknown or revoked. TokenExpired. AccountDisabled.
        """
        if not token.startswith(API_TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            raise token_invalid("api_token")
        cached = self.cached_api_token(token)
        if cached is not None:
            return cached
        # Read first (no write lock on every request); touch last_used at most once a minute.
        key = sha256_hex(token)
        with transaction(self._read_sessions) as session:
            row = session.scalars(select(ApiToken).where(ApiToken.token_sha256 == key)).first()
            if row is None or row.revoked_at is not None:
                raise token_invalid("api_token")
            now = self._now()
            if row.expires_at <= now:
                raise token_expired("api_token")
            user = load_user(session, row.user_id)
            if not user.enabled:
                raise disabled()
            stale = row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY
            token_id = row.id
            info = ApiTokenInfo.of(row)
            result = AuthenticatedToken(
                UserInfo.of(user), replace(info, last_used_at=now) if stale else info
            )
        if stale:
            _touch(
                self._sessions, update(ApiToken).where(ApiToken.id == token_id), "last_used_at", now
            )
        used = result.token.last_used_at or now
        self._token_cache.put(
            key, result, now, until=min(result.token.expires_at, used + TOUCH_EVERY)
        )
        return result

    def cached_api_token(self, token: str) -> AuthenticatedToken | None:
        """The token's user if it was resolved a moment ago (memory only); ``None`` means call
        :meth:`resolve_api_token`."""
        if not token.startswith(API_TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            return None
        return self._token_cache.get(sha256_hex(token), self._now())

    def list_api_tokens(self, user: UserRef) -> list[ApiTokenInfo]:
        """A user's API tokens, oldest first, revoked and expired ones included."""
        with transaction(self._sessions) as session:
            rows = session.scalars(
                select(ApiToken).where(ApiToken.user_id == user_id_of(user)).order_by(ApiToken.id)
            )
            return [ApiTokenInfo.of(row) for row in rows]

    def revoke_api_token(self, token_id: int, *, by: UserRef) -> ApiTokenInfo:
        """Revoke a token: its owner, or an enabled org admin of the owner's org, may.

        Raises:
            NotFound: no such token, or not one that ``by`` may revoke (no hint it exists).
        """
        with transaction(self._sessions) as session:
            row = session.get(ApiToken, token_id)
            actor = load_user(session, by)
            owner = None if row is None else load_user(session, row.user_id)
            allowed = (
                owner is not None
                and actor.enabled
                and (
                    actor.id == owner.id
                    or (actor.role == Role.ORG_ADMIN and actor.org_id == owner.org_id)
                )
            )
            if row is None or owner is None or not allowed:
                raise NotFound(f"no API token {token_id}")
            if row.revoked_at is None:
                row.revoked_at = self._now()
                log(
                    session,
                    row.revoked_at,
                    "token.revoked",
                    user=owner,
                    actor=None if actor.id == owner.id else actor,
                    detail={"token_id": row.id, "prefix": row.prefix},
                )
            return ApiTokenInfo.of(row)


def _touch(sessions: SessionFactory, statement: Update, column: str, now: datetime) -> None:
    """Record when a credential was last used; best effort. The time is advisory (shown to
    people, never checked), so a write lock held past the busy timeout by a burst of other
    writers (the projection follower, under load) must not fail the request it rides on."""
    try:
        with transaction(sessions) as session:
            session.execute(
                statement.values({column: now}), execution_options={LAST_USE_ONLY: True}
            )
    except DatabaseUnavailable:
        _logger.warning("could not record %s (the service database is busy); will retry", column)
