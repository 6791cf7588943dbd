"""Read-only views of a ledger for people and scripts: summary, blocks, txs, proofs, verify."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry
from tetherai.crypto.jcs import JSONValue
from tetherai.errors import NotFound
from tetherai.ledger.checkpoint import Checkpoint
from tetherai.ledger.errors import LedgerError, MalformedTx
from tetherai.ledger.merkle import read_at_once, root_at
from tetherai.ledger.proofs import inclusion_proof
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.tlog_proof import TlogProof
from tetherai.ledger.transaction import Envelope
from tetherai.ledger.verifier import Progress, VerificationReport, verify_ledger

__all__ = [
    "SHORT_ID_LENGTH",
    "NotFoundError",
    "block_summaries",
    "find_tx_ids",
    "ledger_summary",
    "missing_tx",
    "resolve_tx_id",
    "tx_detail",
    "tx_proof",
    "verify",
]

SHORT_ID_LENGTH = 8
"""The fewest leading hex digits of a tx id that :func:`find_tx_ids` looks up."""
_TX_PREFIX = re.compile(rf"[0-9a-f]{{{SHORT_ID_LENGTH},64}}")


class NotFoundError(NotFound, LedgerError):
    """No such block or tx on this ledger."""

    code = "ledger.not_found"


def missing_tx(tx_id: str) -> NotFoundError:
    """The answer for a tx that is not on the ledger (or that the asker may not see)."""
    return NotFoundError(
        f"no tx {tx_id} on this ledger", hint="list txs with 'tether ledger blocks'"
    )


def ledger_summary(store: SqliteLedgerStore, channel: str) -> dict[str, JSONValue]:
    last = store.head_row()  # the header only: the last block's txs are not needed here
    height = 0 if last is None else last[0] + 1
    header = None if last is None else json.loads(last[2])
    checkpoint = store.latest_checkpoint()
    return {
        "channel": channel,
        "blocks": height,
        "txs": store.tx_count,
        "tree_size": None if header is None else header["log_size"],
        "root": None if header is None else header["log_root"],
        "state_root": None if last is None else last[3],
        "head_hash": None if last is None else last[1],
        "last_block_ts": None if header is None else header["ts"],
        "genesis_hash": store.meta("genesis_hash"),
        "ledger_format": store.ledger_format if height else None,
        "latest_checkpoint": None
        if checkpoint is None
        else {"block": checkpoint[1], "size": checkpoint[0], "note": checkpoint[2]},
    }


def block_summaries(store: SqliteLedgerStore, start: int, limit: int) -> list[dict[str, JSONValue]]:
    """Blocks ``start`` to ``start + limit - 1`` (those that exist): their header fields and
    tx counts, read without loading any tx (the counts are stored with each block)."""
    summaries: list[dict[str, JSONValue]] = []
    for number, block_hash, header, state_root, txs, invalid in store.block_rows(
        start, min(start + limit, store.height)
    ):
        fields = json.loads(header)
        summaries.append(
            {
                "number": number,
                "hash": block_hash,
                "ts": fields["ts"],
                "txs": txs,
                "valid": txs - invalid,
                "invalid": invalid,
                "log_size": fields["log_size"],
                "state_root": state_root,
            }
        )
    return summaries


def tx_detail(store: SqliteLedgerStore, tx_id: str) -> dict[str, JSONValue]:
    """A tx as stored: its fields, where it is, whether it was valid and what it wrote."""
    stored = store.tx(tx_id)
    if stored is None:
        raise missing_tx(tx_id)
    envelope = Envelope.from_bytes(stored.envelope)
    writes: list[JSONValue] = [
        {
            "key": key,
            "deleted": value is None,
            "value": None if value is None else json.loads(value),
        }
        for key, _, value in store.history_rows(stored.seq, stored.seq)
    ]
    return {
        "tx_id": stored.tx_id,
        "seq": stored.seq,
        "block": stored.block,
        "index": stored.index,
        "block_ts": store.block_ts(stored.block),  # the header only, not the whole block
        "valid": stored.valid,
        "code": stored.code,
        "message": stored.message,
        "contract_version": stored.contract_version,
        "result": None if stored.result is None else json.loads(stored.result).get("result"),
        "tx": envelope.tx.to_json(),
        "writes": writes,
    }


class BadTxId(MalformedTx):
    """What was given as a tx id is not one (nor the start of one): the caller's input."""

    code = "ledger.bad_tx_id"


def find_tx_ids(store: SqliteLedgerStore, text: str, *, limit: int = 20) -> list[str]:
    """The tx ids that start with ``text`` (a whole id or a unique start of at least
    :data:`SHORT_ID_LENGTH` hex digits; any case, spaces around it ignored), at most ``limit``.

    Callers show only those the person may read (``services.access``): a short id must not
    tell anyone that a tx they may not see exists.
    """
    prefix = text.strip().lower()
    if not _TX_PREFIX.fullmatch(prefix):
        raise BadTxId(
            f"{text.strip()[:80]!r} is not a tx id",
            hint=f"give the tx id, or its first {SHORT_ID_LENGTH} or more characters (0-9, a-f)",
        )
    return store.tx_ids_starting_with(prefix, limit)


def resolve_tx_id(store: SqliteLedgerStore, text: str) -> str:
    """The one tx id that ``text`` (an id or a unique start of 8+ hex digits) names, for
    those who may read the whole ledger (the node's operator).

    Raises:
        BadTxId: ``text`` is not hex of 8 to 64 digits.
        NotFoundError: no tx id starts with it, or several do (they are in ``details``).
    """
    found = find_tx_ids(store, text, limit=11)
    if len(found) == 1:
        return found[0]
    prefix = text.strip().lower()
    if not found:
        raise NotFoundError(f"no tx on this ledger starts with {prefix}")
    raise NotFoundError(
        f"{len(found) if len(found) <= 10 else 'more than 10'} txs start with {prefix}",
        hint="give more characters of the id: " + ", ".join(t[:16] + "…" for t in found[:10]),
        details={"candidates": found[:10]},
    )


def tx_proof(store: SqliteLedgerStore, tx_id: str) -> TlogProof:
    """The inclusion proof of a tx against the latest stored checkpoint."""
    stored = store.tx(tx_id)
    if stored is None:
        raise missing_tx(tx_id)
    latest = store.latest_checkpoint()
    if latest is None or latest[0] <= stored.seq:
        raise NotFoundError(
            f"no checkpoint covers tx {tx_id} yet", hint="wait for the next block's checkpoint"
        )
    size, _, note = latest
    hashes, root = read_at_once(
        lambda node: (inclusion_proof(stored.seq, size, node), root_at(size, node)),
        store.nodes,
        store.node,
    )
    body = note.partition("\n\n")[0] + "\n"
    if Checkpoint.parse(body).root_hash != root:
        raise LedgerError(
            "the stored checkpoint does not match the stored tree; run 'tether ledger verify'"
        )
    return TlogProof(stored.seq, tuple(hashes), note, stored.envelope)


def verify(
    store: SqliteLedgerStore,
    channel: str,
    *,
    trusted_checkpoints: Sequence[str] = (),
    resume_from: str | None = None,
    progress: Progress | None = None,
) -> VerificationReport:
    """Replay the ledger (after ``resume_from``, a checkpoint a previous run verified, if
    given) and compare everything stored with the replay."""
    return verify_ledger(
        store,
        channel=channel,
        registry=default_registry(),
        rules=MembershipRules(),
        trusted_checkpoints=trusted_checkpoints,
        resume_from=resume_from,
        progress=progress,
    )
