"""Query projections of the ledger in the service database (DESIGN.md §6).

The projector reads committed blocks from the peer's store and keeps the ``projects``,
``versions`` and ``history`` tables and the per-channel cursor up to date. Everything here can
be thrown away and rebuilt from the ledger (:meth:`Projector.rebuild`); :meth:`Projector.check`
says whether the tables still match the ledger, so a stale or edited projection is noticed.

Catching up is a stream: blocks are read in batches and many of them (up to ``batch_txs`` txs)
go into one database transaction, with the cursor, so a crash resumes at a batch boundary.
A batch reads its blocks' heads and the keys its txs wrote; each key says what it means to the
projections (:func:`classify`), so only the txs that wrote a projected key are read (a notary
record costs one key lookup, its envelope is never read) and only the values a rule uses are
decoded. Rows touched in a batch are kept in memory, so the ORM never flushes half a batch to
look one up; they, the history and the notifications are inserted many rows per statement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.services.db import (
    HistoryProjection,
    ProjectionCursor,
    ProjectProjection,
    SessionFactory,
    VersionProjection,
    transaction,
)
from tetherai.services.notifications import Event, deliver_webhooks, record_events
from tetherai.services.projection_batch import (
    PROJECTED_KEYS,
    Batch,
    Head,
    Write,
    block_batches,
    classify,
)
from tetherai.vocabulary import Status

__all__ = ["ProjectionReport", "Projector"]


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


BATCH_TXS = 5000
"""Txs per database transaction while catching up (a few MB of rows at most)."""


class _Call:
    """A tx's creator and call, read from its stored envelope when first asked for (the
    envelope was checked when its block was committed: only its fields are read)."""

    def __init__(self, envelope: bytes) -> None:
        self._envelope = envelope
        self._who: dict[str, Any] | None = None

    def who(self) -> dict[str, Any]:
        """Who made the tx and what it called (a notification's ``detail`` starts with it)."""
        if self._who is None:
            tx = json.loads(self._envelope)["tx"]
            creator = tx["creator"]
            self._who = {
                "by": creator["id"],
                "org": creator["org"],
                "action": f"{tx['contract']}.{tx['fn']}",
            }
        return dict(self._who)


@dataclass(frozen=True, slots=True)
class ProjectionReport:
    ok: bool
    blocks_applied: int
    problems: tuple[str, ...] = ()
    """What the projections say that the ledger does not (a changed or lost row)."""
    behind: str | None = None
    """Set when the projections stop before the ledger's last block: not a difference (the
    server's follower catches up when it starts), but not up to date either."""


class Projector:
    """Applies committed blocks of one channel to the projection tables."""

    def __init__(
        self,
        sessions: SessionFactory,
        store: SqliteLedgerStore,
        channel: str,
        *,
        notify: bool = False,
        webhook_allow: tuple[str, ...] = (),
    ) -> None:
        """``notify``: also notify project members (and webhooks) of status changes and comments;
        ``webhook_allow``: the non-public hosts webhooks may reach (``Settings.webhook_allow``)."""
        self._sessions = sessions
        self._webhook_allow = webhook_allow
        self._store = store
        self._channel = channel
        self._notify = notify

    def catch_up(self, *, batch_txs: int = BATCH_TXS) -> int:
        """Apply every block after the cursor, many blocks per database transaction; return
        how many blocks were applied."""
        with transaction(self._sessions) as session:
            cursor = session.get(ProjectionCursor, self._channel)
            start = 0 if cursor is None else cursor.last_block + 1
        applied = 0
        for blocks in block_batches(self._store, start, batch_txs):
            with transaction(self._sessions) as session, session.no_autoflush:
                batch = Batch(session)
                last = blocks[-1]
                rows = self._store.history_rows(
                    blocks[0].first_seq, last.first_seq + last.txs - 1, PROJECTED_KEYS
                )
                writes: dict[int, list[Write]] = {}
                for key, seq, text in rows:
                    write = classify(key, text)
                    if write is not None:
                        writes.setdefault(seq, []).append(write)
                batch.preload(writes)
                # Only the txs that wrote something projected are read (in log order).
                for tx, ts in self._store.txs_at(writes):
                    if tx.valid:
                        self._apply_tx(
                            batch, tx.seq, tx.tx_id, tx.block, ts, tx.envelope, writes[tx.seq]
                        )
                batch.write()
                self._move_cursor(session, blocks[-1])
                delivered = (
                    record_events(session, self._store, batch.events) if self._notify else []
                )
            deliver_webhooks(self._sessions, delivered, allow=self._webhook_allow)
            applied += len(blocks)
        return applied

    def rebuild(self) -> int:
        """Drop the projections of this channel and replay the ledger from block 0."""
        with transaction(self._sessions) as session:
            for table in (HistoryProjection, VersionProjection, ProjectProjection):
                session.execute(delete(table))
            session.execute(
                delete(ProjectionCursor).where(ProjectionCursor.channel == self._channel)
            )
        notify, self._notify = self._notify, False  # a rebuild must not notify anyone again
        try:
            return self.catch_up()
        finally:
            self._notify = notify

    def check(self) -> ProjectionReport:
        """Compare the tables with what the ledger says now, naming every difference."""
        problems: list[str] = []
        behind = None
        with transaction(self._sessions) as session:
            cursor = session.get(ProjectionCursor, self._channel)
            height = self._store.height
            if cursor is None or cursor.last_block != height - 1:
                seen = "none" if cursor is None else str(cursor.last_block)
                behind = f"projections stop at block {seen}; the ledger is at block {height - 1}"
            for row in session.scalars(select(VersionProjection)):
                status = self._store.get(f"workflow/{row.ref}")
                if not isinstance(status, dict) or status.get("status") != row.status:
                    found = status.get("status") if isinstance(status, dict) else None
                    problems.append(
                        f"version {row.ref}: projection says {row.status}, ledger says {found}"
                    )
            for project in session.scalars(select(ProjectProjection)):
                record = self._store.get(f"project/{project.ref}")
                if not isinstance(record, dict) or record.get("name") != project.name:
                    problems.append(f"project {project.ref}: projection differs from the ledger")
        return ProjectionReport(not problems and behind is None, 0, tuple(problems), behind)

    # -- applying one block ---------------------------------------------------------------

    def _move_cursor(self, session: Session, head: Head) -> None:
        cursor = session.get(ProjectionCursor, self._channel)
        if cursor is None:
            cursor = ProjectionCursor(
                channel=self._channel,
                last_block=head.number,
                state_root=head.state_root,
                updated_at=_when(head.ts),
            )
            session.add(cursor)
        cursor.last_block = head.number
        cursor.state_root = head.state_root
        cursor.updated_at = _when(head.ts)

    def _apply_tx(
        self,
        batch: Batch,
        seq: int,
        tx_id: str,
        block: int,
        ts: int,
        envelope: bytes,
        writes: list[Write],
    ) -> None:
        touched: dict[tuple[str, str | None], dict[str, Any]] = {}
        events = batch.events
        call = _Call(envelope)
        for write in writes:
            project, version, kind = write.project, write.version, write.kind
            entry = touched.setdefault((project, version), {})
            if kind == "project":
                value = write.value()
                if isinstance(value, dict):
                    self._upsert_project(batch, project, value, tx_id, ts)
            elif kind == "version":
                # A version's record is decoded only to start its row (its author).
                if write.text is not None and write.text.startswith("{"):
                    self._upsert_version(batch, project, str(version), write, tx_id, ts)
            elif kind == "status":
                value = write.value()
                if isinstance(value, dict):
                    entry["before"], entry["after"] = value.get("previous"), str(value["status"])
                    entry["reason"] = value.get("reason") or None
                    self._set_status(batch, f"{project}/{version}", str(value["status"]), tx_id, ts)
                    if value.get("previous") is not None:
                        text = f"{project}/{version} moved from {value['previous']} to {value['status']}"
                        if value.get("reason"):
                            text += f": {value['reason']}"
                        detail = call.who() | {
                            "before": value["previous"],
                            "after": value["status"],
                            "reason": value.get("reason") or None,
                        }
                        events.append(
                            Event(
                                "status_changed",
                                project,
                                f"{project}/{version}",
                                tx_id,
                                text,
                                ts,
                                detail,
                            )
                        )
            elif kind == "comment":
                value = write.value()
                if isinstance(value, dict):
                    who = "the contract" if value.get("system") else str(value.get("by"))
                    comment = str(value.get("text", ""))[:200]
                    text = f"{who} commented on {project}/{version}: {comment}"
                    detail = call.who() | {
                        "system": bool(value.get("system")),
                        "comment": comment,
                    }
                    events.append(
                        Event("commented", project, f"{project}/{version}", tx_id, text, ts, detail)
                    )
        creator = call.who()
        for (project_ref, version_name), entry in touched.items():
            batch.history.append(
                {
                    "seq": seq,
                    "tx_id": tx_id,
                    "block": block,
                    "ts": ts,
                    "participant": creator["by"],
                    "org": creator["org"],
                    "action": creator["action"],
                    "project_ref": project_ref,
                    "version_ref": None
                    if version_name is None
                    else f"{project_ref}/{version_name}",
                    "status_before": entry.get("before"),
                    "status_after": entry.get("after"),
                    "detail": {"reason": entry["reason"]} if entry.get("reason") else None,
                }
            )

    @staticmethod
    def _upsert_project(batch: Batch, ref: str, value: dict[str, Any], tx_id: str, ts: int) -> None:
        row = batch.projects.get(batch.session, ref)
        if row is None:
            batch.projects.add(
                {
                    "ref": ref,
                    "org": value["org"],
                    "name": value["name"],
                    "domain": value.get("domain", ""),
                    "created_by": value["created_by"],
                    "created_at": _when(value["created_at"]),
                    "last_tx": tx_id,
                }
            )
        else:
            batch.projects.change(
                row, name=value["name"], domain=value.get("domain", ""), last_tx=tx_id
            )

    @staticmethod
    def _upsert_version(
        batch: Batch, project: str, version: str, write: Write, tx_id: str, ts: int
    ) -> None:
        ref = f"{project}/{version}"
        row = batch.versions.get(batch.session, ref)
        if row is None:
            batch.versions.add(
                {
                    "ref": ref,
                    "project_ref": project,
                    "version": version,
                    "author": write.value()["author"],
                    "status": Status.DRAFT.value,
                    "updated_at": _when(ts),
                    "last_tx": tx_id,
                }
            )
        else:
            batch.versions.change(row, updated_at=_when(ts), last_tx=tx_id)

    @staticmethod
    def _set_status(batch: Batch, ref: str, status: str, tx_id: str, ts: int) -> None:
        row = batch.versions.get(batch.session, ref)
        if row is not None:
            batch.versions.change(row, status=status, updated_at=_when(ts), last_tx=tx_id)
