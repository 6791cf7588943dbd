"""Errors of the service database (DESIGN.md §6).

    TetherError
    └── DatabaseError              db.error             (500, exit 3)
        ├── UnsupportedDatabase    db.unsupported_url   InvalidInput (neither SQLite nor PostgreSQL)
        ├── DatabaseUnavailable    db.unavailable       Unavailable (cannot connect, locked too long)
        └── SchemaOutdated         db.schema_outdated   Unavailable (migrations not applied)

SQLAlchemy's and the drivers' exceptions are translated here, in the package that imports
them, chained with ``from``.
"""

from __future__ import annotations

from tetherai.errors import InvalidInput, TetherError, Unavailable

__all__ = ["DatabaseError", "DatabaseUnavailable", "SchemaOutdated", "UnsupportedDatabase"]


class DatabaseError(TetherError):
    """Base of the service database's errors."""

    code = "db.error"
    hint = "Check TETHER_DATABASE_URL and that the database server is running."


class UnsupportedDatabase(InvalidInput, DatabaseError):
    """The database URL names neither SQLite nor PostgreSQL."""

    code = "db.unsupported_url"
    hint = "Use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME."


class DatabaseUnavailable(Unavailable, DatabaseError):
    """The database could not be reached, or stayed locked for too long."""

    code = "db.unavailable"
    hint = "Try again in a moment; if it persists, check the database server."


class SchemaOutdated(Unavailable, DatabaseError):
    """The database's schema is not at the revision this code needs."""

    code = "db.schema_outdated"
    hint = "Upgrade the service database (tetherai.services.db.migrate) before starting."
