"""Ed25519 and ECDSA P-256 signatures, key PEM round trips, and refusals."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tetherai.crypto import (
    Algorithm,
    PrivateKey,
    SignatureError,
    UnsupportedKeyError,
    algorithm_of,
    generate_private_key,
    load_public_key_pem,
    public_key_fingerprint,
    public_key_to_pem,
    sign,
    verify,
)

# RFC 8032 §7.1, TEST 1 (empty message).
RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
RFC8032_SIGNATURE = (
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

ALGORITHMS = list(Algorithm)


def test_algorithm_values() -> None:
    assert [a.value for a in Algorithm] == ["ed25519", "ecdsa-p256"]


def test_rfc8032_test_1() -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032_SECRET))
    raw_public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert raw_public.hex() == RFC8032_PUBLIC
    assert sign(key, b"").hex() == RFC8032_SIGNATURE
    verify(key.public_key(), bytes.fromhex(RFC8032_SIGNATURE), b"")
    with pytest.raises(SignatureError):
        verify(key.public_key(), bytes.fromhex(RFC8032_SIGNATURE), b"\x00")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_sign_and_verify(algorithm: Algorithm) -> None:
    key = generate_private_key(algorithm)
    assert algorithm_of(key) is algorithm
    assert algorithm_of(key.public_key()) is algorithm
    signature = sign(key, b"payload")
    verify(key.public_key(), signature, b"payload")


def test_default_algorithm_is_ed25519() -> None:
    assert isinstance(generate_private_key(), Ed25519PrivateKey)


def test_ecdsa_signature_is_der_over_sha256() -> None:
    key = generate_private_key(Algorithm.ECDSA_P256)
    signature = sign(key, b"payload")
    assert signature[0] == 0x30  # a DER SEQUENCE of (r, s)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    key.public_key().verify(signature, b"payload", ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_tampered_data_is_rejected(algorithm: Algorithm) -> None:
    key = generate_private_key(algorithm)
    signature = sign(key, b"payload")
    with pytest.raises(SignatureError) as caught:
        verify(key.public_key(), signature, b"payloaD")
    assert caught.value.code == "crypto.bad_signature"
    assert caught.value.details["algorithm"] == algorithm.value
    assert caught.value.details["public_key_fingerprint"] == public_key_fingerprint(
        key.public_key()
    )
    assert algorithm.value in caught.value.message


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_tampered_signature_is_rejected(algorithm: Algorithm) -> None:
    key = generate_private_key(algorithm)
    signature = bytearray(sign(key, b"payload"))
    signature[-1] ^= 0x01
    with pytest.raises(SignatureError):
        verify(key.public_key(), bytes(signature), b"payload")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("signature", [b"", b"\x30\x02garbage", b"\x00" * 64, b"\xff" * 200])
def test_malformed_signature_is_rejected(algorithm: Algorithm, signature: bytes) -> None:
    key = generate_private_key(algorithm)
    with pytest.raises(SignatureError):
        verify(key.public_key(), signature, b"payload")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_key_is_rejected(algorithm: Algorithm) -> None:
    signature = sign(generate_private_key(algorithm), b"payload")
    with pytest.raises(SignatureError):
        verify(generate_private_key(algorithm).public_key(), signature, b"payload")


def test_signature_of_the_other_algorithm_is_rejected() -> None:
    signature = sign(generate_private_key(Algorithm.ECDSA_P256), b"payload")
    with pytest.raises(SignatureError):
        verify(generate_private_key(Algorithm.ED25519).public_key(), signature, b"payload")


def test_rsa_is_refused_everywhere() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(UnsupportedKeyError, match="RSAPrivateKey"):
        algorithm_of(key)  # type: ignore[arg-type]
    with pytest.raises(UnsupportedKeyError):
        sign(key, b"payload")  # type: ignore[arg-type]
    with pytest.raises(UnsupportedKeyError):
        verify(key.public_key(), b"sig", b"payload")  # type: ignore[arg-type]
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(UnsupportedKeyError, match="RSAPublicKey") as caught:
        load_public_key_pem(pem)
    assert caught.value.code == "crypto.unsupported_key"


def test_other_curves_are_refused() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(UnsupportedKeyError, match="secp384r1"):
        algorithm_of(key)
    with pytest.raises(UnsupportedKeyError, match="secp384r1"):
        load_public_key_pem(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def test_not_a_key_is_refused() -> None:
    with pytest.raises(UnsupportedKeyError, match="str"):
        algorithm_of("not a key")  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_public_key_pem_roundtrip_and_fingerprint(algorithm: Algorithm) -> None:
    public_key = generate_private_key(algorithm).public_key()
    pem = public_key_to_pem(public_key)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    loaded = load_public_key_pem(pem)
    assert public_key_fingerprint(loaded) == public_key_fingerprint(public_key)
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_key_fingerprint(public_key) == hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ],
)
def test_garbage_public_key_pem_is_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedKeyError, match="not a PEM public key"):
        load_public_key_pem(data)


def test_private_key_pem_is_not_a_public_key() -> None:
    key: PrivateKey = generate_private_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(UnsupportedKeyError):
        load_public_key_pem(pem)


def test_unknown_public_key_algorithm_is_refused() -> None:
    # A SubjectPublicKeyInfo whose algorithm is OID 1.2.3.4.
    pem = b"-----BEGIN PUBLIC KEY-----\nMAswBQYDKgMEAwIAAQ==\n-----END PUBLIC KEY-----\n"
    with pytest.raises(UnsupportedKeyError, match="unsupported public key algorithm"):
        load_public_key_pem(pem)
