"""crypto layer (DESIGN.md §2, §3): canonical JSON, SHA-256 digests, signatures.

The bottom layer: it imports nothing else of tetherai but :mod:`tetherai.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tetherai._lazy import lazy_exports

if TYPE_CHECKING:
    from tetherai.crypto.digest import (
        CHUNK_SIZE,
        FileDigest,
        HashingReader,
        hash_file,
        hash_stream,
        is_sha256_hex,
        sha256_hex,
    )
    from tetherai.crypto.errors import (
        CanonicalizationError,
        CryptoError,
        NotCanonicalError,
        SignatureError,
        UnsupportedKeyError,
    )
    from tetherai.crypto.jcs import (
        CanonicalForm,
        JSONValue,
        canonical_form,
        canonicalize,
        dumps_plain,
        loads_canonical,
        loads_stored,
    )
    from tetherai.crypto.signature import (
        Algorithm,
        PrivateKey,
        PublicKey,
        algorithm_of,
        generate_private_key,
        load_public_key_pem,
        public_key_fingerprint,
        public_key_to_pem,
        sign,
        verify,
    )
    from tetherai.crypto.verify_workers import (
        VerifyWorkers,
        WorkerGone,
        run_workers_on,
        worker_key,
    )

__all__ = [
    "CHUNK_SIZE",
    "Algorithm",
    "CanonicalForm",
    "CanonicalizationError",
    "CryptoError",
    "FileDigest",
    "HashingReader",
    "JSONValue",
    "NotCanonicalError",
    "PrivateKey",
    "PublicKey",
    "SignatureError",
    "UnsupportedKeyError",
    "VerifyWorkers",
    "WorkerGone",
    "algorithm_of",
    "canonical_form",
    "canonicalize",
    "dumps_plain",
    "generate_private_key",
    "hash_file",
    "hash_stream",
    "is_sha256_hex",
    "load_public_key_pem",
    "loads_canonical",
    "loads_stored",
    "public_key_fingerprint",
    "public_key_to_pem",
    "run_workers_on",
    "sha256_hex",
    "sign",
    "verify",
    "worker_key",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
