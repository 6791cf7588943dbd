"""Path and query parameters the API and the pages both take."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval
from fastapi import Path, Query

__all__ = ["LogCursor", "ProposalId", "RowId"]

RowId = Annotated[int, Interval(ge=1, le=2**63 - 1)]
"""A path or query parameter naming a database row (user, token, notification, webhook) or a
cursor over them: past a signed 64-bit integer, SQLite and PostgreSQL would fail with a 500."""

ProposalId = Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="the proposal's id")]
"""A channel-change proposal's id (64 hex digits)."""

LogCursor = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**63 - 1,
        description="the `next` of the previous page (a ledger position; omit for the first page)",
    ),
]
"""A cursor over a history or a version's comments: a position in the ledger's log, which a
page is read from (keyset paging: a page costs the same however many entries come before)."""
