"""Errors of key custody (each declares its kind for the error table).

Errors::

    TetherError
    └── CustodyError              custody.error           (500, exit 3)
        ├── UnsealFailed          custody.unseal_failed   Unauthenticated: wrong password or secret
        ├── MalformedBlob         custody.bad_blob        not a sealed/wrapped key of a known version
        ├── SessionKeyInvalid     custody.session_key     Unauthenticated: the session's key does
        │                                                 not open the blob
        ├── NoSigningKey          custody.no_key          PermissionDenied: no active sealed key
        ├── WrongPassword         custody.wrong_password  Unauthenticated
        ├── BadKey                custody.bad_key         InvalidInput: not a usable key/certificate
        ├── KeyExists             custody.key_exists      Conflict
        └── KeyNotFound           custody.not_found       NotFound
"""

from __future__ import annotations

from tetherai.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TetherError,
    Unauthenticated,
)

__all__ = [
    "BadKey",
    "CustodyError",
    "KeyExists",
    "KeyNotFound",
    "MalformedBlob",
    "NoSigningKey",
    "SessionKeyInvalid",
    "UnsealFailed",
    "WrongPassword",
]


class CustodyError(TetherError):
    code = "custody.error"
    hint = "Sign in again; if the problem persists, ask your org admin."


class UnsealFailed(Unauthenticated, CustodyError):
    code = "custody.unseal_failed"
    hint = "Check your password. If it was reset, your org admin must issue you a new key."


class MalformedBlob(CustodyError):
    code = "custody.bad_blob"
    hint = "The stored key is damaged or from an unknown version; ask your org admin."


class SessionKeyInvalid(Unauthenticated, CustodyError):
    code = "custody.session_key"
    hint = "Sign in again to unlock your signing key for this session."


class NoSigningKey(PermissionDenied, CustodyError):
    code = "custody.no_key"
    hint = "Ask your org admin to enrol you, or register a public key and sign locally."


class WrongPassword(Unauthenticated, CustodyError):
    code = "custody.wrong_password"


class BadKey(InvalidInput, CustodyError):
    code = "custody.bad_key"


class KeyExists(Conflict, CustodyError):
    code = "custody.key_exists"


class KeyNotFound(NotFound, CustodyError):
    code = "custody.not_found"
