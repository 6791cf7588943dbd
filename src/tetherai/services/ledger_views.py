"""The ledger explorer's reads for one person: txs, proofs, blocks, key history (DESIGN.md §3).

The same views as ``services.ledger_info``, through the one visibility rule
(``services.access.Visibility``): a tx the person may not see answers exactly as a tx that is
not on the ledger, and in a block it shows only as its hash (its id and position), never its
contract, creator, arguments, result or refusal. The API's ledger routes and the explorer
pages both read through here. The operator's ``tether ledger`` commands read the files
directly (``ledger_info``): whoever holds the files sees everything on them anyway.
"""

from __future__ import annotations

import json
from typing import Any

from tetherai.contracts.access import CHANNEL_CONTRACTS
from tetherai.crypto.jcs import JSONValue
from tetherai.ledger.sqlite_store import SqliteLedgerStore, StoredBlock, StoredTx
from tetherai.ledger.tlog_proof import TlogProof
from tetherai.ledger.transaction import stored_transaction
from tetherai.services.access import (
    TxScope,
    Viewer,
    Visibility,
    require_readable_project,
    tx_scope,
)
from tetherai.services.ledger_info import (
    NotFoundError,
    find_tx_ids,
    missing_tx,
    tx_detail,
    tx_proof,
)

__all__ = [
    "block_summaries",
    "block_view",
    "find_visible_txs",
    "key_history",
    "verification_view",
    "visible_tx",
    "visible_tx_proof",
]

_PROJECT_NAMESPACES = ("project", "model_version", "workflow", "review")


_SCOPES: dict[tuple[str, int, str], TxScope] = {}
_SCOPES_KEPT = 100_000


def _scopes(store: SqliteLedgerStore, txs: list[tuple[int, str]]) -> dict[int, TxScope]:
    """The scope of each ``(seq, tx_id)`` on ``store``, by seq: remembered across requests (a
    stored tx never changes), so a list of recent blocks parses each envelope once."""
    found: dict[int, TxScope] = {}
    missing: list[tuple[int, str]] = []
    for seq, tx_id in txs:
        known = _SCOPES.get((store.path, seq, tx_id))
        if known is None:
            missing.append((seq, tx_id))
        else:
            found[seq] = known
    if missing:
        envelopes = store.envelopes_at(seq for seq, _ in missing)
        if len(_SCOPES) + len(missing) > _SCOPES_KEPT:
            _SCOPES.clear()
        for seq, tx_id in missing:
            scope = found[seq] = tx_scope(stored_transaction(envelopes[seq]))
            _SCOPES[(store.path, seq, tx_id)] = scope
    return found


def _visible(store: SqliteLedgerStore, stored: StoredTx | None, visible: Visibility) -> bool:
    return stored is not None and visible.tx(stored_transaction(stored.envelope))


def _check_tx(store: SqliteLedgerStore, tx_id: str, who: Viewer) -> None:
    if not _visible(store, store.tx(tx_id), Visibility(store, who)):
        raise missing_tx(tx_id)


def visible_tx(store: SqliteLedgerStore, tx_id: str, who: Viewer) -> dict[str, JSONValue]:
    """A tx as stored (``ledger_info.tx_detail``), if ``who`` may see it.

    Raises:
        NotFoundError: no such tx, or one ``who`` may not see (the same answer).
    """
    _check_tx(store, tx_id, who)
    return tx_detail(store, tx_id)


def visible_tx_proof(store: SqliteLedgerStore, tx_id: str, who: Viewer) -> TlogProof:
    """The tx's inclusion proof (``ledger_info.tx_proof``), if ``who`` may see the tx."""
    _check_tx(store, tx_id, who)
    return tx_proof(store, tx_id)


def _tx_rows(
    store: SqliteLedgerStore, stored: StoredBlock, visible: Visibility
) -> list[dict[str, Any]]:
    scopes = _scopes(store, [(tx.seq, tx.tx_id) for tx in stored.txs])
    rows: list[dict[str, Any]] = []
    for tx in stored.txs:
        if visible.scope(scopes[tx.seq]):
            rows.append(
                {
                    "tx_id": tx.tx_id,
                    "seq": tx.seq,
                    "valid": tx.valid,
                    "code": tx.code,
                    "message": tx.message,
                    "hidden": False,
                }
            )
        else:
            rows.append({"tx_id": tx.tx_id, "seq": tx.seq, "hidden": True})
    return rows


SCAN_LIMIT = 1000
"""How many matches of a short tx id a search looks through (a start of 8+ hex digits rarely
matches more than one)."""


def find_visible_txs(
    store: SqliteLedgerStore, text: str, who: Viewer, *, limit: int
) -> tuple[list[dict[str, JSONValue]], bool]:
    """The txs ``who`` may see whose id starts with ``text`` (``ledger_info.find_tx_ids``), at
    most ``limit``, and whether more of them match. Txs they may not see are not counted, so a
    short id never tells that one exists.

    Raises:
        BadTxId: ``text`` is not a tx id or a start of one.
    """
    visible = Visibility(store, who)
    found: list[dict[str, JSONValue]] = []
    for tx_id in find_tx_ids(store, text, limit=SCAN_LIMIT):
        if _visible(store, store.tx(tx_id), visible):
            found.append(tx_detail(store, tx_id))
            if len(found) > limit:
                break
    return found[:limit], len(found) > limit


def block_view(store: SqliteLedgerStore, number: int, who: Viewer) -> dict[str, Any] | None:
    """A block: header, orderer signature, roots, and its txs — those ``who`` may not see as
    their hash only. ``None`` when there is no such block."""
    stored = store.block(number)
    if stored is None:
        return None
    return {
        "number": stored.number,
        "hash": stored.hash,
        "header": json.loads(stored.header),
        "orderer_sig": stored.orderer_sig.hex(),
        "state_root": stored.state_root,
        "results_hash": stored.results_hash,
        "txs": _tx_rows(store, stored, Visibility(store, who)),
    }


def block_summaries(
    store: SqliteLedgerStore, start: int, limit: int, who: Viewer
) -> list[dict[str, JSONValue]]:
    """Blocks ``start`` … ``start+limit-1``: time, roots, how many txs, and of those ``who``
    may see how many were valid and invalid (the others are counted as ``hidden``)."""
    visible = Visibility(store, who)
    stop = min(start + limit, store.height)
    heads = store.block_tx_heads(start, stop)
    scopes = _scopes(store, [(seq, tx_id) for seq, tx_id, _, _ in heads])
    shown: dict[int, list[int]] = {}  # block: [valid, invalid] of the txs ``who`` may see
    for seq, _, block, is_valid in heads:
        if visible.scope(scopes[seq]):
            shown.setdefault(block, [0, 0])[0 if is_valid else 1] += 1
    summaries: list[dict[str, JSONValue]] = []
    for number, block_hash, header_bytes, state_root, txs, _ in store.block_rows(start, stop):
        header = json.loads(header_bytes)
        valid, invalid = shown.get(number, [0, 0])
        summaries.append(
            {
                "number": number,
                "hash": block_hash,
                "ts": header["ts"],
                "txs": txs,
                "valid": valid,
                "invalid": invalid,
                "hidden": txs - valid - invalid,
                "log_size": header["log_size"],
                "state_root": state_root,
            }
        )
    return summaries


def key_history(store: SqliteLedgerStore, key: str, who: Viewer) -> list[dict[str, JSONValue]]:
    """``GetHistoryForKey`` for a key of a project ``who`` may read, or of the channel.

    Raises:
        NotFound: a key of a project ``who`` may not read (as for a missing project).
        NotFoundError: an index key or an unknown namespace.
    """
    namespace, _, rest = key.partition("/")
    parts = rest.split("/")
    if namespace in _PROJECT_NAMESPACES and len(parts) >= 2 and not parts[0].startswith("_"):
        require_readable_project(store, "/".join(parts[:2]), who)
    elif namespace not in CHANNEL_CONTRACTS:
        raise NotFoundError(
            f"no readable state key {key!r}",
            hint="history is kept for project, model_version, workflow, review, membership "
            "and notary keys",
        )
    return store.history(key)


def verification_view(
    report: dict[str, Any] | None, store: SqliteLedgerStore, who: Viewer
) -> dict[str, Any] | None:
    """The last full verification's report as ``who`` may see it: a difference found in a tx
    they may not see is named by its block only (its message and the expected and found
    values may quote that tx's records)."""
    problem = report.get("problem") if isinstance(report, dict) else None
    if not isinstance(report, dict) or not isinstance(problem, dict):
        return report
    tx_id = problem.get("tx_id")
    stored = store.tx(str(tx_id)) if isinstance(tx_id, str) else None
    if tx_id is None or _visible(store, stored, Visibility(store, who)):
        return report
    kept = {key: problem[key] for key in ("code", "block") if key in problem}
    return report | {"problem": kept | {"message": "a difference in a tx you may not see"}}
