"""The one error base of tetherai.

Every error a user can meet is a :class:`TetherError` with a stable dotted ``code``
(``ledger.chain_broken``), a ``message`` saying what was wrong and a ``hint`` saying what to do.
Each layer adds its subclasses in its own ``errors.py``; front ends (CLI, API, web) catch only
this base and render ``message`` and ``hint``. This module imports nothing on purpose, so any
layer may depend on it.

    TetherError
    ├── crypto.errors.CryptoError
    │   ├── CanonicalizationError ── NotCanonicalError
    │   └── SignatureError
    ├── identity.errors.IdentityError
    │   ├── CertificateError
    │   └── KeyFileError
    ├── ledger.errors.LedgerError
    │   ├── ProofError
    │   ├── CheckpointError
    │   ├── StoreError
    │   ├── TxRejected            (admission refused a tx; nothing was stored)
    │   ├── ContractError         (raised by contract code; becomes the tx's invalid reason)
    │   └── VerificationFailed    (the verifier found a difference; carries evidence)
    └── ordering.errors.OrderingError
"""

from __future__ import annotations

__all__ = ["TetherError"]


class TetherError(Exception):
    """Base of every error tetherai raises on purpose.

    ``code`` is stable and machine-readable; ``message`` and ``hint`` are for people.
    ``details`` holds structured evidence (expected vs found, the block number, ...).
    """

    code: str = "tether.error"
    hint: str = ""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        code: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint
        if code is not None:
            self.code = code
        self.details: dict[str, object] = dict(details or {})

    def __str__(self) -> str:
        return self.message
