"""An org's certificate authority: creates itself, issues participant certificates (DESIGN.md §4).

Each org has one CA (ECDSA P-256 or Ed25519). Its self-signed certificate names the org
(``O=<org>, CN=<org> CA``); the participant certificates it issues carry the org, the
participant id and the role (``O``, ``CN``, ``OU``). Time is always passed in (``now``): the
library never reads the clock.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tetherai.crypto.errors import UnsupportedKeyError
from tetherai.crypto.signature import (
    Algorithm,
    PrivateKey,
    PublicKey,
    algorithm_of,
    generate_private_key,
)
from tetherai.identity._x509 import is_ca, public_key_der, require_aware, single_attribute
from tetherai.identity.certificate import validate_name
from tetherai.identity.errors import CertificateError, IdentityError, KeyFileError
from tetherai.identity.keys import (
    DEFAULT_KDF_ROUNDS,
    load_certificate,
    load_private_key,
    write_certificate,
    write_private_key,
)
from tetherai.identity.roles import Role

__all__ = ["CA_CERTIFICATE_FILE", "CA_KEY_FILE", "NODE_UNIT", "CertificateAuthority"]

NODE_UNIT = "node"
"""The ``OU`` of a node's TLS certificate (a role never has this value)."""
CA_CERTIFICATE_FILE = "ca.pem"
"""File name of the CA certificate in a CA directory (PEM, mode 0644)."""
CA_KEY_FILE = "ca.key"
"""File name of the CA private key in a CA directory (encrypted PKCS#8 PEM, mode 0600)."""


class CertificateAuthority:
    """An org's CA: its certificate and private key, able to issue participant certificates."""

    def __init__(self, certificate: x509.Certificate, private_key: PrivateKey) -> None:
        """Pair a CA certificate with its private key.

        Raises:
            CertificateError: the certificate is not a CA certificate or names no valid org.
            KeyFileError: the private key does not belong to the certificate.
            UnsupportedKeyError: the key is neither Ed25519 nor P-256.
        """
        algorithm_of(private_key)
        if not is_ca(certificate):
            raise CertificateError(
                f"{certificate.subject.rfc4514_string()} is not a CA certificate "
                "(BasicConstraints ca=True)"
            )
        org = single_attribute(certificate.subject, NameOID.ORGANIZATION_NAME, "org (O)")
        try:
            validate_name(org, "org")
        except IdentityError as error:
            raise CertificateError(f"CA certificate: {error.message}") from error
        if public_key_der(private_key.public_key()) != public_key_der(certificate.public_key()):
            raise KeyFileError(
                f"the private key does not belong to the CA certificate of {org}",
                hint="Use the key that was created with this CA certificate.",
            )
        self._certificate = certificate
        self._private_key = private_key
        self._org = org

    @property
    def certificate(self) -> x509.Certificate:
        """The CA's self-signed certificate."""
        return self._certificate

    @property
    def private_key(self) -> PrivateKey:
        """The CA's private key."""
        return self._private_key

    @property
    def org(self) -> str:
        """The org this CA belongs to (its certificate's ``O``)."""
        return self._org

    @classmethod
    def create(
        cls,
        org: str,
        *,
        algorithm: Algorithm = Algorithm.ECDSA_P256,
        now: datetime,
        valid_days: int = 3650,
    ) -> CertificateAuthority:
        """Create a new CA with a fresh key and a self-signed certificate.

        Args:
            org: the org id (see :func:`~tetherai.identity.certificate.validate_name`).
            algorithm: the CA key's algorithm.
            now: the start of the validity period (timezone-aware).
            valid_days: the length of the validity period.

        Returns:
            The CA, not yet saved (see :meth:`save`).

        Raises:
            IdentityError: ``org`` is not a valid name (code ``identity.bad_name``).
            ValueError: ``now`` is naive or ``valid_days`` is not positive.
        """
        validate_name(org, "org")
        require_aware(now, "now")
        _require_positive(valid_days)
        private_key = generate_private_key(algorithm)
        public_key = private_key.public_key()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{org} CA"),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=valid_days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(certificate_signing=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )
        return cls(_sign(builder, private_key), private_key)

    def issue(
        self,
        *,
        participant_id: str,
        role: Role,
        public_key: PublicKey,
        now: datetime,
        valid_days: int = 825,
    ) -> x509.Certificate:
        """Issue a participant certificate (``O=<org>, OU=<role>, CN=<participant_id>``).

        The certificate is valid from ``now`` for ``valid_days``, but never beyond the CA
        certificate's own end.

        Args:
            participant_id: the participant's id within the org (a valid name).
            role: the participant's role.
            public_key: the participant's Ed25519 or P-256 public key.
            now: the start of the validity period (timezone-aware).
            valid_days: the length of the validity period.

        Returns:
            The signed certificate.

        Raises:
            IdentityError: ``participant_id`` is not a valid name (code ``identity.bad_name``).
            CertificateError: the key is not supported, or the CA is not valid at ``now``.
            ValueError: ``now`` is naive, ``valid_days`` is not positive, or ``role`` is
                not a :class:`Role`.
        """
        validate_name(participant_id, "participant id")
        require_aware(now, "now")
        _require_positive(valid_days)
        role = Role(role)
        try:
            algorithm_of(public_key)
        except UnsupportedKeyError as error:
            raise CertificateError(
                f"cannot issue a certificate for {participant_id}: {error.message}",
                hint=error.hint,
            ) from error
        ca_not_before = self._certificate.not_valid_before_utc
        ca_not_after = self._certificate.not_valid_after_utc
        if not ca_not_before <= now <= ca_not_after:
            raise CertificateError(
                f"the CA of {self._org} is not valid at {now.isoformat()} "
                f"(valid {ca_not_before.isoformat()} to {ca_not_after.isoformat()})",
                hint="Create a new CA for the org.",
            )
        ca_key_id = x509.SubjectKeyIdentifier.from_public_key(self._private_key.public_key())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self._org),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role.value),
                x509.NameAttribute(NameOID.COMMON_NAME, participant_id),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(min(now + timedelta(days=valid_days), ca_not_after))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(certificate_signing=False), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        )
        return _sign(builder, self._private_key)

    def issue_node_tls(
        self,
        *,
        name: str,
        public_key: PublicKey,
        now: datetime,
        hosts: Sequence[str] = (),
        valid_days: int = 825,
    ) -> x509.Certificate:
        """Issue a node's TLS certificate (``O=<org>, OU=node, CN=<name>``) for mutual TLS.

        ``OU=node`` is not a role, so the certificate can never sign a tx as a participant;
        a participant's certificate is, conversely, not a node's. It is valid for both ends
        of a connection (server and client authentication) and names ``hosts`` (IP
        addresses or DNS names) as where the node listens (none: a client only).

        Raises:
            IdentityError: ``name`` is not a valid name.
            CertificateError: the key is not supported, or the CA is not valid at ``now``.
            ValueError: ``now`` is naive or ``valid_days`` is not positive.
        """
        validate_name(name, "node name")
        require_aware(now, "now")
        _require_positive(valid_days)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self._org),
                x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, NODE_UNIT),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        ca_key_id = x509.SubjectKeyIdentifier.from_public_key(self._private_key.public_key())
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(
                min(now + timedelta(days=valid_days), self._certificate.not_valid_after_utc)
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(certificate_signing=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id),
                critical=False,
            )
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return _sign(builder, self._private_key)

    def save(
        self,
        directory: Path,
        passphrase: bytes,
        *,
        overwrite: bool = False,
        kdf_rounds: int = DEFAULT_KDF_ROUNDS,
    ) -> None:
        """Write ``ca.pem`` (0644) and ``ca.key`` (0600, encrypted) into ``directory``.

        Args:
            directory: created with mode 0700 if missing.
            passphrase: encrypts the CA key; must not be empty.
            overwrite: replace existing files instead of refusing.

        Raises:
            KeyFileError: empty passphrase, ``ca.key`` exists, or it cannot be written.
            CertificateError: ``ca.pem`` exists or cannot be written.
        """
        certificate_path = directory / CA_CERTIFICATE_FILE
        key_path = directory / CA_KEY_FILE
        if not overwrite:  # check both first so a refusal leaves nothing half-written
            for path, error in ((key_path, KeyFileError), (certificate_path, CertificateError)):
                if path.exists():
                    raise error(
                        f"{path} already exists; refusing to overwrite a CA",
                        hint="Use another directory, or move the old CA away first.",
                    )
        write_private_key(
            key_path, self._private_key, passphrase, overwrite=overwrite, kdf_rounds=kdf_rounds
        )
        write_certificate(certificate_path, self._certificate, overwrite=overwrite)

    @classmethod
    def load(cls, directory: Path, passphrase: bytes) -> CertificateAuthority:
        """Load a CA saved by :meth:`save`.

        Raises:
            CertificateError: ``ca.pem`` is missing, unreadable or not a CA certificate.
            KeyFileError: ``ca.key`` is missing, unsafe (group/other access), the passphrase
                is wrong, or the key does not belong to ``ca.pem``.
        """
        certificate_path = directory / CA_CERTIFICATE_FILE
        key_path = directory / CA_KEY_FILE
        certificate = load_certificate(certificate_path)
        private_key = load_private_key(key_path, passphrase)
        if public_key_der(private_key.public_key()) != public_key_der(certificate.public_key()):
            raise KeyFileError(
                f"{key_path} does not belong to {certificate_path}",
                hint="Restore the key that was saved with this CA certificate.",
            )
        return cls(certificate, private_key)


def _sign(builder: x509.CertificateBuilder, private_key: PrivateKey) -> x509.Certificate:
    # Ed25519 signs the message itself (no separate hash); ECDSA signs its SHA-256.
    if isinstance(private_key, Ed25519PrivateKey):
        return builder.sign(private_key, None)
    return builder.sign(private_key, hashes.SHA256())


def _key_usage(*, certificate_signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not certificate_signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=certificate_signing,
        crl_sign=certificate_signing,
        encipher_only=False,
        decipher_only=False,
    )


def _require_positive(valid_days: int) -> None:
    if valid_days <= 0:
        raise ValueError(f"valid_days must be positive, not {valid_days}")
