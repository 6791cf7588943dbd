"""Query projections of the ledger: projects, versions, history, and how far they got.

DESIGN.md §6: "everything in it that concerns the ledger can be rebuilt from the ledger". These
tables are filled by the projector (``services/projections.py``) from committed blocks, never by
hand; dropping their rows and replaying the ledger from block 0 gives them back. They have no
foreign keys to people tables on purpose: a shared channel holds other orgs' projects too.

Times read from the ledger: ``*_at`` columns are the block time as an aware datetime; the
history's ``ts`` is the block time in milliseconds since the epoch, exactly as on the ledger.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tetherai.services.db.base import Base

__all__ = ["HistoryProjection", "ProjectProjection", "ProjectionCursor", "VersionProjection"]

_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only


class ProjectProjection(Base):
    """A project as last seen on the ledger; ``ref`` is ``<org>/<slug>``."""

    __tablename__ = "projects"

    ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    org: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_tx: Mapped[str] = mapped_column(String(64))


class VersionProjection(Base):
    """A model version and its workflow status; ``ref`` is ``<org>/<slug>/<version>``."""

    __tablename__ = "versions"
    __table_args__ = (
        Index(None, "project_ref", "status"),
        # A project's most recently changed versions (the dashboard's open work), with what
        # the dashboard reads of each, so the table is not read.
        Index(None, "project_ref", "updated_at", "ref", "status", "version"),
    )

    ref: Mapped[str] = mapped_column(String(300), primary_key=True)
    project_ref: Mapped[str] = mapped_column(ForeignKey("projects.ref"))
    version: Mapped[str] = mapped_column(String(100))
    author: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    """A :class:`tetherai.contracts.workflow.Status` value."""
    updated_at: Mapped[datetime]
    last_tx: Mapped[str] = mapped_column(String(64))


class HistoryProjection(Base):
    """One tx that changed a project or a version, in ledger order (``seq``)."""

    __tablename__ = "history"
    __table_args__ = (
        Index(None, "project_ref", "seq"),
        Index(None, "version_ref", "seq"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    """The tx's position in the channel's log."""
    tx_id: Mapped[str] = mapped_column(String(64), index=True)
    block: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[int] = mapped_column(BigInteger)
    participant: Mapped[str] = mapped_column(String(64))
    org: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(100))
    project_ref: Mapped[str] = mapped_column(String(200))
    version_ref: Mapped[str | None] = mapped_column(String(300))
    status_before: Mapped[str | None] = mapped_column(String(32))
    status_after: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Anything else worth listing (digests, reason), as JSON."""


class ProjectionCursor(Base):
    """The last block of a channel applied to the projections, and its state root."""

    __tablename__ = "projection_cursors"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_block: Mapped[int] = mapped_column(BigInteger)
    state_root: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
