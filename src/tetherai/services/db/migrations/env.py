"""Alembic environment of the service database (run by :func:`tetherai.services.db.migrate`).

The connection comes from ``config.attributes["connection"]`` (the normal path), or an engine is
made from the ``sqlalchemy.url`` option (the ``alembic`` command line, for developers). The
model metadata is given only so that developers can autogenerate a draft of a new revision.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import tetherai.services.db  # noqa: F401  (importing the package registers every table on Base.metadata)
from tetherai.services.db.base import Base
from tetherai.services.db.engine import make_engine

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("give a connection in config.attributes or a sqlalchemy.url option")
    engine = make_engine(url)
    try:
        with engine.begin() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    _run_online()
