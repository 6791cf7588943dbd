"""Errors of the ledger layer (DESIGN.md §3).

Every class here is a :class:`~tetherai.errors.TetherError`, so front ends render ``message``
and ``hint`` and never see a foreign exception. Errors carry their evidence in ``details``
(expected vs computed root, tree sizes, leaf index, signer name), as tessera's
``ErrInconsistency`` does, so a caller can report exactly what did not match. The last column
is the kind (``tetherai.errors``) that gives the HTTP status and exit code.

    TetherError
    └── LedgerError            ledger.error                 (500, exit 3)
        ├── ProofError         ledger.bad_proof             IntegrityFailure (RFC 9162 §2.1)
        ├── CheckpointError    ledger.bad_checkpoint        IntegrityFailure (C2SP checkpoint)
        ├── BlockRejected      ledger.block_rejected        IntegrityFailure
        ├── VerificationFailed ledger.verification_failed   IntegrityFailure
        ├── StoreError         ledger.store                 Unavailable
        ├── MalformedTx        tx.malformed                 InvalidInput (never stored)
        ├── TxRejected         tx.rejected                  (422, exit 2) admission refused it
        ├── TxInvalid          tx.invalid                   (422, exit 2) marked invalid
        │   ├── tx.bad_args, tx.wrong_channel, tx.clock_skew           InvalidInput
        │   ├── tx.unknown_contract, tx.unknown_function,
        │   │   tx.contract_not_installed                              NotFound
        │   ├── tx.unknown_certificate, tx.revoked_certificate,
        │   │   tx.expired_certificate, tx.creator_mismatch,
        │   │   tx.bad_signature, tx.auditor_cannot_write              PermissionDenied
        │   └── tx.replayed                                            Conflict
        └── ContractError      contract.refused             (409, exit 3) contract code refused
            ├── contract.bad_write, contract.crashed,
            │   contract.output_too_large                              (409, exit 3)
            └── contract.bad_output                                    InvalidInput

A tx's refusal reaches front ends as its code (``TxRejected(..., code="tx.replayed")``, or the
code recorded in its block): the class declaring that code gives the status.
"""

from __future__ import annotations

from tetherai.errors import (
    EXIT_USAGE,
    Conflict,
    IntegrityFailure,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TetherError,
    Unavailable,
)

__all__ = [
    "AuditorCannotWrite",
    "BadArguments",
    "BadSignature",
    "BlockRejected",
    "CheckpointError",
    "ClockSkew",
    "ContractBadOutput",
    "ContractBadWrite",
    "ContractCrashed",
    "ContractError",
    "ContractNotInstalled",
    "ContractOutputTooLarge",
    "CreatorMismatch",
    "ExpiredCertificate",
    "LedgerError",
    "MalformedTx",
    "ProofError",
    "Replayed",
    "RevokedCertificate",
    "StoreError",
    "TxInvalid",
    "TxRejected",
    "UnknownCertificate",
    "UnknownContract",
    "UnknownFunction",
    "VerificationFailed",
    "WrongChannel",
]


class LedgerError(TetherError):
    """Base of every error raised by the ledger layer."""

    code = "ledger.error"
    hint = "The ledger refused the operation; check the arguments and the ledger's state."


class ProofError(IntegrityFailure, LedgerError):
    """A Merkle proof could not be built or did not verify (RFC 9162 §2.1.3, §2.1.4).

    ``details`` holds the evidence: tree sizes, leaf index, expected and computed roots.
    """

    code = "ledger.bad_proof"
    hint = (
        "The proof does not match the tree head it was checked against. Fetch a fresh proof "
        "and checkpoint from a peer you trust; if it still fails, treat it as tampering."
    )


class CheckpointError(IntegrityFailure, LedgerError):
    """A checkpoint or signed note is malformed, or its signatures do not verify.

    ``details`` names the signer, the offending line or the expected and found values.
    """

    code = "ledger.bad_checkpoint"
    hint = (
        "The checkpoint is malformed or not signed by a key you trust. Check the configured "
        "verifier keys (vkeys) and fetch the checkpoint again from its origin."
    )


class MalformedTx(InvalidInput, LedgerError):
    """Input that is not a well-formed envelope: it cannot even be given a tx id."""

    code = "tx.malformed"
    hint = "Send the canonical JSON (RFC 8785) of {tx, sig} with every tx field of DESIGN.md §3."


class TxInvalid(LedgerError):
    """A tx failed a validity check; at execution it stays in its block marked invalid."""

    code = "tx.invalid"
    hint = ""
    http_status = 422
    exit_code = EXIT_USAGE


class TxRejected(LedgerError):
    """Admission refused a tx before ordering; nothing was stored."""

    code = "tx.rejected"
    hint = ""
    http_status = 422
    exit_code = EXIT_USAGE


class ContractError(LedgerError):
    """Raised by contract code to refuse a call. Its code and message become the tx's reason."""

    code = "contract.refused"
    hint = ""
    http_status = 409


class BlockRejected(IntegrityFailure, LedgerError):
    """A peer refused a block: it does not follow the chain or is not the orderer's."""

    code = "ledger.block_rejected"
    hint = "The orderer and this peer disagree; run 'tether ledger verify' on both."


class StoreError(Unavailable, LedgerError):
    """The ledger's store could not be read or written."""

    code = "ledger.store"
    hint = "Check the path, the disk and the file permissions of the ledger store."


class VerificationFailed(IntegrityFailure, LedgerError):
    """The verifier found the first place where the ledger differs from its replay."""

    code = "ledger.verification_failed"
    hint = "The ledger store was altered or corrupted; restore it from a peer or a backup."


# -- one class per code a tx can be refused with (raised as TxInvalid/TxRejected with the code,
# or recorded in a block): the class gives the refusal its HTTP status and exit code ----------


class BadArguments(InvalidInput, TxInvalid):
    code = "tx.bad_args"


class WrongChannel(InvalidInput, TxInvalid):
    code = "tx.wrong_channel"


class ClockSkew(InvalidInput, TxInvalid):
    code = "tx.clock_skew"


class UnknownContract(NotFound, TxInvalid):
    code = "tx.unknown_contract"


class UnknownFunction(NotFound, TxInvalid):
    code = "tx.unknown_function"


class ContractNotInstalled(NotFound, TxInvalid):
    code = "tx.contract_not_installed"


class UnknownCertificate(PermissionDenied, TxInvalid):
    code = "tx.unknown_certificate"


class RevokedCertificate(PermissionDenied, TxInvalid):
    code = "tx.revoked_certificate"


class ExpiredCertificate(PermissionDenied, TxInvalid):
    code = "tx.expired_certificate"


class CreatorMismatch(PermissionDenied, TxInvalid):
    code = "tx.creator_mismatch"


class BadSignature(PermissionDenied, TxInvalid):
    code = "tx.bad_signature"


class AuditorCannotWrite(PermissionDenied, TxInvalid):
    code = "tx.auditor_cannot_write"


class Replayed(Conflict, TxInvalid):
    code = "tx.replayed"


class ContractBadWrite(ContractError):
    code = "contract.bad_write"


class ContractCrashed(ContractError):
    """Contract code raised something else than a ContractError: a bug, the same everywhere."""

    code = "contract.crashed"


class ContractOutputTooLarge(ContractError):
    code = "contract.output_too_large"


class ContractBadOutput(InvalidInput, ContractError):
    code = "contract.bad_output"
