"""Errors of sign-in and people management (issue 5). Messages never hold a password or token.

    TetherError
    └── AuthError                 auth.error
        ├── BadCredentials        auth.bad_credentials   unknown user or wrong password (one answer)
        ├── AccountLocked         auth.locked            too many failures; details["locked_until"]
        ├── AccountDisabled       auth.disabled          an org admin disabled the account
        ├── TokenInvalid          auth.token_invalid     unknown, revoked or already used token
        ├── TokenExpired          auth.token_expired     details["kind"]: session, api_token, ...
        ├── CsrfFailed            auth.csrf              the form's CSRF token does not match
        ├── WeakPassword          auth.weak_password     the password policy refused it
        ├── NotPermitted          auth.not_permitted     only an org admin of the same org may
        ├── NotFound              auth.not_found
        ├── Conflict              auth.conflict          the username or org exists already
        └── InvalidInput          auth.invalid           a name, role or number out of range

Front ends map them: 401 (bad credentials, tokens, locked, disabled), 403 (CSRF, not
permitted), 404, 409, 422.
"""

from __future__ import annotations

from tetherai.errors import TetherError

__all__ = [
    "AccountDisabled",
    "AccountLocked",
    "AuthError",
    "BadCredentials",
    "Conflict",
    "CsrfFailed",
    "InvalidInput",
    "NotFound",
    "NotPermitted",
    "TokenExpired",
    "TokenInvalid",
    "WeakPassword",
]


class AuthError(TetherError):
    code = "auth.error"


class BadCredentials(AuthError):
    code = "auth.bad_credentials"
    hint = "Check the username and password; after repeated failures the account is locked for a while."


class AccountLocked(AuthError):
    code = "auth.locked"
    hint = "Wait until the lock ends, or ask your org admin to re-enable the account."


class AccountDisabled(AuthError):
    code = "auth.disabled"
    hint = "Ask your org admin to enable your account."


class TokenInvalid(AuthError):
    code = "auth.token_invalid"
    hint = "Sign in again, or ask for a new token or link."


class TokenExpired(AuthError):
    code = "auth.token_expired"
    hint = "Sign in again, or ask for a new token or link."


class CsrfFailed(AuthError):
    code = "auth.csrf"
    hint = "Reload the page and submit the form again."


class WeakPassword(AuthError):
    code = "auth.weak_password"
    hint = "Use at least 12 characters, different from the username; a passphrase of several words works well."


class NotPermitted(AuthError):
    code = "auth.not_permitted"
    hint = "Ask an org admin of that org."


class NotFound(AuthError):
    code = "auth.not_found"


class Conflict(AuthError):
    code = "auth.conflict"


class InvalidInput(AuthError):
    code = "auth.invalid"
