"""Notifications of people and their orgs' webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tetherai.services.db.base import Base

__all__ = ["Notification", "Webhook"]


class Notification(Base):
    """Something a project member should know: a status change, a comment."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(None, "user_id", "id"),
        # Unread counts come from this index alone (no table reads).
        Index(None, "user_id", "read_at", "project_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    project_ref: Mapped[str] = mapped_column(String(200))
    version_ref: Mapped[str | None] = mapped_column(String(300))
    tx_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    """The event in English (as webhooks receive it)."""
    read_at: Mapped[datetime | None]
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """The event as data — ``by``, ``org``, ``action`` (contract.fn), ``before``/``after``
    statuses, ``reason``, a comment's ``comment`` — so a page words it in its reader's
    language (``None`` on rows written before it existed)."""


class Webhook(Base):
    """An org's endpoint that receives each notification event as an HMAC-signed JSON body.

    The secret is the HMAC key shared with the receiver, so it is kept as given (the server
    needs it to sign); it is shown to the admin once, at creation.
    """

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    enabled: Mapped[bool]
