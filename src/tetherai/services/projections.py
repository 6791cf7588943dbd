"""Query projections of the ledger in the service database (DESIGN.md §6).

The projector reads committed blocks from the peer's store and keeps the ``projects``,
``versions`` and ``history`` tables and the per-channel cursor up to date. Everything here can
be thrown away and rebuilt from the ledger (:meth:`Projector.rebuild`); :meth:`Projector.check`
says whether the tables still match the ledger, so a stale or edited projection is noticed.

Catching up is a stream: blocks are read in batches and many of them (up to ``batch_txs`` txs)
go into one database transaction, with the cursor, so a crash resumes at a batch boundary.
Only writes under the namespaces projected here are decoded; a tx that writes none of them
(a notary record) costs one dictionary lookup. Rows touched in a batch are kept in memory, so
the ORM never flushes half a batch to look one up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from tetherai.ledger.sqlite_store import SqliteLedgerStore, StoredBlock
from tetherai.services.db import (
    Base,
    HistoryProjection,
    ProjectionCursor,
    ProjectProjection,
    SessionFactory,
    VersionProjection,
    transaction,
)
from tetherai.services.db.bulk import insert_rows
from tetherai.services.notifications import Event, deliver_webhooks, record_events
from tetherai.vocabulary import Status

__all__ = ["ProjectionReport", "Projector"]


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _parts(key: str) -> tuple[str, list[str]]:
    namespace, _, rest = key.partition("/")
    return namespace, rest.split("/")


_PROJECTED = ("project/", "model_version/", "workflow/", "review/")
BATCH_TXS = 5000
"""Txs per database transaction while catching up (a few MB of rows at most)."""


@dataclass
class _Rows:
    """The rows of one projection table a batch touches, by ``ref``: as read (``None``: not
    there), then changed in memory; :meth:`write` stores the new and the changed ones."""

    table: Table
    rows: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    new: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)

    def load(self, session: Session, refs: set[str]) -> None:
        for chunk in _chunks(sorted(refs - self.rows.keys())):
            self.rows.update(dict.fromkeys(chunk))
            query = select(self.table).where(self.table.c.ref.in_(chunk))
            self.rows.update((row["ref"], dict(row)) for row in session.execute(query).mappings())

    def get(self, session: Session, ref: str) -> dict[str, Any] | None:
        if ref not in self.rows:
            self.load(session, {ref})
        return self.rows[ref]

    def add(self, row: dict[str, Any]) -> None:
        self.rows[row["ref"]] = row
        self.new.add(row["ref"])

    def change(self, row: dict[str, Any], **values: Any) -> None:
        row.update(values)
        if row["ref"] not in self.new:
            self.changed.add(row["ref"])

    def _row(self, ref: str) -> dict[str, Any]:
        row = self.rows[ref]
        assert row is not None  # only rows added or changed are written
        return row

    def write(self, session: Session) -> None:
        connection = session.connection()
        insert_rows(connection, self.table, [self._row(ref) for ref in sorted(self.new)])
        if self.changed:
            columns = [c.name for c in self.table.columns if c.name != "ref"]
            statement = (
                update(self.table)
                .where(self.table.c.ref == bindparam("b_ref"))
                .values({name: bindparam(name) for name in columns})
            )
            changed = [self._row(ref) for ref in sorted(self.changed)]
            connection.execute(
                statement,
                [{"b_ref": r["ref"], **{name: r[name] for name in columns}} for r in changed],
            )


@dataclass
class _Batch:
    """What one database transaction of the projector has touched so far."""

    session: Session
    projects: _Rows = field(default_factory=lambda: _Rows(_table(ProjectProjection)))
    versions: _Rows = field(default_factory=lambda: _Rows(_table(VersionProjection)))
    history: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def preload(self, writes: dict[int, dict[str, str | None]]) -> None:
        """Read at once every project and version row the batch's writes may touch."""
        projects: set[str] = set()
        versions: set[str] = set()
        for keys in writes.values():
            for key in keys:
                namespace, parts = _parts(key)
                if namespace == "project" and len(parts) == 2:
                    projects.add(key.partition("/")[2])
                elif namespace in ("model_version", "workflow") and len(parts) == 3:
                    versions.add(key.partition("/")[2])
        self.projects.load(self.session, projects)
        self.versions.load(self.session, versions)

    def write(self) -> None:
        """Store the rows (projects first: versions refer to them) and the history."""
        self.projects.write(self.session)
        self.versions.write(self.session)
        insert_rows(self.session.connection(), HistoryProjection, self.history)


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


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


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
        for blocks in _batches(self._store.blocks(start), batch_txs):
            with transaction(self._sessions) as session, session.no_autoflush:
                batch = _Batch(session)
                last = blocks[-1]
                rows = self._store.history_rows(
                    blocks[0].first_seq, last.first_seq + len(last.txs) - 1
                )
                writes: dict[int, dict[str, str | None]] = {}
                for key, seq, value in rows:
                    if key.startswith(_PROJECTED):
                        writes.setdefault(seq, {})[key] = value
                batch.preload(writes)
                for stored in blocks:
                    self._apply(batch, stored, writes)
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

    def _move_cursor(self, session: Session, stored: StoredBlock) -> None:
        block_ts = json.loads(stored.header)["ts"]
        cursor = session.get(ProjectionCursor, self._channel)
        if cursor is None:
            cursor = ProjectionCursor(
                channel=self._channel,
                last_block=stored.number,
                state_root=stored.state_root,
                updated_at=_when(block_ts),
            )
            session.add(cursor)
        cursor.last_block = stored.number
        cursor.state_root = stored.state_root
        cursor.updated_at = _when(block_ts)

    def _apply(
        self, batch: _Batch, stored: StoredBlock, writes: dict[int, dict[str, str | None]]
    ) -> None:
        block_ts: int | None = None
        for tx in stored.txs:
            found = writes.get(tx.seq) if tx.valid else None
            if found:
                if block_ts is None:
                    block_ts = int(json.loads(stored.header)["ts"])
                values = {k: None if v is None else json.loads(v) for k, v in found.items()}
                self._apply_tx(
                    batch, tx.seq, tx.tx_id, stored.number, block_ts, tx.envelope, values
                )

    def _apply_tx(
        self,
        batch: _Batch,
        seq: int,
        tx_id: str,
        block: int,
        ts: int,
        envelope: bytes,
        writes: dict[str, Any],
    ) -> None:
        touched: dict[tuple[str, str | None], dict[str, Any]] = {}
        events = batch.events
        call = _Call(envelope)
        for key, value in writes.items():
            namespace, parts = _parts(key)
            if namespace == "project" and len(parts) >= 2:
                project = "/".join(parts[:2])
                touched.setdefault((project, None), {})
                if len(parts) == 2 and isinstance(value, dict):
                    self._upsert_project(batch, project, value, tx_id, ts)
            elif (
                namespace in ("model_version", "workflow", "review")
                and len(parts) >= 3
                and not parts[0].startswith("_")
            ):
                if parts[2].startswith("_"):
                    continue
                project, version = "/".join(parts[:2]), parts[2]
                entry = touched.setdefault((project, version), {})
                if namespace == "model_version" and len(parts) == 3 and isinstance(value, dict):
                    self._upsert_version(batch, project, version, value, tx_id, ts)
                if namespace == "workflow" and len(parts) == 3 and isinstance(value, dict):
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
                if (
                    namespace == "review"
                    and len(parts) == 5
                    and parts[3] == "comment"
                    and isinstance(value, dict)
                ):
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
        if not touched:
            return
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
    def _upsert_project(
        batch: _Batch, ref: str, value: dict[str, Any], tx_id: str, ts: int
    ) -> None:
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
        batch: _Batch, project: str, version: str, value: dict[str, Any], tx_id: str, ts: int
    ) -> None:
        ref = f"{project}/{version}"
        row = batch.versions.get(batch.session, ref)
        if row is None:
            batch.versions.add(
                {
                    "ref": ref,
                    "project_ref": project,
                    "version": version,
                    "author": value["author"],
                    "status": Status.DRAFT.value,
                    "updated_at": _when(ts),
                    "last_tx": tx_id,
                }
            )
        else:
            batch.versions.change(row, updated_at=_when(ts), last_tx=tx_id)

    @staticmethod
    def _set_status(batch: _Batch, ref: str, status: str, tx_id: str, ts: int) -> None:
        row = batch.versions.get(batch.session, ref)
        if row is not None:
            batch.versions.change(row, status=status, updated_at=_when(ts), last_tx=tx_id)


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batches(blocks: Iterable[StoredBlock], batch_txs: int) -> Iterator[list[StoredBlock]]:
    """Consecutive blocks grouped until a group holds ``batch_txs`` txs."""
    group: list[StoredBlock] = []
    size = 0
    for stored in blocks:
        group.append(stored)
        size += len(stored.txs)
        if size >= batch_txs:
            yield group
            group, size = [], 0
    if group:
        yield group
