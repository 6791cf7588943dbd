"""Key custody: sealed keys need the password *and* the server secret, for the right user only."""

from __future__ import annotations

import base64
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from tests.unit.services.conftest import FAST_ARGON2, SECRET, add_user
from tetherai.crypto.signature import (
    Algorithm,
    PrivateKey,
    generate_private_key,
    public_key_to_pem,
    sign,
    verify,
)
from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.certificate import certificate_to_pem
from tetherai.identity.roles import Role
from tetherai.services.auth import AuthService, UserInfo
from tetherai.services.custody import (
    Argon2Parameters,
    CustodyError,
    KeyCustody,
    MalformedBlob,
    NoSigningKey,
    SessionKeyInvalid,
    UnsealFailed,
    reseal,
    seal,
    unseal,
    unwrap_for_session,
    wrap_for_session,
)
from tetherai.services.db import SealedKey, make_engine, make_session_factory, transaction
from tetherai.services.settings import Settings

PASSWORD = "alice's long password"
NOW = datetime(2026, 9, 21, tzinfo=UTC)


def _raw(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _same_key(first: PrivateKey, second: PrivateKey) -> bool:
    return _raw(first) == _raw(second)


@pytest.fixture(params=[Algorithm.ED25519, Algorithm.ECDSA_P256])
def key(request: pytest.FixtureRequest) -> PrivateKey:
    return generate_private_key(request.param)


def _seal(key: PrivateKey, **changes: object) -> bytes:
    arguments: dict[str, object] = {
        "secret": SECRET,
        "password": PASSWORD,
        "user_id": "alice",
        "kdf": FAST_ARGON2,
    }
    return seal(key, **(arguments | changes))  # type: ignore[arg-type]


def test_seal_then_unseal_gives_the_key_back(key: PrivateKey) -> None:
    blob = _seal(key)
    assert blob.startswith(b"TTSK\x01\x01")
    assert _raw(key) not in blob
    opened = unseal(blob, secret=SECRET, password=PASSWORD, user_id="alice")
    assert _same_key(opened, key)
    assert _seal(key) != blob  # a fresh salt and nonce every time


@pytest.mark.parametrize(
    "changes",
    [
        {"password": "not alice's password"},
        {"secret": b"another server secret, also 32+ bytes"},
        {"user_id": "mallory"},
    ],
    ids=["wrong password", "wrong server secret", "another user's row"],
)
def test_unseal_fails_the_same_way_without_every_part(
    key: PrivateKey, changes: dict[str, object]
) -> None:
    blob = _seal(key)
    arguments = {"secret": SECRET, "password": PASSWORD, "user_id": "alice"} | changes
    with pytest.raises(UnsealFailed) as raised:
        unseal(blob, **arguments)  # type: ignore[arg-type]
    assert raised.value.code == "custody.unseal_failed"
    message = raised.value.message
    assert "secret" not in message and PASSWORD not in message  # never says which, never echoes


@pytest.mark.parametrize("position", [6, 20, 40, -1])
def test_a_tampered_blob_is_refused(key: PrivateKey, position: int) -> None:
    blob = bytearray(_seal(key))
    blob[position] ^= 0x01
    with pytest.raises((UnsealFailed, MalformedBlob)):
        unseal(bytes(blob), secret=SECRET, password=PASSWORD, user_id="alice")


@pytest.mark.parametrize(
    "blob",
    [b"", b"TTSK", b"XXXX" + bytes(60), b"TTSK\x02\x01" + bytes(60)],
    ids=["empty", "short", "magic", "version"],
)
def test_malformed_blobs_are_named_as_such(blob: bytes) -> None:
    with pytest.raises(MalformedBlob) as raised:
        unseal(blob, secret=SECRET, password=PASSWORD, user_id="alice")
    assert raised.value.code == "custody.bad_blob"


def test_costs_in_a_blob_are_bounded(key: PrivateKey) -> None:
    """A crafted blob cannot make the server spend 4 GiB or hours on one unseal."""
    blob = bytearray(_seal(key))
    blob[10:14] = (2**31).to_bytes(4, "big")  # memory cost in KiB
    with pytest.raises(MalformedBlob):
        unseal(bytes(blob), secret=SECRET, password=PASSWORD, user_id="alice")


def test_a_short_server_secret_is_refused(key: PrivateKey) -> None:
    with pytest.raises(CustodyError, match="32 bytes"):
        _seal(key, secret=b"short")


def test_reseal_moves_the_key_to_the_new_password(key: PrivateKey) -> None:
    blob = reseal(
        _seal(key),
        secret=SECRET,
        old_password=PASSWORD,
        new_password="a brand new password",
        user_id="alice",
        kdf=FAST_ARGON2,
    )
    assert _same_key(
        unseal(blob, secret=SECRET, password="a brand new password", user_id="alice"), key
    )
    with pytest.raises(UnsealFailed):
        unseal(blob, secret=SECRET, password=PASSWORD, user_id="alice")
    with pytest.raises(UnsealFailed):
        reseal(blob, secret=SECRET, old_password=PASSWORD, new_password="x" * 12, user_id="alice")


def test_the_blob_records_its_argon2_costs(key: PrivateKey) -> None:
    costs = Argon2Parameters(time_cost=2, memory_cost=2048, parallelism=2)
    blob = _seal(key, kdf=costs)
    assert int.from_bytes(blob[6:10], "big") == 2
    assert int.from_bytes(blob[10:14], "big") == 2048
    assert blob[14] == 2
    assert _same_key(unseal(blob, secret=SECRET, password=PASSWORD, user_id="alice"), key)


def test_session_wrapping_needs_the_clients_key(key: PrivateKey) -> None:
    session_key, wrapped = wrap_for_session(key)
    assert len(base64.urlsafe_b64decode(session_key + "=")) == 32
    assert _raw(key) not in wrapped
    assert _same_key(unwrap_for_session(wrapped, session_key), key)
    other_key, _ = wrap_for_session(key)
    for bad in (other_key, "", "!!not base64!!", session_key[:-4]):
        with pytest.raises(SessionKeyInvalid):
            unwrap_for_session(wrapped, bad)
    tampered = bytearray(wrapped)
    tampered[-1] ^= 1
    with pytest.raises(SessionKeyInvalid):
        unwrap_for_session(bytes(tampered), session_key)
    with pytest.raises(MalformedBlob):
        unwrap_for_session(b"TTSK" + wrapped[4:], session_key)


def test_bad_argon2_parameters_are_refused() -> None:
    for bad in ({"time_cost": 0}, {"parallelism": 0}, {"memory_cost": 4}):
        with pytest.raises(ValueError, match="Argon2"):
            Argon2Parameters(**bad)


# --------------------------------------------------------------------------- KeyCustody


def _certificate(key: PrivateKey, participant: str = "alice") -> str:
    ca = CertificateAuthority.create("Org1", now=NOW)
    certificate = ca.issue(
        participant_id=participant, role=Role.AI_ENGINEER, public_key=key.public_key(), now=NOW
    )
    return certificate_to_pem(certificate).decode()


@pytest.fixture
def alice(auth: AuthService, admin: UserInfo) -> UserInfo:
    user, password = add_user(auth, admin, "alice")
    assert password == PASSWORD
    return user


def test_store_and_unseal_a_web_users_key(
    custody: KeyCustody, auth: AuthService, alice: UserInfo
) -> None:
    key = generate_private_key(Algorithm.ECDSA_P256)
    certificate = _certificate(key)
    stored = custody.store_key(alice.id, key, password=PASSWORD, certificate_pem=certificate)
    assert stored.cert_sha256 == auth.get_user(alice).cert_sha256
    assert stored.algorithm == "ecdsa-p256" and stored.retired_at is None
    assert custody.active_key(alice.id) == stored
    opened = custody.unseal_key(alice.id, PASSWORD)
    signature = sign(opened, b"a tx")
    verify(key.public_key(), signature, b"a tx")
    with pytest.raises(UnsealFailed):
        custody.unseal_key(alice.id, "not alice's password")


def test_a_new_key_retires_the_old_one(custody: KeyCustody, alice: UserInfo) -> None:
    first, second = generate_private_key(), generate_private_key()
    old = custody.store_key(alice.id, first, password=PASSWORD, certificate_pem=_certificate(first))
    new = custody.store_key(
        alice.id, second, password=PASSWORD, certificate_pem=_certificate(second)
    )
    assert custody.active_key(alice.id) == new and new.id != old.id
    assert _same_key(custody.unseal_key(alice.id, PASSWORD), second)


def test_store_key_refuses_a_wrong_password_or_a_foreign_certificate(
    custody: KeyCustody, alice: UserInfo
) -> None:
    key, other = generate_private_key(), generate_private_key()
    with pytest.raises(CustodyError) as raised:
        custody.store_key(
            alice.id, key, password="guessed password", certificate_pem=_certificate(key)
        )
    assert raised.value.code == "custody.wrong_password"
    with pytest.raises(CustodyError) as raised:
        custody.store_key(alice.id, key, password=PASSWORD, certificate_pem=_certificate(other))
    assert raised.value.code == "custody.bad_key"
    with pytest.raises(CustodyError) as raised:
        custody.store_key(alice.id, key, password=PASSWORD, certificate_pem="not a certificate")
    assert raised.value.code == "custody.bad_key"
    with pytest.raises(NoSigningKey):
        custody.unseal_key(alice.id, PASSWORD)


def test_a_copy_of_the_database_alone_cannot_sign(
    tmp_path: Path, custody: KeyCustody, alice: UserInfo, db_url: str
) -> None:
    key = generate_private_key()
    custody.store_key(alice.id, key, password=PASSWORD, certificate_pem=_certificate(key))
    if db_url.startswith("sqlite"):  # copy the files, as a thief of a backup would
        path = Path(db_url.removeprefix("sqlite:///"))
        stolen = tmp_path / "stolen.sqlite"
        for suffix in ("", "-wal"):
            if Path(f"{path}{suffix}").exists():
                shutil.copy(f"{path}{suffix}", f"{stolen}{suffix}")
        db_url = f"sqlite:///{stolen}"
    engine = make_engine(db_url)  # PostgreSQL: the rows a dump would hold
    try:
        with transaction(make_session_factory(engine)) as session:
            blob = session.scalars(select(SealedKey.sealed)).one()
    finally:
        engine.dispose()
    assert _raw(key) not in blob
    for guess in ("password", "alice", "alice's password", "admin's long password"):
        with pytest.raises(UnsealFailed):
            unseal(
                blob, secret=b"the attacker has no server secret!!", password=guess, user_id="alice"
            )
    # even knowing the password, without the server secret nothing opens
    with pytest.raises(UnsealFailed):
        unseal(
            blob, secret=b"the attacker has no server secret!!", password=PASSWORD, user_id="alice"
        )
    assert _same_key(unseal(blob, secret=SECRET, password=PASSWORD, user_id="alice"), key)


def test_register_public_keys_for_cli_users(
    custody: KeyCustody, auth: AuthService, alice: UserInfo
) -> None:
    key = generate_private_key(Algorithm.ED25519)
    pem = public_key_to_pem(key.public_key()).decode()
    certificate = _certificate(key)
    registered = custody.registered.register_public_key(
        alice.id, pem, name=" laptop ", certificate_pem=certificate
    )
    assert registered.name == "laptop" and registered.algorithm == "ed25519"
    assert registered.cert_sha256 is not None
    assert auth.get_user(alice).cert_sha256 is None  # the web key's certificate is not repointed
    assert custody.key_names(alice.id) == {registered.cert_sha256: ("cli", "laptop")}
    assert custody.registered.list_public_keys(alice.id) == [registered]
    with pytest.raises(CustodyError) as raised:
        custody.registered.register_public_key(alice.id, pem, name="again")
    assert raised.value.code == "custody.key_exists"
    for bad in ("not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"):
        with pytest.raises(CustodyError) as raised:
            custody.registered.register_public_key(alice.id, bad, name="bad")
        assert raised.value.code == "custody.bad_key"
    retired = custody.registered.retire_public_key(alice.id, registered.id)
    assert retired.retired_at is not None
    assert custody.registered.list_public_keys(alice.id) == []
    assert custody.registered.list_public_keys(alice.id, include_retired=True) == [retired]
    with pytest.raises(CustodyError) as raised:
        custody.registered.retire_public_key(alice.id + 1000, registered.id)
    assert raised.value.code == "custody.not_found"


def test_custody_needs_a_long_server_secret(custody: KeyCustody, settings: Settings) -> None:
    with pytest.raises(CustodyError, match="32 bytes"):
        KeyCustody(
            make_session_factory(make_engine("sqlite://")),
            clock=lambda: NOW,
            settings=replace(settings, secret_key=b"short"),
        )
