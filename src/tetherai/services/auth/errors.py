"""Errors of sign-in and people management. Messages never hold a password or token.

    TetherError
    └── AuthError                 auth.error
        ├── BadCredentials        auth.bad_credentials   Unauthenticated: unknown user or wrong
        │                                                password (one answer for both)
        ├── AccountLocked         auth.locked            Unauthenticated, 423: too many failures;
        │                                                details["locked_until"]
        ├── AccountDisabled       auth.disabled          PermissionDenied: an org admin disabled it
        ├── TokenInvalid          auth.token_invalid     Unauthenticated: unknown, revoked or used
        ├── TokenExpired          auth.token_expired     Unauthenticated; details["kind"]
        ├── CsrfFailed            auth.csrf              PermissionDenied: the form's CSRF token
        ├── WeakPassword          auth.weak_password     InvalidInput: the password policy refused it
        ├── NotPermitted          auth.not_permitted     PermissionDenied: only an org admin may
        ├── NotFound              auth.not_found         NotFound
        ├── Conflict              auth.conflict          Conflict: the username or org exists
        └── InvalidInput          auth.invalid           InvalidInput: a name, role or number

The kinds (:mod:`tetherai.errors`) give the HTTP status and exit code.
"""

from __future__ import annotations

from tetherai import errors
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


class BadCredentials(errors.Unauthenticated, AuthError):
    code = "auth.bad_credentials"
    hint = "Check the username and password; after repeated failures the account is locked for a while."


class AccountLocked(errors.Unauthenticated, AuthError):
    code = "auth.locked"
    http_status = 423
    hint = "Wait until the lock ends, or ask your org admin to re-enable the account."


class AccountDisabled(errors.PermissionDenied, AuthError):
    code = "auth.disabled"
    hint = "Ask your org admin to enable your account."


class TokenInvalid(errors.Unauthenticated, AuthError):
    code = "auth.token_invalid"
    hint = "Sign in again, or ask for a new token or link."


class TokenExpired(errors.Unauthenticated, AuthError):
    code = "auth.token_expired"
    hint = "Sign in again, or ask for a new token or link."


class CsrfFailed(errors.PermissionDenied, AuthError):
    code = "auth.csrf"
    hint = "Reload the page and submit the form again."


class WeakPassword(errors.InvalidInput, AuthError):
    code = "auth.weak_password"
    hint = "Use at least 12 characters, different from the username; a passphrase of several words works well."


class NotPermitted(errors.PermissionDenied, AuthError):
    code = "auth.not_permitted"
    hint = "Ask an org admin of that org."


class NotFound(errors.NotFound, AuthError):
    code = "auth.not_found"


class Conflict(errors.Conflict, AuthError):
    code = "auth.conflict"


class InvalidInput(errors.InvalidInput, AuthError):
    code = "auth.invalid"
