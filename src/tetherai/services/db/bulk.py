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
from operator import itemgetter
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
    # Column by column: the values are picked and zipped in C, and only the columns whose
    # type converts values pass through Python.
    values = [list(map(itemgetter(name), rows)) for name in names]
    for i, name in enumerate(names):
        convert = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            values[i] = _converted(values[i], convert)
    parameters: list[Any] = list(zip(*values, strict=True))
    if not compiled.positional:
        parameters = [dict(zip(names, row, strict=True)) for row in parameters]
    connection.exec_driver_sql(compiled.string, parameters)


def _converted(values: list[Any], convert: Callable[[Any], Any]) -> list[Any]:
    """``convert`` of each value, called once for a run of the same object."""
    found: list[Any] = []
    last: Any = _NOTHING
    converted: Any = None
    for value in values:
        if value is not last:
            last, converted = value, convert(value)
        found.append(converted)
    return found


_NOTHING = object()
