"""Errors of the service database (DESIGN.md §6).

    TetherError
    └── DatabaseError              db.error
        ├── UnsupportedDatabase    db.unsupported_url   (neither SQLite nor PostgreSQL)
        ├── DatabaseUnavailable    db.unavailable       (cannot connect, locked for too long)
        └── SchemaOutdated         db.schema_outdated   (migrations not applied)

SQLAlchemy's and the drivers' exceptions are translated here, in the package that imports
them, chained with ``from``.
"""

from __future__ import annotations

from tetherai.errors import TetherError

__all__ = ["DatabaseError", "DatabaseUnavailable", "SchemaOutdated", "UnsupportedDatabase"]


class DatabaseError(TetherError):
    """Base of the service database's errors."""

    code = "db.error"
    hint = "Check TETHER_DATABASE_URL and that the database server is running."


class UnsupportedDatabase(DatabaseError):
    """The database URL names neither SQLite nor PostgreSQL."""

    code = "db.unsupported_url"
    hint = "Use sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME."


class DatabaseUnavailable(DatabaseError):
    """The database could not be reached, or stayed locked for too long."""

    code = "db.unavailable"
    hint = "Try again in a moment; if it persists, check the database server."


class SchemaOutdated(DatabaseError):
    """The database's schema is not at the revision this code needs."""

    code = "db.schema_outdated"
    hint = "Upgrade the service database (tetherai.services.db.migrate) before starting."
