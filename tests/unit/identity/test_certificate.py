"""Participant certificates: names, parsing, and verify_issued_by's checks."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tetherai.crypto import Algorithm, PublicKey, generate_private_key, public_key_fingerprint
from tetherai.identity import (
    CertificateAuthority,
    CertificateError,
    IdentityError,
    ParticipantIdentity,
    Role,
    certificate_sha256,
    certificate_to_pem,
    load_certificate_pem,
    parse_participant_certificate,
    validate_name,
    verify_issued_by,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALGORITHMS = list(Algorithm)


def make_ca(org: str = "Org1", algorithm: Algorithm = Algorithm.ECDSA_P256) -> CertificateAuthority:
    return CertificateAuthority.create(org, algorithm=algorithm, now=NOW)


def participant_key(algorithm: Algorithm = Algorithm.ED25519) -> PublicKey:
    return generate_private_key(algorithm).public_key()


def custom_certificate(
    ca: CertificateAuthority,
    attributes: list[tuple[x509.ObjectIdentifier, str]],
    *,
    public_key: object | None = None,
    ca_flag: bool | None = False,
    not_before: datetime = NOW,
    not_after: datetime = NOW + timedelta(days=30),
) -> x509.Certificate:
    """A certificate signed by ``ca`` with any subject, key and BasicConstraints."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes]))
        .issuer_name(ca.certificate.subject)
        .public_key(public_key or participant_key())  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca_flag is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca_flag, path_length=None), critical=True
        )
    return builder.sign(ca.private_key, hashes.SHA256())


ORG, ID, ROLE = NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Org1", "alice", "peer0.Org1", "a_b-c.d", "x_", "0", "x" * 64])
def test_valid_names(name: str) -> None:
    assert validate_name(name, "org") == name


@pytest.mark.parametrize(
    "name",
    ["", ".hidden", "-rf", "_index", "..", "a/b", "a\\b", "a b", "x" * 65, "é", "a\n", "a:b"],
)
def test_invalid_names(name: str) -> None:
    with pytest.raises(IdentityError, match="invalid participant id") as caught:
        validate_name(name, "participant id")
    assert caught.value.code == "identity.bad_name"
    assert caught.value.details["value"] == name


# --- encoding ---------------------------------------------------------------------------------


def test_certificate_sha256_and_pem_roundtrip() -> None:
    ca = make_ca()
    der = ca.certificate.public_bytes(serialization.Encoding.DER)
    assert certificate_sha256(ca.certificate) == hashlib.sha256(der).hexdigest()
    pem = certificate_to_pem(ca.certificate)
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert load_certificate_pem(pem) == ca.certificate


@pytest.mark.parametrize(
    "data", [b"", b"garbage", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
)
def test_load_certificate_pem_refuses_garbage(data: bytes) -> None:
    with pytest.raises(CertificateError, match=r"not a PEM X\.509 certificate") as caught:
        load_certificate_pem(data)
    assert caught.value.code == "identity.bad_certificate"


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ca_algorithm", ALGORITHMS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_issue_and_parse(ca_algorithm: Algorithm, algorithm: Algorithm) -> None:
    ca = make_ca(algorithm=ca_algorithm)
    key = participant_key(algorithm)
    certificate = ca.issue(
        participant_id="alice", role=Role.MLOPS_ENGINEER, public_key=key, now=NOW
    )
    identity = parse_participant_certificate(certificate)
    assert identity == ParticipantIdentity(
        org="Org1",
        participant_id="alice",
        role=Role.MLOPS_ENGINEER,
        cert_sha256=certificate_sha256(certificate),
        public_key=identity.public_key,
        not_before=NOW,
        not_after=NOW + timedelta(days=825),
    )
    assert public_key_fingerprint(identity.public_key) == public_key_fingerprint(key)
    assert identity.not_before.tzinfo is not None
    verify_issued_by(certificate, ca.certificate, at=NOW)


@pytest.mark.parametrize(
    ("attributes", "fragment"),
    [
        ([(ID, "alice"), (ROLE, "auditor")], "has no organization (O)"),
        ([(ORG, "Org1"), (ROLE, "auditor")], "has no participant id (CN)"),
        ([(ORG, "Org1"), (ID, "alice")], "has no role (OU)"),
        (
            [(ORG, "Org1"), (ID, "alice"), (ID, "bob"), (ROLE, "auditor")],
            "2 values for participant id",
        ),
        (
            [(ORG, "Org1"), (ID, "alice"), (ROLE, "auditor"), (ROLE, "org_admin")],
            "2 values for role",
        ),
        ([(ORG, "Org1"), (ID, "alice"), (ROLE, "root")], "unknown role 'root'"),
        ([(ORG, "../etc"), (ID, "alice"), (ROLE, "auditor")], "invalid org '../etc'"),
        ([(ORG, "Org1"), (ID, "-alice"), (ROLE, "auditor")], "invalid participant id '-alice'"),
    ],
)
def test_parse_refuses_bad_subjects(
    attributes: list[tuple[x509.ObjectIdentifier, str]], fragment: str
) -> None:
    certificate = custom_certificate(make_ca(), attributes)
    with pytest.raises(CertificateError, match=re.escape(fragment)):
        parse_participant_certificate(certificate)


def test_unknown_role_message_lists_known_roles() -> None:
    certificate = custom_certificate(make_ca(), [(ORG, "Org1"), (ID, "alice"), (ROLE, "root")])
    with pytest.raises(CertificateError, match="ai_engineer, mlops_engineer"):
        parse_participant_certificate(certificate)


@pytest.mark.parametrize(
    ("make_key", "fragment"),
    [
        (lambda: rsa.generate_private_key(65537, 2048).public_key(), "RSAPublicKey"),
        (lambda: ec.generate_private_key(ec.SECP384R1()).public_key(), "secp384r1"),
    ],
)
def test_parse_refuses_unsupported_keys(make_key: object, fragment: str) -> None:
    assert callable(make_key)
    subject = [(ORG, "Org1"), (ID, "alice"), (ROLE, "auditor")]
    certificate = custom_certificate(make_ca(), subject, public_key=make_key())
    with pytest.raises(CertificateError, match=f"certificate key refused: .*{fragment}"):
        parse_participant_certificate(certificate)


# --- verify_issued_by -------------------------------------------------------------------------


def issued(ca: CertificateAuthority, **overrides: object) -> x509.Certificate:
    arguments: dict[str, object] = {
        "participant_id": "alice",
        "role": Role.AI_ENGINEER,
        "public_key": participant_key(),
        "now": NOW,
        "valid_days": 30,
    }
    arguments.update(overrides)
    return ca.issue(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_verify_issued_by_accepts_the_whole_validity_period(algorithm: Algorithm) -> None:
    ca = make_ca(algorithm=algorithm)
    certificate = issued(ca)
    verify_issued_by(certificate, ca.certificate, at=NOW)
    verify_issued_by(certificate, ca.certificate, at=NOW + timedelta(days=30))
    other_zone = datetime(2026, 3, 1, 13, 0, tzinfo=UTC).astimezone()
    verify_issued_by(certificate, ca.certificate, at=other_zone)


def test_other_ca_with_another_name_is_refused() -> None:
    certificate = issued(make_ca("Org1"))
    with pytest.raises(CertificateError, match=r"was issued by .*Org1 CA.*not by the CA .*Org2"):
        verify_issued_by(certificate, make_ca("Org2").certificate, at=NOW)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_other_ca_with_the_same_name_is_refused(algorithm: Algorithm) -> None:
    certificate = issued(make_ca("Org1", algorithm))
    impostor = make_ca("Org1", algorithm)
    with pytest.raises(CertificateError, match="does not verify with the key of CA"):
        verify_issued_by(certificate, impostor.certificate, at=NOW)


def test_ca_of_another_algorithm_with_the_same_name_is_refused() -> None:
    certificate = issued(make_ca("Org1", Algorithm.ED25519))
    impostor = make_ca("Org1", Algorithm.ECDSA_P256)
    with pytest.raises(CertificateError, match="signature"):
        verify_issued_by(certificate, impostor.certificate, at=NOW)


def test_expired_certificate_is_refused() -> None:
    ca = make_ca()
    certificate = issued(ca)
    with pytest.raises(CertificateError, match=r"certificate .*CN=alice.* expired at") as caught:
        verify_issued_by(certificate, ca.certificate, at=NOW + timedelta(days=30, seconds=1))
    assert caught.value.details["not_after"] == (NOW + timedelta(days=30)).isoformat()


def test_not_yet_valid_certificate_is_refused() -> None:
    ca = make_ca()
    certificate = issued(ca, now=NOW + timedelta(days=1))
    with pytest.raises(CertificateError, match="is not yet valid"):
        verify_issued_by(certificate, ca.certificate, at=NOW + timedelta(hours=23))


def test_expired_ca_is_refused() -> None:
    ca = CertificateAuthority.create("Org1", now=NOW, valid_days=10)
    certificate = issued(ca, valid_days=100)  # capped at the CA's end
    assert certificate.not_valid_after_utc == ca.certificate.not_valid_after_utc
    with pytest.raises(CertificateError, match=r"CA certificate .* expired"):
        verify_issued_by(certificate, ca.certificate, at=NOW + timedelta(days=11))


def test_ca_certificate_used_as_participant_is_refused() -> None:
    ca = make_ca()
    with pytest.raises(CertificateError, match="is a CA certificate, not a participant's"):
        verify_issued_by(ca.certificate, ca.certificate, at=NOW)


def test_ca_issued_certificate_claiming_to_be_a_ca_is_refused() -> None:
    ca = make_ca()
    subject = [(ORG, "Org1"), (ID, "alice"), (ROLE, "auditor")]
    certificate = custom_certificate(ca, subject, ca_flag=True)
    with pytest.raises(CertificateError, match="is a CA certificate"):
        verify_issued_by(certificate, ca.certificate, at=NOW)


def test_certificate_without_basic_constraints_is_a_participant() -> None:
    ca = make_ca()
    subject = [(ORG, "Org1"), (ID, "alice"), (ROLE, "auditor")]
    verify_issued_by(custom_certificate(ca, subject, ca_flag=None), ca.certificate, at=NOW)


def test_participant_certificate_used_as_ca_is_refused() -> None:
    ca = make_ca()
    alice_key = generate_private_key()
    alice = ca.issue(
        participant_id="alice", role=Role.ORG_ADMIN, public_key=alice_key.public_key(), now=NOW
    )
    forged = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(ORG, "Org1"), x509.NameAttribute(ID, "bob")]))
        .issuer_name(alice.subject)
        .public_key(participant_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .sign(alice_key, None)
    )
    with pytest.raises(CertificateError, match="is not a CA certificate"):
        verify_issued_by(forged, alice, at=NOW)


def test_ca_without_certificate_signing_usage_is_refused() -> None:
    key = generate_private_key(Algorithm.ECDSA_P256)
    name = x509.Name([x509.NameAttribute(ORG, "Org1"), x509.NameAttribute(ID, "Org1 CA")])
    usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    ca_certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(CertificateError, match="may not sign certificates"):
        verify_issued_by(ca_certificate, ca_certificate, at=NOW)


def test_naive_time_is_a_programming_error() -> None:
    ca = make_ca()
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_issued_by(issued(ca), ca.certificate, at=datetime(2026, 3, 1))
