"""Audit history of a project or a model version, read from the ledger (DESIGN.md §3, §5).

Every tx that changed a version's records — its content, its status, its review — in ledger
order: when (the block's time), which tx, who and of which org, what it called, the status
before and after, and the digests involved (registered, recomputed, mismatching, documents).
It is read from the per-key history the ledger keeps, so it can be rebuilt from the ledger
alone.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from tetherai.crypto.jcs import JSONValue
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.transaction import stored_transaction

__all__ = [
    "HistoryEntry",
    "HistoryPage",
    "history_page",
    "history_total",
    "lifecycle_history",
    "project_history",
    "project_roots",
    "tx_digests",
    "version_history",
    "version_roots",
]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    seq: int
    tx_id: str
    block: int
    ts: int
    participant: str
    org: str
    action: str
    keys: tuple[str, ...]
    status_before: str | None = None
    status_after: str | None = None
    reason: str | None = None
    digests: tuple[dict[str, JSONValue], ...] = field(default=())
    details: dict[str, JSONValue] | None = None
    """What the move recorded besides its reason (a deployment's ``endpoint``)."""

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "seq": self.seq,
            "tx_id": self.tx_id,
            "block": self.block,
            "ts": self.ts,
            "participant": self.participant,
            "org": self.org,
            "action": self.action,
            "keys": list(self.keys),
            "status_before": self.status_before,
            "status_after": self.status_after,
            "reason": self.reason,
            "digests": list(self.digests),
            "details": self.details,
        }


def version_roots(project: str, version: str) -> tuple[str, ...]:
    """The keys whose writes (with the keys below them) are a version's history."""
    return (
        f"model_version/{project}/{version}",
        f"workflow/{project}/{version}",
        f"review/{project}/{version}",
    )


def project_roots(project: str) -> tuple[str, ...]:
    """The key whose writes (with the keys below it) are a project's own history."""
    return (f"project/{project}",)


def _status_key(roots: tuple[str, ...]) -> str | None:
    return next((root for root in roots if root.startswith("workflow/")), None)


def version_history(store: SqliteLedgerStore, project: str, version: str) -> list[HistoryEntry]:
    """Every tx that changed ``project``'s ``version``, oldest first."""
    rows = [row for root in version_roots(project, version) for row in store.history_under(root)]
    return _entries(store, rows, status_key=f"workflow/{project}/{version}")


def project_history(store: SqliteLedgerStore, project: str) -> list[HistoryEntry]:
    """Every tx that changed the project's own records (details, members, factsheet, policy)."""
    return _entries(store, store.history_under(f"project/{project}"), status_key=None)


def lifecycle_history(store: SqliteLedgerStore, project: str, version: str) -> list[HistoryEntry]:
    """The txs that moved a version or recorded a verification of it, oldest first: its
    history without the comments, votes, ratings and reports, which can be many. An entry
    lists only the status and verification keys among its ``keys``."""
    status_key = f"workflow/{project}/{version}"
    rows = [
        *store.history_under(status_key),
        *store.history_under(f"review/{project}/{version}/verification"),
    ]
    return _entries(store, rows, status_key=status_key)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of a history: ``entries`` oldest first, ``next`` the cursor (a log position)
    of the page that follows (``None``: none follows), ``total`` entries in all."""

    entries: list[HistoryEntry]
    next: int | None
    total: int


@dataclass(frozen=True, slots=True)
class _Counted:
    """A history's count up to log position ``upto`` (-1: the log was empty), and the id of
    the tx at ``upto``, by which a count is known to be of this very ledger."""

    count: int
    upto: int
    tx_id: str | None


# Counts and full pages of histories, remembered across requests (the log is append-only, so
# neither can change but by growing; each is used only while the tx at its last position has
# the same id, as ``_FACTS``). A version's history grows with its comments, and counting or
# paging it from scratch on every view read every row under it.
_TOTALS: dict[tuple[str, tuple[str, ...]], _Counted] = {}
_PAGES: dict[tuple[str, tuple[str, ...], int | None, int], tuple[list[int], str]] = {}
_TOTALS_KEPT = 10_000
_PAGES_KEPT = 1_000
"""Pages kept: each holds up to 501 positions (~20 MB at the most)."""
_RECOUNT = 4
"""A count is brought up to date from its last position while the log grew by at most this
many times its entries (and 1,000 txs) since; past that, counting its own rows is cheaper."""


def _remember(kept: dict[Any, Any], most: int, key: Any, value: Any) -> None:
    if len(kept) >= most:
        kept.clear()
    kept[key] = value


def history_total(store: SqliteLedgerStore, roots: tuple[str, ...]) -> int:
    """How many entries the history of ``roots`` has: counted in SQL (none read) once, then
    brought up to date from the last log position counted, reading only the txs since."""
    key = (store.path, roots)
    known = _TOTALS.get(key)
    if (
        known is not None
        and store.tx_count - 1 - known.upto <= max(1000, _RECOUNT * known.count)
        and store.has_tx_at(known.upto, known.tx_id)
    ):
        new, upto = store.count_positions_under(roots, after=known.upto)
        if upto == known.upto:
            return known.count
        count = known.count + new
    else:
        count, upto = store.count_positions_under(roots)
    tx_id = store.tx_id_at(upto)
    _remember(_TOTALS, _TOTALS_KEPT, key, _Counted(count, upto, tx_id))
    return count


def history_page(
    store: SqliteLedgerStore, roots: tuple[str, ...], *, after: int | None = None, limit: int
) -> HistoryPage:
    """A page of the history of ``roots`` (``version_roots`` or ``project_roots``), oldest
    first: the ``limit`` entries after position ``after`` (from the first when ``None``).
    Reads only the page's rows, and counts the rest in SQL (``history_total``).

    A cursor only narrows the positions read under ``roots``; whatever number it holds, it
    reads nothing else. A page with one that follows it can no longer change (what the log
    adds comes after it), so its positions are remembered."""
    key = (store.path, roots, after, limit)
    known = _PAGES.get(key)
    if known is not None and store.has_tx_at(known[0][-1], known[1]):
        positions = known[0]
    else:
        positions = store.positions_under(roots, after=after, limit=limit + 1)
        if len(positions) > limit:
            last = positions[-1]
            _remember(_PAGES, _PAGES_KEPT, key, (positions, str(store.tx_id_at(last))))
    shown = positions[:limit]
    entries = _entries(store, store.history_at(roots, shown), status_key=_status_key(roots))
    more = len(positions) > limit
    return HistoryPage(entries, shown[-1] if more else None, history_total(store, roots))


@dataclass(frozen=True, slots=True)
class _TxFacts:
    """What an entry takes from its tx and block: fixed once the tx is on the ledger."""

    tx_id: str
    block: int
    ts: int
    participant: str
    org: str
    action: str
    digests: tuple[dict[str, JSONValue], ...]


_FACTS: dict[tuple[str, int], _TxFacts] = {}
_FACTS_KEPT = 100_000


def _tx_facts(store: SqliteLedgerStore, seqs: Collection[int]) -> dict[int, _TxFacts]:
    """Each tx's facts by position, remembered across requests (the ledger is append-only;
    a remembered entry is used only while the tx at its position has the same id), so a
    history read again loads only the txs added since."""
    ids = store.tx_ids_at(seqs)
    found: dict[int, _TxFacts] = {}
    missing = []
    for seq in seqs:
        known = _FACTS.get((store.path, seq))
        if known is not None and known.tx_id == ids.get(seq):
            found[seq] = known
        else:
            missing.append(seq)
    if missing and len(_FACTS) + len(missing) > _FACTS_KEPT:
        _FACTS.clear()
    for stored, ts in store.txs_at(missing):
        tx = stored_transaction(stored.envelope)
        facts = found[stored.seq] = _TxFacts(
            tx_id=stored.tx_id,
            block=stored.block,
            ts=ts,
            participant=tx.creator.id,
            org=tx.creator.org,
            action=f"{tx.contract}.{tx.fn}",
            digests=tuple(tx_digests(dict(tx.args), stored.result)),
        )
        _FACTS[(store.path, stored.seq)] = facts
    return found


def _entries(
    store: SqliteLedgerStore, rows: Iterable[tuple[str, int, str | None]], *, status_key: str | None
) -> list[HistoryEntry]:
    by_seq: dict[int, list[tuple[str, str | None]]] = {}
    for key, seq, value in rows:
        by_seq.setdefault(seq, []).append((key, value))
    facts = _tx_facts(store, by_seq)
    entries = []
    for seq in sorted(facts):
        tx = facts[seq]
        writes = dict(by_seq[seq])
        before = after = reason = details = None
        if status_key is not None and writes.get(status_key):
            status = json.loads(writes[status_key])  # type: ignore[arg-type]
            before, after, reason = (
                status.get("previous"),
                status["status"],
                status.get("reason") or None,
            )
            details = status.get("details") if isinstance(status.get("details"), dict) else None
        entries.append(
            HistoryEntry(
                seq=seq,
                tx_id=tx.tx_id,
                block=tx.block,
                ts=tx.ts,
                participant=tx.participant,
                org=tx.org,
                action=tx.action,
                keys=tuple(sorted(writes)),
                status_before=before,
                status_after=after,
                reason=reason,
                digests=tx.digests,
                details=details,
            )
        )
    return entries


def tx_digests(args: dict[str, Any], result_text: str | None) -> list[dict[str, JSONValue]]:
    """The digests a tx named: artifacts registered or recomputed, documents, mismatches.

    ``args`` are the tx's arguments, ``result_text`` its stored result (canonical JSON)."""
    found: list[dict[str, JSONValue]] = []
    for role, field_name in (("registered", "artifacts"), ("reproduced", "reproduction")):
        for entry in args.get(field_name) or []:
            if isinstance(entry, dict) and "name" in entry:
                label = "recomputed" if "kind" not in entry and role == "registered" else role
                found.append({"name": entry["name"], "sha256": entry.get("sha256"), "role": label})
    if isinstance(args.get("sha256"), str):
        found.append({"name": args.get("name", ""), "sha256": args["sha256"], "role": "document"})
    if result_text:
        result = json.loads(result_text).get("result")
        if isinstance(result, dict):
            for mismatch in result.get("mismatches") or []:
                found.append(
                    {
                        "name": mismatch["name"],
                        "sha256": mismatch["recomputed"],
                        "role": "mismatch",
                        "registered": mismatch["registered"],
                    }
                )
    return found
