"""Idempotency keys of write requests, shared by every server process on one database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tetherai.services.db.base import Base

__all__ = ["IdempotencyRecord"]


class IdempotencyRecord(Base):
    """The first request with ``key`` from ``user``: running (``status`` is ``None``), or
    answered, with the response that every repeat gets until ``expires_at``."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index(None, "expires_at"), Index(None, "user", "claimed_at"))

    user: Mapped[str] = mapped_column(String(300), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    claim: Mapped[str] = mapped_column(String(32))
    """A random token of the request that holds the key: only it may finish or release it."""
    claimed_at: Mapped[float] = mapped_column(Float)
    """When the key was taken (seconds since the epoch): a claim older than the lease and
    still running was left by a server that stopped."""
    expires_at: Mapped[float] = mapped_column(Float)
    status: Mapped[int | None]
    body: Mapped[Any] = mapped_column(JSON, nullable=True)
