"""Key and certificate files: encryption, modes, atomic writes and clear refusals."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from tetherai.crypto import Algorithm, generate_private_key, public_key_fingerprint
from tetherai.identity import (
    CertificateAuthority,
    CertificateError,
    KeyFileError,
    load_certificate,
    load_private_key,
    write_certificate,
    write_private_key,
)
from tetherai.identity.keys import _move_without_overwrite

PASSPHRASE = b"correct horse battery staple"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def umask(value: int) -> Iterator[None]:
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


def write_raw_key(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_private_key_roundtrip(tmp_path: Path, algorithm: Algorithm) -> None:
    key = generate_private_key(algorithm)
    path = tmp_path / "key.pem"
    write_private_key(path, key, PASSPHRASE)
    data = path.read_bytes()
    assert data[:1] == b"\x30"  # PKCS#12 (DER), not PEM
    assert pkcs12.load_key_and_certificates(data, PASSPHRASE)[0] is not None  # standard PKCS#12
    assert mode(path) == 0o600
    loaded = load_private_key(path, PASSPHRASE)
    assert public_key_fingerprint(loaded.public_key()) == public_key_fingerprint(key.public_key())
    assert os.listdir(tmp_path) == ["key.pem"]  # no temporary file left behind


def test_parent_directories_are_created_0700(tmp_path: Path) -> None:
    path = tmp_path / "home" / "participants" / "alice" / "key.pem"
    with umask(0o022):
        write_private_key(path, generate_private_key(), PASSPHRASE)
    for directory in (tmp_path / "home", path.parent.parent, path.parent):
        assert mode(directory) == 0o700
    assert mode(path) == 0o600


def test_modes_do_not_depend_on_the_umask(tmp_path: Path) -> None:
    certificate = CertificateAuthority.create("Org1", now=NOW).certificate
    with umask(0o000):
        write_private_key(tmp_path / "open" / "key.pem", generate_private_key(), PASSPHRASE)
    with umask(0o077):
        write_certificate(tmp_path / "strict" / "cert.pem", certificate)
    assert mode(tmp_path / "open") == 0o700
    assert mode(tmp_path / "open" / "key.pem") == 0o600
    assert mode(tmp_path / "strict" / "cert.pem") == 0o644


def test_existing_directory_is_left_alone(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    write_private_key(directory / "key.pem", generate_private_key(), PASSPHRASE)
    assert mode(directory) == 0o755


def test_overwrite_is_refused_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    first, second = generate_private_key(), generate_private_key()
    write_private_key(path, first, PASSPHRASE)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists; refusing to overwrite"):
        write_private_key(path, second, PASSPHRASE)
    assert path.read_bytes() == before
    write_private_key(path, second, PASSPHRASE, overwrite=True)
    loaded = load_private_key(path, PASSPHRASE)
    assert public_key_fingerprint(loaded.public_key()) == public_key_fingerprint(
        second.public_key()
    )
    assert mode(path) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["key.pem"]


def test_no_overwrite_holds_even_if_the_file_appears_after_the_check(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(b"new")
    target.write_bytes(b"old")
    with pytest.raises(KeyFileError, match="already exists"):
        _move_without_overwrite(source, target, KeyFileError)
    assert target.read_bytes() == b"old"


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    with pytest.raises(KeyFileError, match="empty passphrase"):
        write_private_key(path, generate_private_key(), b"")
    assert not path.exists()
    write_private_key(path, generate_private_key(), PASSPHRASE)
    with pytest.raises(KeyFileError, match="empty passphrase"):
        load_private_key(path, b"")


def test_wrong_passphrase_says_so(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    write_private_key(path, generate_private_key(Algorithm.ECDSA_P256), PASSPHRASE)
    with pytest.raises(KeyFileError, match=r"wrong passphrase for .*key\.pem") as caught:
        load_private_key(path, b"not the passphrase")
    assert caught.value.code == "identity.key_file"
    assert "passphrase" in caught.value.hint


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no key file at"):
        load_private_key(tmp_path / "absent.pem", PASSPHRASE)


@pytest.mark.parametrize("unsafe_mode", [0o644, 0o640, 0o604, 0o620, 0o666])
def test_key_readable_by_others_is_refused(tmp_path: Path, unsafe_mode: int) -> None:
    path = tmp_path / "key.pem"
    write_private_key(path, generate_private_key(), PASSPHRASE)
    path.chmod(unsafe_mode)
    with pytest.raises(KeyFileError, match="accessible by group or others") as caught:
        load_private_key(path, PASSPHRASE)
    assert caught.value.hint == f"chmod 600 {path}"
    assert caught.value.details["mode"] == f"{unsafe_mode:04o}"


def test_owner_only_modes_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    write_private_key(path, generate_private_key(), PASSPHRASE)
    path.chmod(0o400)
    load_private_key(path, PASSPHRASE)


def test_legacy_encrypted_pkcs8_pem_still_loads(tmp_path: Path) -> None:
    key = generate_private_key()
    path = tmp_path / "old.pem"
    write_raw_key(
        path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE),
        ),
    )
    loaded = load_private_key(path, PASSPHRASE)
    assert public_key_fingerprint(loaded.public_key()) == public_key_fingerprint(key.public_key())


def test_pkcs12_with_a_wrong_passphrase_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key.p12"
    write_private_key(path, generate_private_key(), PASSPHRASE, kdf_rounds=1000)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_private_key(path, b"not the passphrase")


def test_not_a_key_file(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    write_raw_key(path, b"hello\n")
    with pytest.raises(KeyFileError, match="is not a private key file"):
        load_private_key(path, PASSPHRASE)


def test_corrupted_key_file(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    write_raw_key(
        path,
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    with pytest.raises(KeyFileError, match="or the file is corrupted"):
        load_private_key(path, PASSPHRASE)


def test_unencrypted_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    pem = generate_private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_raw_key(path, pem)
    with pytest.raises(KeyFileError, match="unencrypted private key") as caught:
        load_private_key(path, PASSPHRASE)
    assert "openssl pkcs8" in caught.value.hint


@pytest.mark.parametrize(
    ("make_key", "fragment"),
    [
        (lambda: rsa.generate_private_key(65537, 2048), r"unsupported type \(RSAPrivateKey\)"),
        (lambda: ec.generate_private_key(ec.SECP384R1()), "secp384r1"),
    ],
)
def test_unsupported_key_type_is_refused(tmp_path: Path, make_key: object, fragment: str) -> None:
    assert callable(make_key)
    path = tmp_path / "key.pem"
    pem = make_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE),
    )
    write_raw_key(path, pem)
    with pytest.raises(KeyFileError, match=fragment):
        load_private_key(path, PASSPHRASE)


def test_writing_an_unsupported_key_is_refused(tmp_path: Path) -> None:
    key = rsa.generate_private_key(65537, 2048)
    with pytest.raises(KeyFileError, match="RSAPrivateKey"):
        write_private_key(tmp_path / "key.pem", key, PASSPHRASE)  # type: ignore[arg-type]
    assert not (tmp_path / "key.pem").exists()


def test_directory_is_not_a_key_file(tmp_path: Path) -> None:
    (tmp_path / "key.pem").mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match="is not a regular file"):
        load_private_key(tmp_path / "key.pem", PASSPHRASE)


def test_write_under_a_file_reports_the_os_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(KeyFileError, match="cannot write"):
        write_private_key(tmp_path / "file" / "key.pem", generate_private_key(), PASSPHRASE)
    with pytest.raises(KeyFileError, match="cannot create"):
        write_private_key(tmp_path / "file" / "sub" / "key.pem", generate_private_key(), PASSPHRASE)


def test_certificate_file_roundtrip(tmp_path: Path) -> None:
    certificate = CertificateAuthority.create("Org1", now=NOW).certificate
    path = tmp_path / "org" / "cert.pem"
    write_certificate(path, certificate)
    assert mode(path) == 0o644
    assert mode(path.parent) == 0o700
    assert load_certificate(path) == certificate
    with pytest.raises(CertificateError, match="already exists"):
        write_certificate(path, certificate)
    other = CertificateAuthority.create("Org2", now=NOW).certificate
    write_certificate(path, other, overwrite=True)
    assert load_certificate(path) == other
    assert os.listdir(path.parent) == ["cert.pem"]


def test_load_certificate_refusals(tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match="no certificate file at"):
        load_certificate(tmp_path / "absent.pem")
    (tmp_path / "garbage.pem").write_bytes(b"garbage")
    with pytest.raises(CertificateError, match=r"garbage\.pem: not a PEM X\.509 certificate"):
        load_certificate(tmp_path / "garbage.pem")
    (tmp_path / "directory.pem").mkdir()
    with pytest.raises(CertificateError, match="cannot read"):
        load_certificate(tmp_path / "directory.pem")


def test_key_path_under_a_file_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(KeyFileError, match="cannot open"):
        load_private_key(tmp_path / "file" / "key.pem", PASSPHRASE)


def test_filesystem_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Some filesystems (FAT, some network mounts) refuse link(): the write still works.
    def no_links(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "key.pem"
    write_private_key(path, generate_private_key(), PASSPHRASE)
    assert mode(path) == 0o600
    load_private_key(path, PASSPHRASE)
    with pytest.raises(KeyFileError, match="already exists"):
        _move_without_overwrite(tmp_path / "other", path, KeyFileError)
    assert os.listdir(tmp_path) == ["key.pem"]
