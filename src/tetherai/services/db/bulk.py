"""Insert many rows at once, straight to the driver (the projections' hot path).

``connection.execute(insert(table), rows)`` builds each row's parameters in SQLAlchemy (about
10 µs a row, more than SQLite takes to store it): a projection catching up writes a few
notification rows per tx. :func:`insert_rows` compiles the statement once for the connection's
dialect, converts each value with its column type's own bind processor (the conversion
SQLAlchemy would apply, so the stored rows are the same) and hands the driver one
``executemany``. A value that is the same object as the one in the previous row (one event's
detail, sent to each of its recipients) is converted once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert

from tetherai.services.db.base import Base

__all__ = ["insert_rows"]


def insert_rows(
    connection: Connection, into: type[Base] | Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows`` (each a value for every column the first one names; column defaults
    are not applied) into the table of ``into`` in one driver ``executemany``."""
    if not rows:
        return
    table = into if isinstance(into, Table) else into.__table__
    assert isinstance(table, Table)
    columns = list(rows[0])
    dialect = connection.dialect
    statement = insert(table).values({name: bindparam(name) for name in columns})
    compiled = statement.compile(dialect=dialect)
    names = compiled.positiontup if compiled.positional else columns
    assert names is not None and sorted(names) == sorted(columns), (names, columns)
    converters: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    parameters: list[Any] = []
    last: list[Any] = [_NOTHING] * len(names)
    converted: list[Any] = [None] * len(names)
    for row in rows:
        values = []
        for i, name in enumerate(names):
            value = row[name]
            convert = converters[i]
            if convert is not None:
                if value is not last[i]:
                    last[i], converted[i] = value, convert(value)
                value = converted[i]
            values.append(value)
        parameters.append(
            tuple(values) if compiled.positional else dict(zip(names, values, strict=True))
        )
    connection.exec_driver_sql(compiled.string, parameters)


_NOTHING = object()
