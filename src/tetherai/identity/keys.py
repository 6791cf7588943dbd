"""Key and certificate files on disk (DESIGN.md §4).

Private keys never leave the participant's machine and are stored encrypted in PKCS#12
(PBES2: PBKDF2-HMAC-SHA256 with :data:`DEFAULT_KDF_ROUNDS` rounds and AES-256-CBC, SHA-256
MAC — readable by ``openssl pkcs12``), readable by their owner only (0600), in directories
created 0700. PKCS#8 PEM with ``BestAvailableEncryption`` would be simpler, but ``cryptography``
derives its key with only 2,048 PBKDF2 rounds, which makes guessing a stolen file's passphrase
cheap; PKCS#12 lets us set the cost. Older encrypted PKCS#8 PEM key files still load. Files are written atomically: to a temporary file in the same
directory, flushed to disk, then moved into place, so a crash never leaves half a key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12

from tetherai.crypto.errors import UnsupportedKeyError
from tetherai.crypto.signature import PrivateKey, algorithm_of
from tetherai.identity.certificate import certificate_to_pem, load_certificate_pem
from tetherai.identity.errors import CertificateError, IdentityError, KeyFileError

__all__ = [
    "DEFAULT_KDF_ROUNDS",
    "load_certificate",
    "load_private_key",
    "write_certificate",
    "write_private_key",
    "write_tls_private_key",
]

_PRIVATE_MODE = 0o600
_PUBLIC_MODE = 0o644
_DIRECTORY_MODE = 0o700
_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
# OWASP's 2023 advice for PBKDF2-HMAC-SHA256; about 75 ms per key here.
DEFAULT_KDF_ROUNDS = 600_000


def write_private_key(
    path: Path,
    key: PrivateKey,
    passphrase: bytes,
    *,
    overwrite: bool = False,
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> None:
    """Write ``key`` encrypted with ``passphrase`` to ``path``, mode 0600, atomically.

    Args:
        path: the key file; missing parent directories are created with mode 0700.
        key: an Ed25519 or P-256 private key.
        passphrase: the passphrase to encrypt with; must not be empty.
        overwrite: replace an existing file instead of refusing.
        kdf_rounds: PBKDF2 rounds that protect the passphrase (lower only in tests).

    Raises:
        KeyFileError: empty passphrase, unsupported key type, the file exists (and not
            ``overwrite``), or the OS refused to write.
    """
    if not passphrase:
        raise KeyFileError(
            f"refusing to write {path} with an empty passphrase",
            hint="Private keys are stored encrypted; give a non-empty passphrase.",
        )
    try:
        algorithm_of(key)
    except UnsupportedKeyError as error:
        raise KeyFileError(f"cannot write {path}: {error.message}") from error
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(kdf_rounds)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(passphrase)
    )
    data = pkcs12.serialize_key_and_certificates(b"tetherai", key, None, None, encryption)
    _write_file(path, data, _PRIVATE_MODE, overwrite=overwrite, error=KeyFileError)


def write_tls_private_key(
    path: Path, key: PrivateKey, password: bytes | None, *, overwrite: bool = False
) -> None:
    """Write a TLS key as PKCS#8 PEM, mode 0600, atomically: what TLS libraries read (they do
    not read PKCS#12). Encrypted with ``password`` if given; servers that cannot read an
    encrypted key (etcd) get it in the clear, protected by the file's mode alone.

    Raises:
        KeyFileError: the file exists (and not ``overwrite``), or the OS refused to write.
    """
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    _write_file(path, data, _PRIVATE_MODE, overwrite=overwrite, error=KeyFileError)


def load_private_key(path: Path, passphrase: bytes) -> PrivateKey:
    """Read and decrypt a private key written by :func:`write_private_key`.

    Args:
        path: the key file; it must be accessible by its owner only (no group/other bits).
        passphrase: the passphrase it was encrypted with.

    Returns:
        The Ed25519 or P-256 private key.

    Raises:
        KeyFileError: the file is missing or unreadable, accessible by group or others, not
            an encrypted PEM private key, the passphrase is wrong, or the key type is not
            supported.
    """
    if not passphrase:
        raise KeyFileError(f"cannot decrypt {path} with an empty passphrase")
    data = _read_private_file(path)
    if data[:1] == b"\x30":  # a DER SEQUENCE: PKCS#12, as write_private_key writes
        return _load_pkcs12(path, data, passphrase)
    if _ENCRYPTED_PEM not in data:
        if b"PRIVATE KEY-----" in data:
            raise KeyFileError(
                f"{path} holds an unencrypted private key; refusing to use it",
                hint="Re-encrypt it: openssl pkcs8 -topk8 -v2 aes-256-cbc "
                f"-in {path} -out {path}.enc, then replace {path}.",
            )
        raise KeyFileError(
            f"{path} is not a private key file (no '-----BEGIN ENCRYPTED PRIVATE KEY-----')",
            hint="Check the path: it should be a key file written by tether.",
        )
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except UnsupportedAlgorithm as error:
        raise KeyFileError(
            f"{path} holds a key of an unsupported type: {error}",
            hint="Use an Ed25519 or an ECDSA P-256 key.",
        ) from error
    except (ValueError, TypeError) as error:
        raise KeyFileError(
            f"wrong passphrase for {path} (or the file is corrupted)",
            hint="Check the passphrase; the key cannot be recovered without it.",
        ) from error
    return _supported(path, key)


def _load_pkcs12(path: Path, data: bytes, passphrase: bytes) -> PrivateKey:
    try:
        key, _, _ = pkcs12.load_key_and_certificates(data, passphrase)
    except UnsupportedAlgorithm as error:
        raise KeyFileError(f"{path} holds a key of an unsupported type: {error}") from error
    except (ValueError, TypeError) as error:
        raise KeyFileError(
            f"wrong passphrase for {path} (or the file is not a key file written by tether)",
            hint="Check the passphrase; the key cannot be recovered without it.",
        ) from error
    return _supported(path, key)


def _supported(path: Path, key: object) -> PrivateKey:
    """The loaded key, if it is of a kind tetherai signs with."""
    if not isinstance(key, Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyFileError(
            f"{path} holds a key of an unsupported type ({type(key).__name__})",
            hint="Use an Ed25519 or an ECDSA P-256 key.",
        )
    try:
        algorithm_of(key)
    except UnsupportedKeyError as error:
        raise KeyFileError(f"{path}: {error.message}", hint=error.hint) from error
    return key


def write_certificate(
    path: Path, certificate: x509.Certificate, *, overwrite: bool = False
) -> None:
    """Write ``certificate`` as PEM to ``path``, mode 0644, atomically.

    Raises:
        CertificateError: the file exists (and not ``overwrite``) or the OS refused to write.
    """
    _write_file(
        path,
        certificate_to_pem(certificate),
        _PUBLIC_MODE,
        overwrite=overwrite,
        error=CertificateError,
    )


def load_certificate(path: Path) -> x509.Certificate:
    """Read a PEM certificate file.

    Raises:
        CertificateError: the file is missing or unreadable, or not a PEM certificate.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise CertificateError(f"no certificate file at {path}", hint="Check the path.") from error
    except OSError as error:
        raise CertificateError(f"cannot read {path}: {error.strerror or error}") from error
    try:
        return load_certificate_pem(data)
    except CertificateError as error:
        raise CertificateError(f"{path}: {error.message}", hint=error.hint) from error


def _read_private_file(path: Path) -> bytes:
    """Read a file that must be accessible by its owner only."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as error:
        raise KeyFileError(f"no key file at {path}", hint="Check the path.") from error
    except OSError as error:
        raise KeyFileError(f"cannot open {path}: {error.strerror or error}") from error
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        raise KeyFileError(f"{path} is not a regular file")
    with os.fdopen(descriptor, "rb") as file:
        mode = stat.S_IMODE(status.st_mode)
        if os.name == "posix" and mode & 0o077:
            raise KeyFileError(
                f"{path} is accessible by group or others (mode {mode:04o}); "
                "refusing to use a private key that others can access",
                hint=f"chmod 600 {path}",
                details={"mode": f"{mode:04o}"},
            )
        try:
            return file.read()
        except OSError as error:
            raise KeyFileError(f"cannot read {path}: {error.strerror or error}") from error


def _write_file(
    path: Path, data: bytes, mode: int, *, overwrite: bool, error: type[IdentityError]
) -> None:
    """Write ``data`` to ``path`` with exactly ``mode``: temp file, fsync, then rename."""
    if not overwrite and os.path.lexists(path):
        raise _exists(path, error)
    try:
        _make_directories(path.parent)
    except OSError as os_error:
        raise error(f"cannot create {path.parent}: {os_error.strerror or os_error}") from os_error
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # Created with at most 0600 (a umask only removes bits), so the content is never readable
    # by others, then set to exactly ``mode`` (a umask of 077 would have left 0644 as 0600).
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(temporary, flags, _PRIVATE_MODE)
    except OSError as os_error:
        raise error(f"cannot write {path}: {os_error.strerror or os_error}") from os_error
    try:
        with os.fdopen(descriptor, "wb") as file:
            os.fchmod(file.fileno(), mode)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if overwrite:
            os.replace(temporary, path)
        else:
            _move_without_overwrite(temporary, path, error)
        _fsync_directory(path.parent)
    except OSError as os_error:
        raise error(f"cannot write {path}: {os_error.strerror or os_error}") from os_error
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)  # still there unless renamed; after link() it must go


def _move_without_overwrite(source: Path, target: Path, error: type[IdentityError]) -> None:
    # link() fails if the target exists, so a file created since our check is never lost.
    try:
        os.link(source, target)
    except FileExistsError as exists:
        raise _exists(target, error) from exists
    except OSError:  # the filesystem has no hard links: check, then rename
        if os.path.lexists(target):
            raise _exists(target, error) from None
        os.replace(source, target)


def _exists(path: Path, error: type[IdentityError]) -> IdentityError:
    return error(
        f"{path} already exists; refusing to overwrite it",
        hint="Move it away first if it should be replaced.",
        details={"path": str(path)},
    )


def _make_directories(directory: Path) -> None:
    """Create ``directory`` and its missing parents with mode 0700 (existing ones untouched)."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:  # pragma: no cover - the root always exists
            break
        current = current.parent
    for created in reversed(missing):
        try:
            os.mkdir(created, _DIRECTORY_MODE)
        except FileExistsError:
            if not created.is_dir():
                raise
            continue
        os.chmod(created, _DIRECTORY_MODE)  # exactly 0700, whatever the umask


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the OS allows opening a directory)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(descriptor)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(descriptor)
