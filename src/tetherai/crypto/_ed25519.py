"""Ed25519 verification by libsodium: the one check every peer, verifier and signature worker
runs, in a module that imports nothing but PyNaCl (a worker starts in a third of the time it
takes to import ``cryptography``).

libsodium verifies Ed25519 about twice as fast as OpenSSL here (~55 µs vs ~110 µs), and
signature checks dominate committing and verifying a ledger. It is also the stricter of the
two (it refuses small-order keys and non-canonical S), and every peer runs this same function,
so they all agree.

The check is called through ``ctypes.PyDLL``, which keeps CPython's interpreter lock, on the
libsodium PyNaCl ships. PyNaCl's own bindings (cffi) give the lock up for the call, and a
thread that gives it up for 55 µs while another thread runs Python waits up to the switch
interval (5 ms) to get it back: each check then cost twice its CPU and a 5 ms stall (the
ledger benchmark's commit used ~25 % less CPU per tx with the lock kept, at the same rate).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import nacl._sodium
import nacl.bindings  # runs sodium_init() once per process
import nacl.exceptions

__all__ = ["ED25519_KEY_BYTES", "ED25519_SIGNATURE_BYTES", "ed25519_valid"]

ED25519_KEY_BYTES = 32
ED25519_SIGNATURE_BYTES = 64

_Verify = Callable[[bytes, bytes, int, bytes], int]


def _detached() -> _Verify | None:
    """libsodium's ``crypto_sign_verify_detached``, called with the interpreter lock held
    (``None`` if this PyNaCl does not export it, e.g. one linked to a system libsodium)."""
    try:
        function = ctypes.PyDLL(nacl._sodium.__file__).crypto_sign_verify_detached
    except (OSError, AttributeError):  # pragma: no cover - the pinned PyNaCl exports it
        return None
    function.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p]
    function.restype = ctypes.c_int
    return function


_VERIFY = _detached()


def ed25519_valid(raw_key: bytes, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` (64 bytes) is the Ed25519 signature of ``data`` by the 32-byte
    ``raw_key``."""
    if (
        _VERIFY is None  # pragma: no cover - the pinned PyNaCl exports the check
        or type(signature) is not bytes
        or type(raw_key) is not bytes
        or type(data) is not bytes
    ):
        return _open_valid(raw_key, signature, data)  # bytearray, memoryview, not bytes at all
    if len(signature) != ED25519_SIGNATURE_BYTES or len(raw_key) != ED25519_KEY_BYTES:
        return False  # libsodium would read past the end of either
    return _VERIFY(signature, data, len(data), raw_key) == 0


def _open_valid(raw_key: bytes, signature: bytes, data: bytes) -> bool:
    """The same check through PyNaCl's bindings (which give the interpreter lock up)."""
    try:
        if len(signature) != ED25519_SIGNATURE_BYTES:
            return False
        nacl.bindings.crypto_sign_open(bytes(signature) + bytes(data), bytes(raw_key))
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        return False
    return True
