"""The auth service: people and sign-in over the service database.

:class:`AuthService` is one object with four parts, each in its own module:

- :mod:`._people` — orgs, users, invitations, password-reset tokens, enable/disable, the
  activity log;
- :mod:`._logins` — login with lockout, password change, accepting an invitation, resetting a
  password;
- :mod:`._sessions` — browser sessions (CSRF, per-session signing keys) and API tokens.

Every admin action is checked here, not in the routes: only an enabled org admin of the same
org may invite, reset a password, enable or disable. Every login attempt and admin action is
written to the activity log, never with a password or a token.
"""

from __future__ import annotations

from tetherai.services.auth._logins import Logins
from tetherai.services.auth._people import People
from tetherai.services.auth._sessions import API_TOKEN_PREFIX, Sessions

__all__ = ["API_TOKEN_PREFIX", "AuthService"]


class AuthService(People, Logins, Sessions):
    """People and sign-in.

    Args:
        session_factory: from :func:`tetherai.services.db.make_session_factory` (for writes).
        clock: the current time, as an aware datetime.
        settings: ``lockout_attempts``, ``lockout_minutes``, ``session_hours``,
            ``api_token_days``, and ``secret_key`` (to re-seal keys on a password change).
        hashing: Argon2id costs of password hashes and re-sealed keys; tests pass cheap ones.
    """
