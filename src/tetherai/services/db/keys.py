"""Tables of signing keys: sealed keys of web users, public keys registered by CLI/SDK users.

DESIGN.md §3–§4: each tx is signed by the acting person's own key. A web user's private key is
kept here only sealed (see :mod:`tetherai.services.custody`): a copy of the database alone does
not let anyone sign. A CLI/SDK user keeps their private key and registers the public key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tetherai.services.db.base import Base

__all__ = ["RegisteredKey", "SealedKey"]


class SealedKey(Base):
    """A web user's private key, sealed under their password and the server secret."""

    __tablename__ = "sealed_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    sealed: Mapped[bytes]
    public_key_pem: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    cert_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    """Set when the key was replaced (new certificate) or lost (password reset)."""


class RegisteredKey(Base):
    """A public key a CLI/SDK user registered; they sign txs locally with its private key."""

    __tablename__ = "registered_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    algorithm: Mapped[str] = mapped_column(String(16))
    public_key_pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the key's DER SubjectPublicKeyInfo."""
    certificate_pem: Mapped[str | None] = mapped_column(Text)
    cert_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
