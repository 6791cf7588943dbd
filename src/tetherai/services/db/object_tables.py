"""Who had which object's bytes on this server: the possession record (SECURITY.md).

A person *holds* an object once they uploaded its bytes here, or received them here through a
version they could read. The object routes serve bytes only to holders and to readers of a
version whose registrant held them (``services.possession``); the ledger cannot say this, since
knowing a digest is not having the bytes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tetherai.services.db.base import Base

__all__ = ["ObjectHolder"]


class ObjectHolder(Base):
    """``participant@org`` had the bytes of object ``sha256`` on this server."""

    __tablename__ = "object_holders"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    org: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant: Mapped[str] = mapped_column(String(64), primary_key=True)
    how: Mapped[str] = mapped_column(String(16))
    """``uploaded`` or ``received`` (downloaded through a version the person could read)."""
    at: Mapped[datetime]
