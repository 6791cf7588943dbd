"""An org's CA: its own certificate, the certificates it issues, and saving/loading it."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tetherai.crypto import Algorithm, UnsupportedKeyError, generate_private_key
from tetherai.identity import (
    CertificateAuthority,
    CertificateError,
    IdentityError,
    KeyFileError,
    Role,
    parse_participant_certificate,
    verify_issued_by,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PASSPHRASE = b"ca passphrase"
ALGORITHMS = list(Algorithm)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


ExtensionT = TypeVar("ExtensionT", bound=x509.ExtensionType)


def extension(certificate: x509.Certificate, kind: type[ExtensionT]) -> x509.Extension[ExtensionT]:
    return certificate.extensions.get_extension_for_class(kind)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_create_makes_a_self_signed_ca(algorithm: Algorithm) -> None:
    ca = CertificateAuthority.create("Org1", algorithm=algorithm, now=NOW)
    certificate = ca.certificate
    assert ca.org == "Org1"
    assert certificate.subject.rfc4514_string() == "CN=Org1 CA,O=Org1"
    assert certificate.issuer == certificate.subject
    assert certificate.not_valid_before_utc == NOW
    assert certificate.not_valid_after_utc == NOW + timedelta(days=3650)
    certificate.verify_directly_issued_by(certificate)
    basic = extension(certificate, x509.BasicConstraints)
    assert basic.critical
    assert basic.value == x509.BasicConstraints(ca=True, path_length=0)
    usage = extension(certificate, x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign
    assert usage.value.crl_sign
    assert not usage.value.digital_signature
    key_id = extension(certificate, x509.SubjectKeyIdentifier).value
    assert key_id == x509.SubjectKeyIdentifier.from_public_key(ca.private_key.public_key())
    expected_hash = None if algorithm is Algorithm.ED25519 else hashes.SHA256
    if expected_hash is None:
        assert certificate.signature_hash_algorithm is None
    else:
        assert isinstance(certificate.signature_hash_algorithm, expected_hash)


def test_default_ca_algorithm_is_p256() -> None:
    ca = CertificateAuthority.create("Org1", now=NOW)
    assert isinstance(ca.private_key, ec.EllipticCurvePrivateKey)


def test_serial_numbers_are_random() -> None:
    first = CertificateAuthority.create("Org1", now=NOW).certificate.serial_number
    second = CertificateAuthority.create("Org1", now=NOW).certificate.serial_number
    assert first != second


@pytest.mark.parametrize("ca_algorithm", ALGORITHMS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_issue_a_participant_certificate(ca_algorithm: Algorithm, algorithm: Algorithm) -> None:
    ca = CertificateAuthority.create("Org1", algorithm=ca_algorithm, now=NOW)
    key = generate_private_key(algorithm)
    certificate = ca.issue(
        participant_id="alice", role=Role.STAKEHOLDER, public_key=key.public_key(), now=NOW
    )
    assert certificate.subject.rfc4514_string() == "CN=alice,OU=stakeholder,O=Org1"
    assert certificate.issuer == ca.certificate.subject
    assert certificate.not_valid_before_utc == NOW
    assert certificate.not_valid_after_utc == NOW + timedelta(days=825)
    basic = extension(certificate, x509.BasicConstraints)
    assert basic.critical
    assert basic.value.ca is False
    usage = extension(certificate, x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert not usage.value.key_cert_sign
    authority = extension(certificate, x509.AuthorityKeyIdentifier).value
    ca_key_id = extension(ca.certificate, x509.SubjectKeyIdentifier).value
    assert authority.key_identifier == ca_key_id.digest
    assert extension(certificate, x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.CLIENT_AUTH]
    )
    verify_issued_by(certificate, ca.certificate, at=NOW)
    identity = parse_participant_certificate(certificate)
    assert (identity.org, identity.participant_id, identity.role) == (
        "Org1",
        "alice",
        Role.STAKEHOLDER,
    )


def test_issue_refusals() -> None:
    ca = CertificateAuthority.create("Org1", now=NOW)
    public_key = generate_private_key().public_key()
    with pytest.raises(IdentityError, match="invalid participant id") as caught:
        ca.issue(participant_id="../alice", role=Role.AUDITOR, public_key=public_key, now=NOW)
    assert caught.value.code == "identity.bad_name"
    rsa_key = rsa.generate_private_key(65537, 2048).public_key()
    with pytest.raises(CertificateError, match=r"cannot issue a certificate for bob: .*RSA"):
        ca.issue(participant_id="bob", role=Role.AUDITOR, public_key=rsa_key, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(CertificateError, match="is not valid at"):
        ca.issue(
            participant_id="bob",
            role=Role.AUDITOR,
            public_key=public_key,
            now=NOW + timedelta(days=3651),
        )
    with pytest.raises(CertificateError, match="is not valid at"):
        ca.issue(
            participant_id="bob", role=Role.AUDITOR, public_key=public_key, now=NOW - timedelta(1)
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        ca.issue(
            participant_id="bob",
            role=Role.AUDITOR,
            public_key=public_key,
            now=datetime(2026, 3, 1),
        )
    with pytest.raises(ValueError, match="valid_days must be positive"):
        ca.issue(
            participant_id="bob", role=Role.AUDITOR, public_key=public_key, now=NOW, valid_days=0
        )
    with pytest.raises(ValueError, match="is not a valid Role"):
        ca.issue(participant_id="bob", role="root", public_key=public_key, now=NOW)  # type: ignore[arg-type]


def test_create_refusals() -> None:
    with pytest.raises(IdentityError, match="invalid org"):
        CertificateAuthority.create("Org 1", now=NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        CertificateAuthority.create("Org1", now=datetime(2026, 3, 1))
    with pytest.raises(ValueError, match="valid_days must be positive"):
        CertificateAuthority.create("Org1", now=NOW, valid_days=-1)


def test_constructor_checks_the_pair() -> None:
    ca = CertificateAuthority.create("Org1", now=NOW)
    other = CertificateAuthority.create("Org1", now=NOW)
    with pytest.raises(KeyFileError, match="does not belong to the CA certificate of Org1"):
        CertificateAuthority(ca.certificate, other.private_key)
    key = generate_private_key()
    participant = ca.issue(
        participant_id="alice", role=Role.ORG_ADMIN, public_key=key.public_key(), now=NOW
    )
    with pytest.raises(CertificateError, match="is not a CA certificate"):
        CertificateAuthority(participant, key)
    with pytest.raises(UnsupportedKeyError):
        CertificateAuthority(ca.certificate, rsa.generate_private_key(65537, 2048))  # type: ignore[arg-type]


def test_constructor_refuses_a_ca_without_a_valid_org() -> None:
    key = generate_private_key(Algorithm.ECDSA_P256)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bad org")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(CertificateError, match="CA certificate: invalid org 'bad org'"):
        CertificateAuthority(certificate, key)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_save_and_load_roundtrip(tmp_path: Path, algorithm: Algorithm) -> None:
    ca = CertificateAuthority.create("Org1", algorithm=algorithm, now=NOW)
    directory = tmp_path / "home" / "orgs" / "Org1" / "ca"
    ca.save(directory, PASSPHRASE)
    assert sorted(p.name for p in directory.iterdir()) == ["ca.key", "ca.pem"]
    assert mode(directory) == 0o700
    assert mode(directory / "ca.key") == 0o600
    assert mode(directory / "ca.pem") == 0o644
    assert (directory / "ca.key").read_bytes()[:1] == b"\x30"  # PKCS#12
    loaded = CertificateAuthority.load(directory, PASSPHRASE)
    assert loaded.certificate == ca.certificate
    assert loaded.org == "Org1"
    public_key = generate_private_key().public_key()
    issued = loaded.issue(
        participant_id="alice", role=Role.OPERATOR, public_key=public_key, now=NOW
    )
    verify_issued_by(issued, ca.certificate, at=NOW)


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    first = CertificateAuthority.create("Org1", now=NOW)
    first.save(tmp_path, PASSPHRASE)
    second = CertificateAuthority.create("Org1", now=NOW)
    with pytest.raises(KeyFileError, match="refusing to overwrite a CA"):
        second.save(tmp_path, PASSPHRASE)
    (tmp_path / "ca.key").unlink()
    with pytest.raises(CertificateError, match=r"ca\.pem already exists"):
        second.save(tmp_path, PASSPHRASE)
    assert not (tmp_path / "ca.key").exists()  # nothing half-written
    second.save(tmp_path, PASSPHRASE, overwrite=True)
    assert CertificateAuthority.load(tmp_path, PASSPHRASE).certificate == second.certificate


def test_load_refusals(tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match="no certificate file at"):
        CertificateAuthority.load(tmp_path / "absent", PASSPHRASE)
    CertificateAuthority.create("Org1", now=NOW).save(tmp_path / "one", PASSPHRASE)
    CertificateAuthority.create("Org1", now=NOW).save(tmp_path / "two", PASSPHRASE)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        CertificateAuthority.load(tmp_path / "one", b"wrong")
    (tmp_path / "one" / "ca.key").replace(tmp_path / "two" / "ca.key")
    with pytest.raises(KeyFileError, match=r"ca\.key does not belong to .*ca\.pem"):
        CertificateAuthority.load(tmp_path / "two", PASSPHRASE)
    with pytest.raises(KeyFileError, match="no key file at"):
        CertificateAuthority.load(tmp_path / "one", PASSPHRASE)
    (tmp_path / "two" / "ca.key").chmod(0o644)
    with pytest.raises(KeyFileError, match="accessible by group or others"):
        CertificateAuthority.load(tmp_path / "two", PASSPHRASE)
