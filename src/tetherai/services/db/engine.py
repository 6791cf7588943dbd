"""Engines and sessions for the service database (DESIGN.md §6): SQLite or PostgreSQL.

SQLite (the embedded default) is opened in WAL mode with foreign keys on, a busy timeout and
``synchronous=FULL`` (a revoked token stays revoked after a power cut). SQLAlchemy, not the
``sqlite3`` module, emits ``BEGIN``, so a transaction really starts when SQLAlchemy says it
does; session factories made for writing start with ``BEGIN IMMEDIATE`` so a
read-then-write unit of work (a login counting failures) waits for the write lock up front
instead of failing half-way with "database is locked". PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from tetherai.services.db.errors import DatabaseUnavailable, UnsupportedDatabase

__all__ = ["SessionFactory", "make_engine", "make_session_factory", "transaction"]

SessionFactory = sessionmaker[Session]

_BUSY_TIMEOUT_MS = 10_000
_POSTGRES_POOL = 40  # the server's worker threads (AnyIO's default)
_BEGIN_OPTION = "tetherai_sqlite_begin"


def make_engine(url: str | URL, *, busy_timeout_ms: int = _BUSY_TIMEOUT_MS) -> Engine:
    """Create an engine for a ``sqlite:///…`` or ``postgresql[+psycopg]://…`` URL.

    Args:
        url: the database URL; ``postgresql://`` is taken to mean psycopg 3.
        busy_timeout_ms: how long SQLite waits for another writer before giving up.

    Raises:
        UnsupportedDatabase: the URL is malformed or names another database or driver.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise UnsupportedDatabase("the database URL is malformed") from error
    backend = parsed.get_backend_name()
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return _sqlite_engine(parsed, busy_timeout_ms)
    if parsed.drivername in ("postgresql", "postgresql+psycopg"):
        # A pool as large as the server's worker threads (AnyIO's 40), and a few past it for
        # its own threads: a connection opened past the pool is closed on return, and opening
        # one costs PostgreSQL a backend process and both sides a SCRAM exchange.
        return create_engine(
            parsed.set(drivername="postgresql+psycopg"),
            pool_pre_ping=True,
            pool_size=_POSTGRES_POOL,
            max_overflow=10,
        )
    raise UnsupportedDatabase(
        f"unsupported database driver {parsed.drivername!r}: the service database is SQLite "
        "(sqlite:///…) or PostgreSQL through psycopg 3 (postgresql+psycopg://…)",
        details={"backend": backend, "driver": parsed.drivername},
    )


def _create_private(path: Path) -> None:
    """Create a new database file readable by its owner only (sessions, sealed keys and the
    activity log are inside); SQLite gives its -wal and -shm files the same mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as error:
        raise DatabaseUnavailable(
            f"cannot create the service database {path}: {error.strerror}"
        ) from error


def _sqlite_engine(url: URL, busy_timeout_ms: int) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    # A pool as large as the server's worker threads: a connection opened past the pool is
    # closed on return, and opening one costs its PRAGMAs (WAL, foreign keys) every time.
    options: dict[str, Any] = {
        "connect_args": {"timeout": busy_timeout_ms / 1000},
        "pool_size": 20,
        "max_overflow": 40,
    }
    if in_memory:  # one connection, shared: each new connection would be a new empty database
        options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    else:
        _create_private(Path(str(url.database)))
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA synchronous=FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED") == "IMMEDIATE":
            # May wait for the write lock and fail: through SQLAlchemy, whose errors we map.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # Takes no lock and cannot fail: straight to the driver, which costs a tenth of a
            # statement through SQLAlchemy (every read of every request begins one).
            connection.connection.driver_connection.execute("BEGIN DEFERRED")  # type: ignore[union-attr]

    return engine


def make_session_factory(engine: Engine, *, for_writes: bool = True) -> SessionFactory:
    """A factory of ORM sessions on ``engine``; objects stay readable after commit.

    Args:
        engine: from :func:`make_engine`.
        for_writes: on SQLite, begin every transaction with ``BEGIN IMMEDIATE`` (take the write
            lock at once). Pass ``False`` for a factory used only to read, so readers never
            wait for each other. No effect on PostgreSQL.
    """
    bind = engine
    if engine.dialect.name == "sqlite":
        bind = engine.execution_options(
            **{_BEGIN_OPTION: "IMMEDIATE" if for_writes else "DEFERRED"}
        )
    return sessionmaker(bind=bind, expire_on_commit=False)


def reading(factory: SessionFactory) -> SessionFactory:
    """A factory on the same engine whose transactions only read (never ``BEGIN IMMEDIATE``).

    For the hot read paths (resolving a token on every request): on SQLite, a write factory's
    ``BEGIN IMMEDIATE`` would serialize every request behind the one write lock.
    """
    bind = factory.kw["bind"]
    if bind.dialect.name == "sqlite":
        bind = bind.execution_options(**{_BEGIN_OPTION: "DEFERRED"})
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def transaction(factory: SessionFactory) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back if it raises.

    Raises:
        DatabaseUnavailable: the database could not be reached or stayed locked (the driver's
            error is chained; its message, which may hold a URL, is not repeated).
    """
    try:
        with factory.begin() as session:
            yield session
    except OperationalError as error:
        raise DatabaseUnavailable(
            "the service database is unavailable (cannot connect, or locked for too long)"
        ) from error
    except DBAPIError as error:
        if error.connection_invalidated:
            raise DatabaseUnavailable("the connection to the service database was lost") from error
        raise
