"""Query projections of the ledger in the service database (DESIGN.md §6).

The projector reads committed blocks from the peer's store and keeps the ``projects``,
``versions`` and ``history`` tables and the per-channel cursor up to date. Everything here can
be thrown away and rebuilt from the ledger (:meth:`Projector.rebuild`); :meth:`Projector.check`
says whether the tables still match the ledger, so a stale or edited projection is noticed.

Catching up is a stream: blocks are read in batches and many of them (up to ``batch_txs`` txs)
go into one database transaction, with the cursor, so a crash resumes at a batch boundary.
A batch reads its blocks' heads and the keys its txs wrote; each key says what it means to the
projections (:func:`_classify`), so only the txs that wrote a projected key are read (a notary
record costs one key lookup, its envelope is never read) and only the values a rule uses are
decoded. Rows touched in a batch are kept in memory, so the ORM never flushes half a batch to
look one up; they, the history and the notifications are inserted many rows per statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from tetherai.ledger.sqlite_store import SqliteLedgerStore
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


@dataclass(frozen=True, slots=True)
class _Write:
    """One write of a tx that the projections care about, its stored value not yet decoded.

    ``kind``: ``project`` (the project's record), ``version`` (a version's record),
    ``status`` (its workflow record), ``comment``, or ``other`` (anything else under the
    project or version: it only adds the tx to their history)."""

    kind: str
    project: str
    version: str | None
    text: str | None
    """The stored JSON (``None``: the key was deleted)."""

    def value(self) -> Any:
        return None if self.text is None else json.loads(self.text)


_VERSION_KINDS = {"model_version": "version", "workflow": "status"}
_PROJECTED_KEYS = (
    ("project/", "project0"),
    *(
        pair
        for namespace in ("model_version", "review", "workflow")
        for pair in ((f"{namespace}/", f"{namespace}/_"), (f"{namespace}/`", f"{namespace}0"))
    ),
)
"""The key ranges :func:`_classify` may find a meaning in (``0`` follows ``/`` and a backquote
follows ``_``: the names under a ``_`` are left out), so the ledger reads no other rows."""


def _classify(key: str, text: str | None) -> _Write | None:
    """What a write of ``key`` means to the projections (``None``: nothing, like a notary
    record or an index under a ``_`` name); read from the key alone, the value undecoded."""
    namespace, _, rest = key.partition("/")
    if namespace == "project":
        parts = rest.split("/")
        if len(parts) < 2:
            return None
        kind = "project" if len(parts) == 2 else "other"
        return _Write(kind, f"{parts[0]}/{parts[1]}", None, text)
    if namespace not in ("model_version", "workflow", "review"):
        return None
    parts = rest.split("/")
    if len(parts) < 3 or parts[0].startswith("_") or parts[2].startswith("_"):
        return None
    kind = "other"
    if len(parts) == 3:
        kind = _VERSION_KINDS.get(namespace, "other")
    elif namespace == "review" and len(parts) == 5 and parts[3] == "comment":
        kind = "comment"
    return _Write(kind, f"{parts[0]}/{parts[1]}", parts[2], text)


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

    def preload(self, writes: dict[int, list[_Write]]) -> None:
        """Read at once every project and version row the batch's writes may touch."""
        projects: set[str] = set()
        versions: set[str] = set()
        for found in writes.values():
            for write in found:
                if write.kind == "project":
                    projects.add(write.project)
                elif write.kind in ("version", "status"):
                    versions.add(f"{write.project}/{write.version}")
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
        for blocks in _batches(self._store, start, batch_txs):
            with transaction(self._sessions) as session, session.no_autoflush:
                batch = _Batch(session)
                last = blocks[-1]
                rows = self._store.history_rows(
                    blocks[0].first_seq, last.first_seq + last.txs - 1, _PROJECTED_KEYS
                )
                writes: dict[int, list[_Write]] = {}
                for key, seq, text in rows:
                    write = _classify(key, text)
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

    def _move_cursor(self, session: Session, head: _Head) -> None:
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
        batch: _Batch,
        seq: int,
        tx_id: str,
        block: int,
        ts: int,
        envelope: bytes,
        writes: list[_Write],
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
        batch: _Batch, project: str, version: str, write: _Write, tx_id: str, ts: int
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
    def _set_status(batch: _Batch, ref: str, status: str, tx_id: str, ts: int) -> None:
        row = batch.versions.get(batch.session, ref)
        if row is not None:
            batch.versions.change(row, status=status, updated_at=_when(ts), last_tx=tx_id)


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class _Head:
    """What the projector needs of a block without its txs."""

    number: int
    state_root: str
    ts: int
    first_seq: int
    txs: int


def _batches(store: SqliteLedgerStore, start: int, batch_txs: int) -> Iterator[list[_Head]]:
    """The blocks from ``start`` to the ledger's height, consecutive ones grouped until a
    group holds ``batch_txs`` txs (read without their txs, 256 blocks a query)."""
    height = store.height
    group: list[_Head] = []
    size = 0
    for window in range(start, height, 256):
        for number, _, header, state_root, _, _ in store.block_rows(
            window, min(window + 256, height)
        ):
            fields = json.loads(header)
            count = int(fields["tx_count"])
            first = int(fields["log_size"]) - count
            group.append(_Head(number, state_root, int(fields["ts"]), first, count))
            size += count
            if size >= batch_txs:
                yield group
                group, size = [], 0
    if group:
        yield group
