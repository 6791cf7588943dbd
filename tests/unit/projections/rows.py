"""A ledger that exercises every rule of the projections, and the service tables it gives.

``expected_rows.json`` holds the tables the projector made of :func:`play` when it applied one
block per database transaction and inserted its rows through the ORM, on SQLite: whatever the
projector does to be fast, its tables must stay the same, row for row, on any database. Tx ids
(random: signatures) are written as ``tx@<log position>``, the cursor's state root as whether
it is the ledger's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

from tests.common.lifecycle import Cast
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.services.db import Org, User

EXPECTED = Path(__file__).with_name("expected_rows.json")
ACCOUNTS = ("alice", "bob", "carol", "dora")
"""Members with an account in the service database: only they are notified."""
TABLES = {
    "projects": "ref",
    "versions": "ref",
    "history": "id",
    "notifications": "id",
    "projection_cursors": "channel",
}


def play(cast: Cast) -> None:
    """Versions along the workflow (with reasons and details), comments (one longer than a
    notification quotes), a rating, project changes, members added and removed, notary
    records and a refused tx, with the clock moving."""
    project = cast.project

    def ok(who: str, contract: str, fn: str, **args: Any) -> None:
        cast.ok(who, contract, fn, **args)
        cast.net.clock.advance(1500)

    v1 = cast.new_version("v1")
    cast.walk(v1, "reviewing")
    ok("stake1", "review", "comment", project=project, version=v1, text="looks good")
    ok("stake2", "review", "comment", project=project, version=v1, text="x" * 300)
    cast.verify_matching(v1)
    if cast.status(v1) == "reviewing":
        ok("mlops", "workflow", "transition", project=project, version=v1, to="review_passed")
    ok("mlops", "workflow", "transition", project=project, version=v1, to="deployed",
       details={"endpoint": "https://models.example/credit"})  # fmt: skip
    ok("stake1", "review", "rate", project=project, version=v1, stars=4)
    ok("admin", "notary", "notarize", name="doc/1", sha256="ab" * 32)
    ok("author", "project", "update", project=project, name="Credit Scoring II", domain="risk")
    ok("author", "project", "add_member", project=project, org="Org1", id="oscar")
    ok("author", "project", "remove_member", project=project, org="Org1", id="oscar",
       reason="left the team")  # fmt: skip
    refused = cast.call("outsider", "review", "comment", project=project, version=v1, text="hi")
    assert not refused.valid
    v2 = cast.new_version("v2")
    cast.walk(v2, "review_failed")
    ok("mlops", "review", "comment", project=project, version=v2, text="see the logs")
    ok("admin", "notary", "notarize", name="doc/2", sha256="cd" * 32)


def add_accounts(engine: Engine) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(insert(Org), [{"id": "Org1", "name": "Org1", "created_at": now}])
        connection.execute(
            insert(User),
            [
                {"username": name, "display_name": name, "org_id": "Org1", "role": "stakeholder",
                 "enabled": True, "failed_logins": 0, "created_at": now, "updated_at": now}
                for name in ACCOUNTS
            ],
        )  # fmt: skip


def dump(engine: Engine, store: SqliteLedgerStore) -> dict[str, list[dict[str, Any]]]:
    """Every row of the projection tables and notifications, in key order, made comparable
    across ledgers of the same play (tx ids as log positions) and across databases (times
    as UTC text, JSON decoded)."""
    ids = store.tx_ids_at(range(store.tx_count))
    positions = {tx_id: f"tx@{seq}" for seq, tx_id in ids.items()}
    head = store.head_row()
    tables: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for table, key in TABLES.items():
            rows = connection.execute(text(f"SELECT * FROM {table}"))
            found = [
                {name: _comparable(name, value, positions) for name, value in row.items()}
                for row in rows.mappings()
            ]
            for row in found:
                if "state_root" in row:
                    row["state_root"] = head is not None and row["state_root"] == head[3]
            tables[table] = sorted(found, key=lambda row: row[key])
            if key == "id":  # the order counts, not gaps (a sequence's numbers are never reused)
                for rank, row in enumerate(tables[table], 1):
                    row["id"] = rank
    return tables


def _comparable(name: str, value: Any, positions: dict[str, str]) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if name == "detail" and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, str):
        return positions.get(value, value)
    return value
