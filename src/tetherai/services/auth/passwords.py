"""Password hashing (Argon2id) and the password policy.

Hashes are PHC strings (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``) that carry their own
parameters, so raising the costs later rehashes each password at its owner's next login.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

from tetherai.services.auth.errors import WeakPassword
from tetherai.services.custody import DEFAULT_ARGON2, Argon2Parameters

__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "PasswordHashing", "check_password_policy"]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def check_password_policy(password: str, username: str) -> None:
    """Refuse a password that is too short, too long, or the username itself.

    Raises:
        WeakPassword: saying which rule failed (never echoing the password).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must be at most {MAX_PASSWORD_LENGTH} characters long")
    if password.strip().casefold() == username.casefold():
        raise WeakPassword("the password must not be the username")


class PasswordHashing:
    """Argon2id hashing with given costs, and a verification that takes as long for nobody.

    ``verify(None, password)`` checks against a hash of a random password made with the same
    costs, so an unknown username costs the same time as a wrong password.
    """

    def __init__(self, parameters: Argon2Parameters = DEFAULT_ARGON2) -> None:
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_cost,
            parallelism=parameters.parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._dummy = self._hasher.hash(secrets.token_urlsafe(32))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; ``None`` (no such user, no password yet) never does."""
        try:
            matched = self._hasher.verify(password_hash or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        return matched and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other costs than the current ones."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
