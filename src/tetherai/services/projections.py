"""Query projections of the ledger in the service database (DESIGN.md §6).

The projector reads committed blocks from the peer's store and keeps the ``projects``,
``versions`` and ``history`` tables and the per-channel cursor up to date. Everything here can
be thrown away and rebuilt from the ledger (:meth:`Projector.rebuild`); :meth:`Projector.check`
says whether the tables still match the ledger, so a stale or edited projection is noticed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select

from tetherai.ledger.sqlite_store import SqliteLedgerStore, StoredBlock
from tetherai.ledger.transaction import Envelope
from tetherai.services.db import (
    HistoryProjection,
    ProjectionCursor,
    ProjectProjection,
    SessionFactory,
    VersionProjection,
    transaction,
)
from tetherai.services.notifications import Event, deliver_webhooks, record_events
from tetherai.vocabulary import Status

__all__ = ["ProjectionReport", "Projector"]


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _parts(key: str) -> tuple[str, list[str]]:
    namespace, _, rest = key.partition("/")
    return namespace, rest.split("/")


def _who(envelope: Envelope) -> dict[str, Any]:
    """Who made a tx and what it called, for a notification's ``detail``."""
    tx = envelope.tx
    return {"by": tx.creator.id, "org": tx.creator.org, "action": f"{tx.contract}.{tx.fn}"}


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

    def catch_up(self) -> int:
        """Apply every block after the cursor, one database transaction per block; return how many."""
        with transaction(self._sessions) as session:
            cursor = session.get(ProjectionCursor, self._channel)
            start = 0 if cursor is None else cursor.last_block + 1
        applied = 0
        for stored in self._store.blocks(start):
            with transaction(self._sessions) as session:
                events = self._apply(session, stored)
                delivered = record_events(session, self._store, events) if self._notify else []
            deliver_webhooks(self._sessions, delivered, allow=self._webhook_allow)
            applied += 1
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

    def _apply(self, session: Any, stored: StoredBlock) -> list[Event]:
        block_ts = json.loads(stored.header)["ts"]
        first, last = (stored.txs[0].seq, stored.txs[-1].seq) if stored.txs else (0, -1)
        rows = self._store.history_rows(first, last)
        writes: dict[int, dict[str, Any]] = {}
        for key, seq, value in rows:
            writes.setdefault(seq, {})[key] = None if value is None else json.loads(value)
        events: list[Event] = []
        for tx in stored.txs:
            if tx.valid and tx.seq in writes:
                envelope = Envelope.from_bytes(tx.envelope)
                events += self._apply_tx(
                    session, tx.seq, tx.tx_id, stored.number, block_ts, envelope, writes[tx.seq]
                )
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
        return events

    def _apply_tx(
        self,
        session: Any,
        seq: int,
        tx_id: str,
        block: int,
        ts: int,
        envelope: Envelope,
        writes: dict[str, Any],
    ) -> list[Event]:
        touched: dict[tuple[str, str | None], dict[str, Any]] = {}
        events: list[Event] = []
        for key, value in writes.items():
            namespace, parts = _parts(key)
            if namespace == "project" and len(parts) >= 2:
                project = "/".join(parts[:2])
                touched.setdefault((project, None), {})
                if len(parts) == 2 and isinstance(value, dict):
                    self._upsert_project(session, project, value, tx_id, ts)
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
                    self._upsert_version(session, project, version, value, tx_id, ts)
                if namespace == "workflow" and len(parts) == 3 and isinstance(value, dict):
                    entry["before"], entry["after"] = value.get("previous"), str(value["status"])
                    entry["reason"] = value.get("reason") or None
                    self._set_status(
                        session, f"{project}/{version}", str(value["status"]), tx_id, ts
                    )
                    if value.get("previous") is not None:
                        text = f"{project}/{version} moved from {value['previous']} to {value['status']}"
                        if value.get("reason"):
                            text += f": {value['reason']}"
                        detail = _who(envelope) | {
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
                    detail = _who(envelope) | {
                        "system": bool(value.get("system")),
                        "comment": comment,
                    }
                    events.append(
                        Event("commented", project, f"{project}/{version}", tx_id, text, ts, detail)
                    )
        tx = envelope.tx
        for (project_ref, version_name), entry in touched.items():
            session.add(
                HistoryProjection(
                    seq=seq,
                    tx_id=tx_id,
                    block=block,
                    ts=ts,
                    participant=tx.creator.id,
                    org=tx.creator.org,
                    action=f"{tx.contract}.{tx.fn}",
                    project_ref=project_ref,
                    version_ref=None if version_name is None else f"{project_ref}/{version_name}",
                    status_before=entry.get("before"),
                    status_after=entry.get("after"),
                    detail={"reason": entry["reason"]} if entry.get("reason") else None,
                )
            )
        return events

    @staticmethod
    def _upsert_project(session: Any, ref: str, value: dict[str, Any], tx_id: str, ts: int) -> None:
        row = session.get(ProjectProjection, ref)
        if row is None:
            row = ProjectProjection(
                ref=ref,
                org=value["org"],
                name=value["name"],
                domain=value.get("domain", ""),
                created_by=value["created_by"],
                created_at=_when(value["created_at"]),
                last_tx=tx_id,
            )
            session.add(row)
        row.name, row.domain, row.last_tx = value["name"], value.get("domain", ""), tx_id

    @staticmethod
    def _upsert_version(
        session: Any, project: str, version: str, value: dict[str, Any], tx_id: str, ts: int
    ) -> None:
        ref = f"{project}/{version}"
        row = session.get(VersionProjection, ref)
        if row is None:
            session.flush()  # the project row may have been added in this same block
            row = VersionProjection(
                ref=ref,
                project_ref=project,
                version=version,
                author=value["author"],
                status=Status.DRAFT,
                updated_at=_when(ts),
                last_tx=tx_id,
            )
            session.add(row)
        row.updated_at, row.last_tx = _when(ts), tx_id

    @staticmethod
    def _set_status(session: Any, ref: str, status: str, tx_id: str, ts: int) -> None:
        session.flush()
        row = session.get(VersionProjection, ref)
        if row is not None:
            row.status, row.updated_at, row.last_tx = status, _when(ts), tx_id
