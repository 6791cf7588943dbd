"""The projector's tables are the same, row for row, however it gets there: in one catch-up
or as the server's follower does while blocks arrive, in batches of any size, after a failure
part way and a restart — and the same as the projector that applied one block per database
transaction (``expected_rows.json``, see ``rows.py``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from tests.common.lifecycle import Cast
from tests.unit.projections.rows import EXPECTED, add_accounts, dump, play
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.services.db import make_engine, make_session_factory
from tetherai.services.projection_batch import PROJECTED_KEYS, classify
from tetherai.services.projection_follower import ProjectionFollower
from tetherai.services.projections import Projector


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    add_accounts(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def projector(cast: Cast, engine: Engine) -> tuple[Projector, SqliteLedgerStore]:
    store = cast.net.node.peer.store.reader()
    return Projector(make_session_factory(engine), store, "main", notify=True), store


def expected() -> Any:
    return json.loads(EXPECTED.read_text())


@pytest.mark.parametrize("batch_txs", [1, 4, 5000])
def test_a_catch_up_gives_the_tables_of_the_one_block_per_transaction_projector(
    cast: Cast, engine: Engine, batch_txs: int
) -> None:
    play(cast)
    projection, store = projector(cast, engine)
    assert projection.catch_up(batch_txs=batch_txs) == cast.net.node.peer.head.height
    assert dump(engine, store) == expected()
    assert projection.catch_up() == 0
    assert dump(engine, store) == expected()


def test_the_follower_gives_the_same_tables_while_blocks_arrive(cast: Cast, engine: Engine) -> None:
    projection, store = projector(cast, engine)
    peer = cast.net.node.peer
    follower = ProjectionFollower(projection, lambda: peer.head.height, interval=0.01)
    follower.start()
    try:
        play(cast)
        assert asyncio.run(follower.reached(peer.head.height, timeout=60))
    finally:
        follower.stop()
    assert dump(engine, store) == expected()


def test_a_catch_up_that_fails_part_way_resumes_where_its_last_batch_ended(
    cast: Cast, engine: Engine
) -> None:
    """A database failure in the middle of a catch-up (here a trigger refusing a history row
    of the last blocks) rolls back only the batch it happened in: the next catch-up starts
    after the last batch that committed, and no row is lost or written twice."""
    play(cast)
    projection, store = projector(cast, engine)
    stop_at = store.tx_count - 6
    refuse = {
        "sqlite": [
            f"CREATE TRIGGER refuse BEFORE INSERT ON history WHEN NEW.seq >= {stop_at} "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ],
        "postgresql": [
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
            "RAISE integrity_constraint_violation USING MESSAGE = 'refused'; END $$ "
            "LANGUAGE plpgsql",
            f"CREATE TRIGGER refuse BEFORE INSERT ON history FOR EACH ROW WHEN (NEW.seq >= {stop_at}) "
            "EXECUTE FUNCTION refuse()",
        ],
    }[engine.dialect.name]
    with engine.begin() as connection:
        for statement in refuse:
            connection.execute(text(statement))
    with pytest.raises(IntegrityError):
        projection.catch_up(batch_txs=4)
    with engine.connect() as connection:
        last = connection.execute(text("SELECT last_block FROM projection_cursors")).scalar()
        seqs = connection.execute(text("SELECT seq FROM history ORDER BY id")).scalars().all()
    assert last is not None and 0 < last < cast.net.node.peer.head.height - 1
    assert seqs and max(seqs) < stop_at
    with engine.begin() as connection:
        connection.execute(
            text(
                "DROP TRIGGER refuse"
                + (" ON history" if engine.dialect.name == "postgresql" else "")
            )
        )
    projection.catch_up(batch_txs=4)
    assert dump(engine, store) == expected()


@given(
    st.lists(
        st.sampled_from(["project", "model_version", "workflow", "review", "notary", "_x", "a",
                         "Org1", "comment", "", "`", "0", "_digest"]),
        min_size=1,
        max_size=6,
    )
)  # fmt: skip
def test_the_ledger_is_asked_for_every_key_the_projections_use(parts: list[str]) -> None:
    key = "/".join(parts)
    if classify(key, None) is not None:
        assert any(low <= key < high for low, high in PROJECTED_KEYS), key
