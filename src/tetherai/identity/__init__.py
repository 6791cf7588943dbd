"""identity layer (DESIGN.md §2, §4): org CAs, participant certificates, key files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tetherai._lazy import lazy_exports

if TYPE_CHECKING:
    from tetherai.identity.ca import (
        CA_CERTIFICATE_FILE,
        CA_KEY_FILE,
        NODE_UNIT,
        CertificateAuthority,
    )
    from tetherai.identity.certificate import (
        ParticipantIdentity,
        certificate_sha256,
        certificate_to_pem,
        load_certificate_pem,
        parse_participant_certificate,
        validate_name,
        verify_issued_by,
        verify_org_ca,
    )
    from tetherai.identity.errors import (
        CertificateError,
        IdentityError,
        KeyFileError,
        PossessionError,
    )
    from tetherai.identity.keys import (
        DEFAULT_KDF_ROUNDS,
        load_certificate,
        load_private_key,
        write_certificate,
        write_private_key,
        write_tls_private_key,
    )
    from tetherai.identity.possession import (
        POSSESSION_PURPOSE,
        check_possession,
        possession_statement,
        prove_possession,
    )
    from tetherai.identity.roles import Role

__all__ = [
    "CA_CERTIFICATE_FILE",
    "CA_KEY_FILE",
    "DEFAULT_KDF_ROUNDS",
    "NODE_UNIT",
    "POSSESSION_PURPOSE",
    "CertificateAuthority",
    "CertificateError",
    "IdentityError",
    "KeyFileError",
    "ParticipantIdentity",
    "PossessionError",
    "Role",
    "certificate_sha256",
    "certificate_to_pem",
    "check_possession",
    "load_certificate",
    "load_certificate_pem",
    "load_private_key",
    "parse_participant_certificate",
    "possession_statement",
    "prove_possession",
    "validate_name",
    "verify_issued_by",
    "verify_org_ca",
    "write_certificate",
    "write_private_key",
    "write_tls_private_key",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
