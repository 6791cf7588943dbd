"""The verifier catches every way of tampering with the SQLite file (DESIGN.md §3).

Each test edits the ledger file directly with sqlite3 (after dropping the append-only
triggers, as an attacker with file access would) and expects verification to fail at the
right block or tx, with a message that says what is wrong.
"""

from __future__ import annotations

import gc
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.common.network import PASSPHRASE, Network, make_network
from tests.common.waiting import PATIENCE
from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry
from tetherai.crypto.jcs import canonicalize
from tetherai.ledger.block import BlockHeader
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.transaction import Envelope, sign_transaction
from tetherai.ledger.verifier import VerificationReport, verify_ledger
from tetherai.services.network import load_node_key

BLOCKS_OF_TXS = 4
TXS_PER_BLOCK = 5


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """A closed ledger, built once: genesis, an enrolment block, then 4 blocks of 5 notary txs."""
    net = make_network(tmp_path_factory.mktemp("pristine"), max_txs=TXS_PER_BLOCK, max_wait=5)
    try:
        alice = net.participant("alice")
        for block in range(BLOCKS_OF_TXS):
            futures = [
                net.node.orderer.submit(
                    net.sign(
                        alice,
                        "notary",
                        "notarize",
                        {"name": f"b{block}-{i}", "sha256": f"{block * 10 + i:064x}"},
                    )
                )
                for i in range(TXS_PER_BLOCK)
            ]
            assert all(future.result(timeout=PATIENCE).valid for future in futures)
            net.clock.advance(1000)
    finally:
        net.close()
    return net


@pytest.fixture
def ledger(pristine: Network, tmp_path: Path) -> tuple[Network, Path]:
    """A private copy of the pristine ledger for one test to tamper with."""
    copy = tmp_path / "ledger.sqlite"
    shutil.copyfile(pristine.home.ledger_path("main"), copy)
    return pristine, copy


def verify(path: Path, trusted: tuple[str, ...] = ()) -> VerificationReport:
    store = SqliteLedgerStore(path, readonly=True)
    try:
        return verify_ledger(
            store,
            channel="main",
            registry=default_registry(),
            rules=MembershipRules(),
            trusted_checkpoints=trusted,
        )
    finally:
        store.close()


def tamper(path: Path, action: Callable[[sqlite3.Connection], object]) -> None:
    db = sqlite3.connect(path)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    action(db)
    db.commit()
    db.close()


def envelope_at(db: sqlite3.Connection, block: int, index: int) -> Envelope:
    (data,) = db.execute(
        "SELECT envelope FROM txs WHERE block = ? AND idx = ?", (block, index)
    ).fetchone()
    return Envelope.from_bytes(bytes(data))


def test_untouched_ledger_verifies_with_its_figures(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    report = verify(path)
    assert report.ok, report.problem
    assert report.blocks == 2 + BLOCKS_OF_TXS
    assert report.txs == report.tree_size == 2 + BLOCKS_OF_TXS * TXS_PER_BLOCK
    assert report.checkpoints == report.blocks
    store = SqliteLedgerStore(path, readonly=True)
    assert report.state_root == store.block(store.height - 1).state_root  # type: ignore[union-attr]
    store.close()


def test_the_collector_is_as_it_was_after_a_replay(ledger: tuple[Network, Path]) -> None:
    """A replay freezes what the process held and collects its young garbage less often,
    for its own run only: a found problem leaves the collector as it was too."""
    _, path = ledger
    before = (gc.get_threshold(), gc.get_freeze_count())
    assert verify(path).ok
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
    tamper(path, lambda db: db.execute("DELETE FROM txs WHERE block = 2 AND idx = 0"))
    assert not verify(path).ok
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_edited_tx_is_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger

    def edit(db: sqlite3.Connection) -> None:
        (data,) = db.execute("SELECT envelope FROM txs WHERE block = 3 AND idx = 2").fetchone()
        edited = bytes(data).replace(b'"sha256":"0000', b'"sha256":"ffff', 1)
        assert edited != bytes(data)
        db.execute("UPDATE txs SET envelope = ? WHERE block = 3 AND idx = 2", (edited,))

    tamper(path, edit)
    report = verify(path)
    assert not report.ok and report.problem is not None
    assert report.problem.block == 3
    assert report.problem.code in {"ledger.tx_id", "ledger.txs_root"}


def test_edited_tx_with_matching_tx_id_column_is_caught_by_txs_root(
    ledger: tuple[Network, Path],
) -> None:
    _, path = ledger

    def edit(db: sqlite3.Connection) -> None:
        envelope = envelope_at(db, 3, 2)
        args = dict(envelope.tx.args) | {"sha256": "ee" * 32}
        tx = envelope.tx.__class__(
            **{**{f: getattr(envelope.tx, f) for f in envelope.tx.__slots__}, "args": args}
        )
        changed = Envelope(tx, tx.canonical_bytes(), envelope.sig, envelope.tx_id)
        from hashlib import sha256

        changed = Envelope(
            tx, tx.canonical_bytes(), envelope.sig, sha256(tx.canonical_bytes()).hexdigest()
        )
        db.execute(
            "UPDATE txs SET envelope = ?, tx_id = ? WHERE block = 3 AND idx = 2",
            (changed.leaf_data, changed.tx_id),
        )

    tamper(path, edit)
    report = verify(path)
    assert report.problem is not None
    assert (report.problem.code, report.problem.block) == ("ledger.txs_root", 3)
    assert "edited, inserted, removed or reordered" in report.problem.message


def test_deleted_tx_is_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    tamper(path, lambda db: db.execute("DELETE FROM txs WHERE block = 4 AND idx = 4"))
    report = verify(path)
    assert report.problem is not None and report.problem.block == 4


def test_deleted_tx_with_renumbering_is_caught(ledger: tuple[Network, Path]) -> None:
    """Delete a tx and shift the later ones down so positions look contiguous."""
    _, path = ledger

    def delete(db: sqlite3.Connection) -> None:
        (seq,) = db.execute("SELECT seq FROM txs WHERE block = 4 AND idx = 0").fetchone()
        db.execute("DELETE FROM txs WHERE seq = ?", (seq,))
        db.execute("DELETE FROM history WHERE seq = ?", (seq,))
        db.execute("UPDATE txs SET idx = idx - 1 WHERE block = 4")
        db.execute("UPDATE txs SET seq = seq - 1 WHERE seq > ?", (seq,))

    tamper(path, delete)
    report = verify(path)
    assert report.problem is not None and report.problem.block == 4
    assert report.problem.code in {"ledger.tx_count", "ledger.txs_root"}


def test_inserted_tx_is_caught(ledger: tuple[Network, Path]) -> None:
    net, path = ledger

    def insert(db: sqlite3.Connection) -> None:
        envelope = envelope_at(db, 3, 0)
        extra = sign_transaction(
            envelope.tx.__class__(
                **{
                    **{f: getattr(envelope.tx, f) for f in envelope.tx.__slots__},
                    "nonce": "ab" * 16,
                }
            ),
            net.admin.private_key,
        )
        db.execute("UPDATE txs SET seq = seq + 1000000 WHERE block > 3")
        (last_seq, count) = db.execute(
            "SELECT MAX(seq), COUNT(*) FROM txs WHERE block = 3"
        ).fetchone()
        db.execute(
            "INSERT INTO txs VALUES (?, ?, 3, ?, ?, 1, NULL, NULL, '1', 'null')",
            (last_seq + 1, extra.tx_id, count, extra.leaf_data),
        )

    tamper(path, insert)
    report = verify(path)
    assert report.problem is not None and report.problem.block == 3


def test_reordered_txs_are_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger

    def swap(db: sqlite3.Connection) -> None:
        rows = db.execute(
            "SELECT seq, tx_id, envelope FROM txs WHERE block = 2 AND idx IN (1, 3) ORDER BY idx"
        ).fetchall()
        (seq_a, id_a, env_a), (seq_b, id_b, env_b) = rows
        db.execute("UPDATE txs SET tx_id = ?, envelope = ? WHERE seq = ?", (id_b, env_b, seq_a))
        db.execute("UPDATE txs SET tx_id = ?, envelope = ? WHERE seq = ?", (id_a, env_a, seq_b))

    tamper(path, swap)
    report = verify(path)
    assert report.problem is not None
    assert (report.problem.code, report.problem.block) == ("ledger.txs_root", 2)


def test_txs_moved_between_blocks_are_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    tamper(
        path, lambda db: db.execute("UPDATE txs SET block = 2, idx = 5 WHERE block = 3 AND idx = 0")
    )
    report = verify(path)
    assert report.problem is not None and report.problem.block == 2


def test_edited_state_row_is_caught_and_named(ledger: tuple[Network, Path]) -> None:
    _, path = ledger

    def edit(db: sqlite3.Connection) -> None:
        (value,) = db.execute("SELECT value FROM state WHERE key = 'notary/b1-3'").fetchone()
        record = json.loads(value) | {"sha256": "ab" * 32}
        db.execute("UPDATE state SET value = ? WHERE key = 'notary/b1-3'", (json.dumps(record),))

    tamper(path, edit)
    report = verify(path)
    assert report.problem is not None and report.problem.code == "ledger.state"
    assert "notary/b1-3" in report.problem.message


def test_state_row_added_or_deleted_is_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    tamper(path, lambda db: db.execute("INSERT INTO state VALUES ('notary/forged', '{}', 3)"))
    report = verify(path)
    assert report.problem is not None and "notary/forged" in report.problem.message


def test_deleted_state_row_is_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    tamper(path, lambda db: db.execute("DELETE FROM state WHERE key = 'notary/b0-0'"))
    report = verify(path)
    assert report.problem is not None and report.problem.code == "ledger.state"


def test_edited_history_row_is_caught_at_its_block(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    tamper(
        path,
        lambda db: db.execute("UPDATE history SET value = '{\"x\":1}' WHERE key = 'notary/b2-1'"),
    )
    report = verify(path)
    assert report.problem is not None
    assert (report.problem.code, report.problem.block) == ("ledger.history", 4)


def test_flipped_validity_flag_is_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    tamper(
        path,
        lambda db: db.execute(
            "UPDATE txs SET valid = 0, code = 'contract.conflict', message = 'x', result = NULL "
            "WHERE block = 5 AND idx = 1"
        ),
    )
    report = verify(path)
    assert report.problem is not None
    assert (report.problem.code, report.problem.block, report.problem.tx_index) == (
        "ledger.tx_result",
        5,
        1,
    )


def test_forged_signature_is_caught(ledger: tuple[Network, Path]) -> None:
    """Someone re-signs a stored tx with a key that is not the creator's."""
    net, path = ledger

    def forge(db: sqlite3.Connection) -> None:
        envelope = envelope_at(db, 2, 0)
        forged = sign_transaction(envelope.tx, net.admin.private_key)
        db.execute("UPDATE txs SET envelope = ? WHERE block = 2 AND idx = 0", (forged.leaf_data,))

    tamper(path, forge)
    report = verify(path)
    assert report.problem is not None and report.problem.block == 2


@pytest.mark.parametrize("in_processes", [False, True], ids=["threads", "worker-processes"])
def test_forged_signature_by_an_insider_holding_the_orderer_key_is_caught(
    ledger: tuple[Network, Path], in_processes: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with the orderer's key (re-signing the last block), a forged tx signature is found,
    whether the signatures are checked on threads or in worker processes (a large ledger)."""
    if in_processes:
        monkeypatch.setattr("tetherai.ledger.verifier.PROCESS_POOL_FROM_TXS", 0)
    net, path = ledger
    orderer_key = load_node_key(net.home, net.home.config()["orderer"], PASSPHRASE)

    def forge(db: sqlite3.Connection) -> None:
        (last,) = db.execute("SELECT MAX(number) FROM blocks").fetchone()
        envelopes = [
            Envelope.from_bytes(bytes(row[0]))
            for row in db.execute("SELECT envelope FROM txs WHERE block = ? ORDER BY idx", (last,))
        ]
        envelopes[0] = sign_transaction(envelopes[0].tx, net.admin.private_key)
        db.execute(
            "UPDATE txs SET envelope = ? WHERE block = ? AND idx = 0",
            (envelopes[0].leaf_data, last),
        )
        (header_bytes,) = db.execute(
            "SELECT header FROM blocks WHERE number = ?", (last,)
        ).fetchone()
        header = BlockHeader.from_json(json.loads(header_bytes))
        from tetherai.ledger.block import txs_root
        from tetherai.ledger.merkle import CompactRange, leaf_hash

        store_rows = [bytes(r[0]) for r in db.execute("SELECT envelope FROM txs ORDER BY seq")]
        tree = CompactRange()
        for data in store_rows:
            tree.append(leaf_hash(data))
        new = BlockHeader(
            header.number,
            header.prev_hash,
            header.ts,
            header.tx_count,
            txs_root(envelopes),
            tree.size,
            tree.root().hex(),
        )
        db.execute(
            "UPDATE blocks SET header = ?, hash = ?, orderer_sig = ? WHERE number = ?",
            (canonicalize(new.to_json()), new.hash, orderer_key.sign(new.canonical_bytes()), last),
        )

    tamper(path, forge)
    report = verify(path)
    assert report.problem is not None
    assert report.problem.code == "ledger.tx_result"
    assert report.problem.block == 5 and report.problem.tx_index == 0
    assert "tx.bad_signature" in report.problem.message


def test_removed_tail_block_is_caught_by_the_later_checkpoint(ledger: tuple[Network, Path]) -> None:
    _, path = ledger

    def cut(db: sqlite3.Connection) -> None:
        (last,) = db.execute("SELECT MAX(number) FROM blocks").fetchone()
        (first_seq,) = db.execute(
            "SELECT first_seq FROM blocks WHERE number = ?", (last,)
        ).fetchone()
        db.execute("DELETE FROM blocks WHERE number = ?", (last,))
        db.execute("DELETE FROM txs WHERE block = ?", (last,))
        db.execute("DELETE FROM history WHERE seq >= ?", (first_seq,))
        db.execute("DELETE FROM merkle WHERE (idx + 1) * (1 << level) > ?", (first_seq,))
        # Roll state back to what the remaining history says, as a careful attacker would.
        db.execute("DELETE FROM state WHERE seq >= ?", (first_seq,))

    tamper(path, cut)
    report = verify(path)
    assert report.problem is not None
    assert report.problem.code == "ledger.tail_missing"
    assert "removed from the tail" in report.problem.message
    assert report.problem.block == 5


def test_removed_tail_with_its_checkpoints_is_caught_by_a_trusted_checkpoint(
    ledger: tuple[Network, Path],
) -> None:
    _, path = ledger
    store = SqliteLedgerStore(path, readonly=True)
    kept = store.latest_checkpoint()
    store.close()
    assert kept is not None

    def cut(db: sqlite3.Connection) -> None:
        (last,) = db.execute("SELECT MAX(number) FROM blocks").fetchone()
        (first_seq,) = db.execute(
            "SELECT first_seq FROM blocks WHERE number = ?", (last,)
        ).fetchone()
        for sql in (
            "DELETE FROM blocks WHERE number >= ?",
            "DELETE FROM txs WHERE block >= ?",
            "DELETE FROM checkpoints WHERE block >= ?",
        ):
            db.execute(sql, (last,))
        db.execute("DELETE FROM history WHERE seq >= ?", (first_seq,))
        db.execute("DELETE FROM merkle WHERE (idx + 1) * (1 << level) > ?", (first_seq,))
        db.execute("DELETE FROM state WHERE seq >= ?", (first_seq,))

    tamper(path, cut)
    assert verify(path).ok  # consistent on its own …
    report = verify(path, trusted=(kept[2],))  # … but not with what the auditor kept
    assert report.problem is not None and report.problem.code == "ledger.tail_missing"


def test_deleted_middle_block_is_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    tamper(path, lambda db: db.execute("DELETE FROM blocks WHERE number = 3"))
    report = verify(path)
    assert report.problem is not None
    assert (report.problem.code, report.problem.block) == ("ledger.block_missing", 3)


def test_edited_block_header_is_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger

    def edit(db: sqlite3.Connection) -> None:
        (header,) = db.execute("SELECT header FROM blocks WHERE number = 2").fetchone()
        value = json.loads(header) | {"ts": json.loads(header)["ts"] + 1}
        new = BlockHeader.from_json(value)
        db.execute(
            "UPDATE blocks SET header = ?, hash = ? WHERE number = 2",
            (new.canonical_bytes(), new.hash),
        )

    tamper(path, edit)
    report = verify(path)
    assert report.problem is not None and report.problem.block in {2, 3}
    assert report.problem.code in {"ledger.orderer_signature", "ledger.chain_broken"}


def test_edited_merkle_node_is_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    tamper(
        path,
        lambda db: db.execute("UPDATE merkle SET hash = zeroblob(32) WHERE level = 1 AND idx = 2"),
    )
    report = verify(path)
    assert report.problem is not None and report.problem.code == "ledger.merkle_node"


def test_edited_checkpoint_note_is_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    tamper(
        path,
        lambda db: db.execute(
            "UPDATE checkpoints SET note = replace(note, 'block 3', 'block 4') WHERE block = 3"
        ),
    )
    report = verify(path)
    assert report.problem is not None and report.problem.code == "ledger.checkpoint"


def test_stored_results_hash_or_state_root_edit_is_caught(ledger: tuple[Network, Path]) -> None:
    _, path = ledger
    tamper(
        path,
        lambda db: db.execute("UPDATE blocks SET state_root = ? WHERE number = 4", ("00" * 32,)),
    )
    report = verify(path)
    assert report.problem is not None
    assert (report.problem.code, report.problem.block) == ("ledger.state_root", 4)


def test_garbage_in_the_envelope_column_is_reported_not_crashed(
    ledger: tuple[Network, Path],
) -> None:
    _, path = ledger
    tamper(
        path, lambda db: db.execute("UPDATE txs SET envelope = x'00ff' WHERE block = 2 AND idx = 0")
    )
    report = verify(path)
    assert report.problem is not None
    assert (report.problem.code, report.problem.block) == ("ledger.tx_malformed", 2)


def test_multi_org_make_network_is_independent(tmp_path: Path) -> None:
    """Two networks never accept each other's checkpoints."""
    a = make_network(tmp_path / "a")
    b = make_network(tmp_path / "b")
    a.close()
    b.close()
    other = SqliteLedgerStore(b.home.ledger_path("main"), readonly=True)
    note = other.latest_checkpoint()
    other.close()
    assert note is not None
    report = verify(a.home.ledger_path("main"), trusted=(note[2],))
    assert report.problem is not None and report.problem.code == "ledger.checkpoint"
