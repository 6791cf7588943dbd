"""Migrations of the service database: upgrade to the newest schema, check a database's schema.

The Alembic scripts ship inside this package (``migrations/``); they are written by hand and
reviewed (autogenerate is a development aid only, never run by the server). :func:`migrate` is
what ``tether serve``/``make run`` call before starting; :func:`require_current_schema` lets a
server refuse to start on a database that was not upgraded.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from tetherai.services.db.engine import make_engine
from tetherai.services.db.errors import DatabaseUnavailable, SchemaOutdated

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "head_revision",
    "migrate",
    "require_current_schema",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
"""Where the Alembic environment and revision scripts of the service database live."""


def alembic_config() -> Config:
    """An Alembic configuration for the shipped scripts, built in code (there is no ini file).

    For tools and developers (``command.revision(..., autogenerate=True)`` drafts a revision to
    review); put a connection in ``config.attributes["connection"]`` or set ``sqlalchemy.url``.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """The newest revision of the schema this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations have exactly one head"
    return head


def migrate(target: str | URL | Engine, revision: str = "head") -> None:
    """Upgrade a database to ``revision`` (the newest by default), creating it if empty.

    Args:
        target: a database URL (an engine is made and disposed of) or an engine.
        revision: an Alembic revision, for tests of a particular step.

    Raises:
        UnsupportedDatabase: the URL names another database.
        DatabaseUnavailable: the database cannot be reached.
    """
    engine = target if isinstance(target, Engine) else make_engine(target)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except OperationalError as error:
        raise DatabaseUnavailable(
            "cannot upgrade the service database: it is unavailable"
        ) from error
    finally:
        if engine is not target:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at, or ``None`` when it was never migrated."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as error:
        raise DatabaseUnavailable("cannot read the service database's schema revision") from error


def require_current_schema(engine: Engine) -> None:
    """Check that a database is at :func:`head_revision`.

    Raises:
        SchemaOutdated: it is at another revision, or was never migrated.
        DatabaseUnavailable: the database cannot be reached.
    """
    found, expected = current_revision(engine), head_revision()
    if found != expected:
        raise SchemaOutdated(
            f"the service database is at schema revision {found or 'none'}, "
            f"this version of tetherai needs {expected}",
            details={"found": found, "expected": expected},
        )
