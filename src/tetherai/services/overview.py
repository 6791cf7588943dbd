"""Listings for the pages, read from the projections (services/projections.py), not the ledger.

The projections are indexed by project and status, so a page lists the projects, versions and
recent changes a person may read without scanning the ledger (a page within 300 ms with
10,000 versions). Who may read what is still decided by :mod:`tetherai.services.access`; callers pass
the set of readable project references it gives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, func, or_, select, type_coerce
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import NullType

from tetherai.services.db import (
    HistoryProjection,
    ProjectionCursor,
    ProjectProjection,
    SessionFactory,
    VersionProjection,
    transaction,
)
from tetherai.vocabulary import OPEN_STATUSES

__all__ = [
    "ActivityRow",
    "OpenVersion",
    "ProjectRow",
    "VersionRow",
    "open_versions",
    "project_rows",
    "project_versions",
    "recent_activity",
    "wait_for_projections",
]


@dataclass(frozen=True, slots=True)
class ProjectRow:
    ref: str
    org: str
    name: str
    domain: str
    created_by: str
    created_at: datetime
    statuses: dict[str, int] = field(default_factory=dict)
    """How many of its versions are in each status."""

    @property
    def versions(self) -> int:
        return sum(self.statuses.values())


@dataclass(frozen=True, slots=True)
class VersionRow:
    project: str
    version: str
    author: str
    status: str
    updated_at: datetime
    last_tx: str


class OpenVersion(NamedTuple):
    """A version still in an open status (the dashboard's open work)."""

    project: str
    version: str
    status: str


@dataclass(frozen=True, slots=True)
class ActivityRow:
    tx_id: str
    ts: int
    participant: str
    org: str
    action: str
    project: str
    version: str | None
    status_before: str | None
    status_after: str | None
    detail: dict[str, Any] | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def project_rows(
    sessions: SessionFactory,
    readable: Collection[str],
    *,
    org: str = "",
    status: str = "",
    text: str = "",
    limit: int = 200,
) -> list[ProjectRow]:
    """Readable projects, by name; ``org`` exact, ``text`` in name/domain/ref (any case),
    ``status``: only projects with a version in that status."""
    if not readable:
        return []
    query = select(ProjectProjection).where(ProjectProjection.ref.in_(readable))
    if org:
        query = query.where(ProjectProjection.org == org)
    if text:
        pattern = _like(text.lower())
        query = query.where(
            or_(
                func.lower(ProjectProjection.name).like(pattern, escape="\\"),
                func.lower(ProjectProjection.domain).like(pattern, escape="\\"),
                func.lower(ProjectProjection.ref).like(pattern, escape="\\"),
            )
        )
    if status:
        having = select(VersionProjection.project_ref).where(VersionProjection.status == status)
        query = query.where(ProjectProjection.ref.in_(having))
    query = query.order_by(ProjectProjection.name, ProjectProjection.ref).limit(limit)
    with transaction(sessions) as session:
        projects = list(session.scalars(query))
        counts: dict[str, dict[str, int]] = {p.ref: {} for p in projects}
        if projects:
            grouped = (
                select(VersionProjection.project_ref, VersionProjection.status, func.count())
                .where(VersionProjection.project_ref.in_(list(counts)))
                .group_by(VersionProjection.project_ref, VersionProjection.status)
            )
            for ref, state, count in session.execute(grouped):
                counts[ref][state] = count
        return [
            ProjectRow(p.ref, p.org, p.name, p.domain, p.created_by, p.created_at, counts[p.ref])
            for p in projects
        ]


def _version(row: VersionProjection) -> VersionRow:
    return VersionRow(
        row.project_ref, row.version, row.author, row.status, row.updated_at, row.last_tx
    )


def project_versions(
    sessions: SessionFactory, project: str, *, status: str = "", limit: int = 100, offset: int = 0
) -> tuple[list[VersionRow], int]:
    """A project's versions, most recently changed first, and how many there are in all."""
    where = [VersionProjection.project_ref == project]
    if status:
        where.append(VersionProjection.status == status)
    with transaction(sessions) as session:
        total = session.scalar(select(func.count()).select_from(VersionProjection).where(*where))
        rows = session.scalars(
            select(VersionProjection)
            .where(*where)
            .order_by(VersionProjection.updated_at.desc(), VersionProjection.ref)
            .limit(limit)
            .offset(offset)
        )
        return [_version(r) for r in rows], int(total or 0)


def open_versions(
    sessions: SessionFactory, readable: Collection[str], *, limit: int = 100
) -> list[OpenVersion]:
    """Versions of readable projects still in an open status, most recently changed first."""
    if not readable:
        return []
    with transaction(sessions) as session:
        rows = _OPEN_VERSIONS.newest(session, readable, limit)
    return [OpenVersion(project, version, status) for project, version, status, _, _ in rows]


def recent_activity(
    sessions: SessionFactory, readable: Collection[str], *, limit: int = 20
) -> list[ActivityRow]:
    """The latest changes to readable projects and their versions, newest first."""
    if not readable:
        return []
    with transaction(sessions) as session:
        rows = _RECENT_ACTIVITY.newest(session, readable, limit)
    return [
        ActivityRow(
            tx_id,
            ts,
            participant,
            org,
            action,
            project,
            version.rsplit("/", 1)[-1] if version else None,
            before,
            after,
            detail,
        )
        for _, tx_id, ts, participant, org, action, project, version, before, after, detail in rows
    ]


_PER_PROJECT = 16
"""Up to this many readable projects, the dashboard asks each project for its newest."""


class _Newest:
    """The newest rows of a query over the readable projects, for the dashboard's lists.

    For a few projects, each one's newest from its (project, time) index, then the newest of
    those; for more, one query over all of them (which sorts every row of every project). The
    statements are built once and run with bound parameters through the connection, as
    plain rows: the dashboard reads these lists on every view.
    """

    def __init__(
        self,
        query: Select[*tuple[Any, ...]],  # any row shape, ordered newest first
        project: InstrumentedAttribute[str],
        order: Callable[[Any], Any],
    ) -> None:
        limited = query.limit(bindparam("limit"))
        self._one = limited.where(project == bindparam("project"))
        self._all = limited.where(project.in_(bindparam("projects", expanding=True)))
        self._order = order

    def newest(self, session: Session, readable: Collection[str], limit: int) -> list[Any]:
        # Each result fetched whole (``all()``): iterating one fetches row by row.
        connection = session.connection()
        if len(readable) > _PER_PROJECT:
            every = {"projects": list(readable), "limit": limit}
            return list(connection.execute(self._all, every).all())
        found: list[Any] = []
        for ref in sorted(readable):
            found += connection.execute(self._one, {"project": ref, "limit": limit}).all()
        return sorted(found, key=self._order, reverse=True)[:limit]


# Columns, not ORM objects: the dashboard asks for up to 200 on every view. The time only
# orders the rows, so it comes as the driver gives it (SQLite's fixed-width ISO text or
# PostgreSQL's datetime, each in time order) without being parsed again.
_OPEN_VERSIONS = _Newest(
    select(
        VersionProjection.project_ref,
        VersionProjection.version,
        VersionProjection.status,
        type_coerce(VersionProjection.updated_at, NullType()),
        VersionProjection.ref,
    )
    .where(VersionProjection.status.in_(OPEN_STATUSES))
    # The (project_ref, updated_at, ref, status, version) index read backwards, covering every
    # column: versions changed at the same time (one block) come in reverse name order, and no
    # group of them is sorted.
    .order_by(VersionProjection.updated_at.desc(), VersionProjection.ref.desc()),
    VersionProjection.project_ref,
    lambda row: (row[3], row[4]),
)

_ACTIVITY = (
    HistoryProjection.seq,
    HistoryProjection.tx_id,
    HistoryProjection.ts,
    HistoryProjection.participant,
    HistoryProjection.org,
    HistoryProjection.action,
    HistoryProjection.project_ref,
    HistoryProjection.version_ref,
    HistoryProjection.status_before,
    HistoryProjection.status_after,
    HistoryProjection.detail,
)

# The row's columns, not ORM objects (the dashboard shows them on every view).
_RECENT_ACTIVITY = _Newest(
    select(*_ACTIVITY).order_by(HistoryProjection.seq.desc()),
    HistoryProjection.project_ref,
    lambda row: row[0],
)


def wait_for_projections(
    sessions: SessionFactory, channel: str, block: int, *, timeout: float = 3.0
) -> bool:
    """Wait (bounded) until the projections include ``block``, so a page shown right after a
    write lists it (read your own writes). False if they did not get there in time."""
    deadline = time.monotonic() + timeout
    while True:
        with transaction(sessions) as session:
            cursor = session.get(ProjectionCursor, channel)
            if cursor is not None and cursor.last_block >= block:
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
