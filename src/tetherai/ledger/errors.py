"""Errors of the ledger layer (DESIGN.md §3).

Every class here is a :class:`~tetherai.errors.TetherError`, so front ends render ``message``
and ``hint`` and never see a foreign exception. Errors carry their evidence in ``details``
(expected vs computed root, tree sizes, leaf index, signer name), as tessera's
``ErrInconsistency`` does, so a caller can report exactly what did not match.

    TetherError
    └── LedgerError            ledger.error
        ├── ProofError         ledger.bad_proof        (Merkle inclusion/consistency, RFC 9162 §2.1)
        └── CheckpointError    ledger.bad_checkpoint   (C2SP tlog-checkpoint / signed-note)
"""

from __future__ import annotations

from tetherai.errors import TetherError

__all__ = ["CheckpointError", "LedgerError", "ProofError"]


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
