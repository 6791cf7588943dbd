"""The one Ed25519 check: RFC 8032's own vectors, and the same answers as libsodium through
PyNaCl and as OpenSSL on any key, message and tampering."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from tetherai.crypto._ed25519 import _open_valid, ed25519_valid

# RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte).
VECTORS = [
    (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("key", "message", "signature"), VECTORS)
def test_rfc_8032_vectors(key: str, message: str, signature: str) -> None:
    raw, data, sig = bytes.fromhex(key), bytes.fromhex(message), bytes.fromhex(signature)
    assert ed25519_valid(raw, sig, data)
    assert not ed25519_valid(raw, sig, data + b"\x00")
    assert not ed25519_valid(raw, sig[:32] + bytes(32), data)


def _openssl_valid(raw: bytes, sig: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(sig, data)
    except (InvalidSignature, ValueError):
        return False
    return True


@given(
    seed=st.binary(min_size=32, max_size=32),
    data=st.binary(max_size=600),
    flip=st.one_of(st.none(), st.integers(min_value=0, max_value=64 * 8 - 1)),
    cut=st.sampled_from([None, 63, 65, 0]),
)
def test_same_answer_as_pynacl_and_openssl(
    seed: bytes, data: bytes, flip: int | None, cut: int | None
) -> None:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    sig = bytearray(key.sign(data))
    if flip is not None:
        sig[flip // 8] ^= 1 << (flip % 8)
    if cut is not None:
        sig = sig[:cut] if cut < 64 else sig + b"\x00"
    signature = bytes(sig)
    expected = flip is None and cut is None
    assert ed25519_valid(raw, signature, data) is expected
    assert _open_valid(raw, signature, data) is expected
    assert _openssl_valid(raw, signature, data) is expected


def test_other_bytes_like_values_and_wrong_sizes() -> None:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    sig = key.sign(b"data")
    # Untyped callers may pass any bytes-like value: checked as its bytes.
    assert ed25519_valid(raw, sig, bytearray(b"data"))  # type: ignore[arg-type]
    assert ed25519_valid(bytearray(raw), memoryview(sig), b"data")  # type: ignore[arg-type]
    assert not ed25519_valid(raw[:31], sig, b"data")
    assert not ed25519_valid(raw + b"\x00", sig, b"data")
    assert not ed25519_valid(raw, sig, "data")  # type: ignore[arg-type]


def test_small_order_keys_are_refused() -> None:
    """libsodium refuses a small-order public key outright (the identity point here), which
    would otherwise accept a signature of any message."""
    identity = bytes([1]) + bytes(31)
    signature = identity + bytes(32)  # R = identity, S = 0: "valid" for any message
    assert not ed25519_valid(identity, signature, b"anything")
    assert not _open_valid(identity, signature, b"anything")
