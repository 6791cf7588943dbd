"""Errors of the ledger layer (DESIGN.md §3).

Every class here is a :class:`~tetherai.errors.TetherError`, so front ends render ``message``
and ``hint`` and never see a foreign exception. Errors carry their evidence in ``details``
(expected vs computed root, tree sizes, leaf index, signer name), as tessera's
``ErrInconsistency`` does, so a caller can report exactly what did not match.

    TetherError
    └── LedgerError            ledger.error
        ├── ProofError         ledger.bad_proof        (Merkle inclusion/consistency, RFC 9162 §2.1)
        ├── CheckpointError    ledger.bad_checkpoint   (C2SP tlog-checkpoint / signed-note)
        ├── MalformedTx        tx.malformed            (not a well-formed envelope; never stored)
        ├── TxInvalid          tx.*                    (a check failed; the tx is marked invalid)
        ├── TxRejected         tx.*                    (admission refused it before ordering)
        ├── ContractError      contract.*              (contract code refused the call)
        ├── BlockRejected      ledger.block_rejected   (a peer refused a block from the orderer)
        ├── StoreError         ledger.store            (the SQLite store failed or is unreadable)
        └── VerificationFailed ledger.verification_failed (the verifier found a difference)
"""

from __future__ import annotations

from tetherai.errors import TetherError

__all__ = [
    "BlockRejected",
    "CheckpointError",
    "ContractError",
    "LedgerError",
    "MalformedTx",
    "ProofError",
    "StoreError",
    "TxInvalid",
    "TxRejected",
    "VerificationFailed",
]


class LedgerError(TetherError):
    """Base of every error raised by the ledger layer."""

    code = "ledger.error"
    hint = "The ledger refused the operation; check the arguments and the ledger's state."


class ProofError(LedgerError):
    """A Merkle proof could not be built or did not verify (RFC 9162 §2.1.3, §2.1.4).

    ``details`` holds the evidence: tree sizes, leaf index, expected and computed roots.
    """

    code = "ledger.bad_proof"
    hint = (
        "The proof does not match the tree head it was checked against. Fetch a fresh proof "
        "and checkpoint from a peer you trust; if it still fails, treat it as tampering."
    )


class CheckpointError(LedgerError):
    """A checkpoint or signed note is malformed, or its signatures do not verify.

    ``details`` names the signer, the offending line or the expected and found values.
    """

    code = "ledger.bad_checkpoint"
    hint = (
        "The checkpoint is malformed or not signed by a key you trust. Check the configured "
        "verifier keys (vkeys) and fetch the checkpoint again from its origin."
    )


class MalformedTx(LedgerError):
    """Input that is not a well-formed envelope: it cannot even be given a tx id."""

    code = "tx.malformed"
    hint = "Send the canonical JSON (RFC 8785) of {tx, sig} with every tx field of DESIGN.md §3."


class TxInvalid(LedgerError):
    """A tx failed a validity check; at execution it stays in its block marked invalid."""

    code = "tx.invalid"
    hint = ""


class TxRejected(LedgerError):
    """Admission refused a tx before ordering; nothing was stored."""

    code = "tx.rejected"
    hint = ""


class ContractError(LedgerError):
    """Raised by contract code to refuse a call. Its code and message become the tx's reason."""

    code = "contract.refused"
    hint = ""


class BlockRejected(LedgerError):
    """A peer refused a block: it does not follow the chain or is not the orderer's."""

    code = "ledger.block_rejected"
    hint = "The orderer and this peer disagree; run 'tether ledger verify' on both."


class StoreError(LedgerError):
    """The ledger's store could not be read or written."""

    code = "ledger.store"
    hint = "Check the path, the disk and the file permissions of the ledger store."


class VerificationFailed(LedgerError):
    """The verifier found the first place where the ledger differs from its replay."""

    code = "ledger.verification_failed"
    hint = "The ledger store was altered or corrupted; restore it from a peer or a backup."
