"""The ledger's checkpoints: a C2SP checkpoint with the block number and state root.

The body is a C2SP ``tlog-checkpoint`` (origin ``tetherai/<channel>``, tree size, root hash)
with two extension lines, ``block <n>`` and ``state <hex state root>``, so one signed note
commits to both the Merkle log and the state-root chain at a block boundary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tetherai.ledger.checkpoint import Checkpoint
from tetherai.ledger.errors import CheckpointError

__all__ = ["LedgerCheckpoint", "origin_for"]

_BLOCK = re.compile(r"block (0|[1-9][0-9]*)")
_STATE = re.compile(r"state ([0-9a-f]{64})")


def origin_for(channel: str) -> str:
    return f"tetherai/{channel}"


@dataclass(frozen=True, slots=True)
class LedgerCheckpoint:
    channel: str
    block: int
    size: int
    root_hash: bytes
    state_root: str

    def to_checkpoint(self) -> Checkpoint:
        return Checkpoint(
            origin=origin_for(self.channel),
            size=self.size,
            root_hash=self.root_hash,
            extensions=(f"block {self.block}", f"state {self.state_root}"),
        )

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint) -> LedgerCheckpoint:
        """Read the ledger's extension lines.

        Raises:
            CheckpointError: not a tetherai checkpoint.
        """
        if not checkpoint.origin.startswith("tetherai/"):
            raise CheckpointError(
                f"checkpoint origin '{checkpoint.origin}' is not a tetherai ledger"
            )
        block = state = None
        for line in checkpoint.extensions:
            if match := _BLOCK.fullmatch(line):
                block = int(match.group(1))
            elif match := _STATE.fullmatch(line):
                state = match.group(1)
        if block is None or state is None:
            raise CheckpointError("checkpoint lacks the 'block <n>' and 'state <root>' lines")
        return cls(
            channel=checkpoint.origin.removeprefix("tetherai/"),
            block=block,
            size=checkpoint.size,
            root_hash=checkpoint.root_hash,
            state_root=state,
        )
