"""Each block's tx counts are stored with it, so listing blocks reads no txs; a ledger made
before the counts were stored gets them when first opened to write, and a read-only view of
one counts them."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.common.network import Network
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.services.ledger_info import block_summaries

VECTOR = Path(__file__).resolve().parents[2] / "vectors" / "ledger-v1-crash" / "home"


def counted(path: Path) -> list[tuple[int, int, int]]:
    """(block, txs, invalid txs) counted from the txs themselves."""
    db = sqlite3.connect(path)
    try:
        return db.execute(
            "SELECT b.number, COUNT(t.seq), COALESCE(SUM(t.valid = 0), 0) FROM blocks b "
            "LEFT JOIN txs t ON t.block = b.number GROUP BY b.number ORDER BY b.number"
        ).fetchall()
    finally:
        db.close()


def rows_of(store: SqliteLedgerStore) -> list[tuple[int, int, int]]:
    return [(r[0], r[4], r[5]) for r in store.block_rows(0, store.height)]


def test_counts_are_stored_with_each_block(network: Network) -> None:
    alice = network.participant("alice")
    network.notarize(alice, "doc")
    [refused] = network.together(
        [(alice, "notary", "notarize", {"name": "doc", "sha256": "0" * 64})]
    )
    assert not refused.valid  # a tx that lost a race: in its block, marked invalid
    store = network.node.peer.store
    assert rows_of(store) == counted(Path(store.path))
    last = block_summaries(store, store.height - 1, 1)[0]
    assert (last["txs"], last["valid"], last["invalid"]) == (1, 0, 1)
    db = sqlite3.connect(store.path)
    try:
        stored = db.execute("SELECT COUNT(*) FROM block_counts").fetchone()[0]
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE block_counts SET txs = 5")
    finally:
        db.close()
    assert stored == store.height


def test_a_ledger_made_before_the_counts_gets_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(VECTOR, home)
    path = home / "channels" / "main" / "ledger.sqlite"
    expected = counted(path)
    assert any(
        invalid for _, _, invalid in expected
    )  # the vector holds invalid txs (crashed contracts)
    readonly = SqliteLedgerStore(path, readonly=True)
    try:
        assert rows_of(readonly) == expected  # counted on the fly: the file is not changed
    finally:
        readonly.close()
    writable = SqliteLedgerStore(path)
    try:
        db = sqlite3.connect(path)
        try:
            stored = db.execute(
                "SELECT number, txs, invalid FROM block_counts ORDER BY number"
            ).fetchall()
        finally:
            db.close()
        assert stored == expected
        assert rows_of(writable) == expected
    finally:
        writable.close()
