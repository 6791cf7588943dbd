"""Errors of the identity layer: CAs, certificates and key files (DESIGN.md §4).

    TetherError
    └── IdentityError              identity.error (identity.bad_name for an invalid name)
        ├── CertificateError       identity.bad_certificate
        ├── KeyFileError           identity.key_file
        └── PossessionError        identity.no_possession   a key registered without proof it is held

All are :class:`~tetherai.errors.InvalidInput` (422, exit 2): a name, certificate or key file
the caller gave cannot be used.

``cryptography`` and OS errors are translated into these in the module that meets them,
chained with ``from``.
"""

from __future__ import annotations

from tetherai.errors import InvalidInput

__all__ = ["CertificateError", "IdentityError", "KeyFileError", "PossessionError"]


class IdentityError(InvalidInput):
    """Base of the identity layer's errors; also raised for an invalid org or participant id."""

    code = "identity.error"
    hint = "Check the org, participant and certificate involved."


class CertificateError(IdentityError):
    """A certificate cannot be read, does not describe a participant, or was not issued validly."""

    code = "identity.bad_certificate"
    hint = (
        "Use a PEM certificate issued by the org's CA (tether issues them), valid at the time "
        "it is used."
    )


class KeyFileError(IdentityError):
    """A private key file cannot be written or read (missing, wrong passphrase, unsafe mode)."""

    code = "identity.key_file"
    hint = "Check the key file's path, its permissions (0600) and the passphrase."


class PossessionError(IdentityError):
    """A public key was offered without proof that its holder is the person registering it."""

    code = "identity.no_possession"
    hint = "Sign the registration with the private key you register (tether key register does)."
