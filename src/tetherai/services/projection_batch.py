"""What one batch of a projection catch-up reads and writes (see :mod:`.projections`).

The blocks of a catch-up are grouped into batches (:func:`block_batches`, read without their
txs); each key a batch's txs wrote says what it means to the projections (:func:`classify`,
from the key alone, the value left undecoded); a :class:`Batch` holds the project and version
rows the batch touches, its history rows and its events, and writes them many rows per
statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.services.db import Base, HistoryProjection, ProjectProjection, VersionProjection
from tetherai.services.db.bulk import insert_rows
from tetherai.services.notifications import Event

__all__ = ["PROJECTED_KEYS", "Batch", "Head", "Write", "block_batches", "classify"]


@dataclass(frozen=True, slots=True)
class Write:
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
PROJECTED_KEYS = (
    ("project/", "project0"),
    *(
        pair
        for namespace in ("model_version", "review", "workflow")
        for pair in ((f"{namespace}/", f"{namespace}/_"), (f"{namespace}/`", f"{namespace}0"))
    ),
)
"""The key ranges :func:`classify` may find a meaning in (``0`` follows ``/`` and a backquote
follows ``_``: the names under a ``_`` are left out), so the ledger reads no other rows."""


def classify(key: str, text: str | None) -> Write | None:
    """What a write of ``key`` means to the projections (``None``: nothing, like a notary
    record or an index under a ``_`` name); read from the key alone, the value undecoded."""
    namespace, _, rest = key.partition("/")
    if namespace == "project":
        parts = rest.split("/")
        if len(parts) < 2:
            return None
        kind = "project" if len(parts) == 2 else "other"
        return Write(kind, f"{parts[0]}/{parts[1]}", None, text)
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
    return Write(kind, f"{parts[0]}/{parts[1]}", parts[2], text)


@dataclass
class Rows:
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
class Batch:
    """What one database transaction of the projector has touched so far."""

    session: Session
    projects: Rows = field(default_factory=lambda: Rows(_table(ProjectProjection)))
    versions: Rows = field(default_factory=lambda: Rows(_table(VersionProjection)))
    history: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def preload(self, writes: dict[int, list[Write]]) -> None:
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


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class Head:
    """What the projector needs of a block without its txs."""

    number: int
    state_root: str
    ts: int
    first_seq: int
    txs: int


def block_batches(store: SqliteLedgerStore, start: int, batch_txs: int) -> Iterator[list[Head]]:
    """The blocks from ``start`` to the ledger's height, consecutive ones grouped until a
    group holds ``batch_txs`` txs (read without their txs, 256 blocks a query)."""
    height = store.height
    group: list[Head] = []
    size = 0
    for window in range(start, height, 256):
        for number, _, header, state_root, _, _ in store.block_rows(
            window, min(window + 256, height)
        ):
            fields = json.loads(header)
            count = int(fields["tx_count"])
            first = int(fields["log_size"]) - count
            group.append(Head(number, state_root, int(fields["ts"]), first, count))
            size += count
            if size >= batch_txs:
                yield group
                group, size = [], 0
    if group:
        yield group
