"""Custody of people's ledger keys (DESIGN.md §3, §4, §6), by concern:

- :mod:`.sealing`: the sealed-key and session-wrapped formats (Argon2id + the server secret,
  AES-256-GCM); pure functions of bytes;
- :mod:`.store`: :class:`KeyCustody`, web users' sealed keys in the service database;
- :mod:`.registration`: :class:`RegisteredKeys`, the public keys people sign with on their own
  machines (the CLI, the SDK);
- :mod:`.errors`: what they raise.
"""

from tetherai.services.custody.errors import (
    BadKey,
    CustodyError,
    KeyExists,
    KeyNotFound,
    MalformedBlob,
    NoSigningKey,
    SessionKeyInvalid,
    UnsealFailed,
    WrongPassword,
)
from tetherai.services.custody.registration import RegisteredKeyInfo, RegisteredKeys
from tetherai.services.custody.sealing import (
    DEFAULT_ARGON2,
    Argon2Parameters,
    check_secret,
    reseal,
    seal,
    unseal,
    unwrap_for_session,
    wrap_for_session,
)
from tetherai.services.custody.store import Clock, KeyCustody, SealedKeyInfo

__all__ = [
    "DEFAULT_ARGON2",
    "Argon2Parameters",
    "BadKey",
    "Clock",
    "CustodyError",
    "KeyCustody",
    "KeyExists",
    "KeyNotFound",
    "MalformedBlob",
    "NoSigningKey",
    "RegisteredKeyInfo",
    "RegisteredKeys",
    "SealedKeyInfo",
    "SessionKeyInvalid",
    "UnsealFailed",
    "WrongPassword",
    "check_secret",
    "reseal",
    "seal",
    "unseal",
    "unwrap_for_session",
    "wrap_for_session",
]
