"""Offline-verifiable proof of one tx, in the C2SP ``tlog-proof@v1`` text format.

::

    c2sp.org/tlog-proof@v1
    extra <base64 of the envelope's canonical bytes>
    index <leaf index>
    <base64 proof hash>
    ...
    <blank line>
    <signed checkpoint note>

The ``extra`` line carries the leaf data itself (the envelope), so the proof is
self-contained: hash it as an RFC 6962 leaf, check the inclusion proof against the
checkpoint's root, and check the checkpoint's signatures against trusted keys.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tetherai.ledger.checkpoint import CosignatureVerifier, NoteVerifier, open_checkpoint
from tetherai.ledger.errors import ProofError
from tetherai.ledger.merkle import leaf_hash
from tetherai.ledger.proofs import verify_inclusion
from tetherai.ledger.tree_head import LedgerCheckpoint

__all__ = ["TlogProof", "format_tlog_proof", "parse_tlog_proof"]

HEADER = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True, slots=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    def verify(
        self, verifiers: Sequence[NoteVerifier | CosignatureVerifier], *, origin: str
    ) -> LedgerCheckpoint:
        """Check signatures, then the inclusion of ``extra`` (the leaf) under the signed root.

        Raises:
            CheckpointError: the checkpoint is not signed by a trusted key.
            ProofError: the leaf is not in the tree the checkpoint commits to.
        """
        if self.extra is None:
            raise ProofError("the proof carries no leaf data (no 'extra' line)")
        checkpoint, _ = open_checkpoint(self.checkpoint_note, verifiers, origin=origin)
        verify_inclusion(
            leaf_hash(self.extra), self.index, checkpoint.size, self.hashes, checkpoint.root_hash
        )
        return LedgerCheckpoint.from_checkpoint(checkpoint)


_INDEX = re.compile(r"0|[1-9][0-9]{0,19}", re.ASCII)


def format_tlog_proof(proof: TlogProof) -> str:
    lines = [HEADER]
    if proof.extra is not None:
        lines.append(f"extra {base64.b64encode(proof.extra).decode()}")
    lines.append(f"index {proof.index}")
    lines.extend(base64.b64encode(node).decode() for node in proof.hashes)
    return "\n".join(lines) + "\n\n" + proof.checkpoint_note


def parse_tlog_proof(text: str) -> TlogProof:
    """Parse a ``tlog-proof@v1`` text.

    Raises:
        ProofError: the text is not in that format.
    """
    head, separator, note = text.partition("\n\n")
    lines = head.split("\n")
    if not separator or not lines or lines[0] != HEADER:
        raise ProofError(f"not a {HEADER} proof")
    position = 1
    extra = None
    try:
        if lines[position].startswith("extra "):
            extra = base64.b64decode(lines[position].removeprefix("extra "), validate=True)
            position += 1
        if not lines[position].startswith("index "):
            raise ProofError("the proof lacks its 'index' line")
        index_text = lines[position].removeprefix("index ")
        # tlog-proof@v1: ASCII decimal without leading zeroes; int() would also take "005",
        # "+5", "0_5" and non-ASCII digits.
        if not _INDEX.fullmatch(index_text):
            raise ProofError(f"the proof index {index_text[:40]!r} is not a decimal number")
        index = int(index_text)
        hashes = tuple(base64.b64decode(line, validate=True) for line in lines[position + 1 :])
    except (IndexError, ValueError, binascii.Error) as error:
        raise ProofError(f"malformed {HEADER} proof: {error}") from error
    if index < 0 or any(len(node) != 32 for node in hashes):
        raise ProofError("malformed proof: negative index or a hash that is not 32 bytes")
    return TlogProof(index, hashes, note, extra)
