"""Ledger formats: format 2's per-tx results tree, format-1 ledgers made by older code still
verifying, canonical values whatever the caller sent, and crash results that do not depend on
the interpreter's exception text."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.common.crashing_contract import Crashing
from tests.common.network import PASSPHRASE, FakeClock, Network, make_network
from tetherai.auditverify import verify_bundle
from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_contracts, default_registry
from tetherai.crypto.jcs import canonicalize
from tetherai.identity.roles import Role
from tetherai.ledger.contract import ContractRegistry
from tetherai.ledger.executor import CRASHED, crashed_message
from tetherai.ledger.merkle import CompactRange, leaf_hash
from tetherai.ledger.results import LEDGER_FORMAT, results_proof
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.verifier import VerificationReport, verify_ledger
from tetherai.services.audit_bundle import BundleRequest, export_bundle
from tetherai.services.home import NetworkHome
from tetherai.services.network import ParticipantKey, load_participant, open_node

VECTORS = Path(__file__).parents[2] / "vectors"


def _verify(path: Path, registry: ContractRegistry | None = None) -> VerificationReport:
    store = SqliteLedgerStore(path, readonly=True)
    try:
        return verify_ledger(
            store,
            channel="main",
            registry=registry or default_registry(),
            rules=MembershipRules(),
        )
    finally:
        store.close()


def _copy(name: str, tmp_path: Path) -> Path:
    """A private copy of a format-1 vector home (tests must not touch the committed file)."""
    target = tmp_path / name
    shutil.copytree(VECTORS / name / "home", target)
    # git keeps no file modes but 644/755: key files come out of a clone readable by others,
    # which the key loader refuses. Give them the mode tetherai writes them with.
    for key in [*target.rglob("key.pem"), *target.rglob("ca.key")]:
        key.chmod(0o600)
    return target / "channels" / "main" / "ledger.sqlite"


@pytest.fixture
def crashing(tmp_path: Path) -> Iterator[Network]:
    """A format-2 network where the crashing contract is active (its exceptions say "text A")."""
    net = make_network(tmp_path, max_txs=4, max_wait=5)
    net.node.close()
    registry = ContractRegistry([*default_contracts(), Crashing("text A")])
    net.node = open_node(
        net.home, PASSPHRASE, registry=registry, max_txs=4, max_wait=5, clock=net.clock
    )
    try:
        yield net
    finally:
        net.close()


# -- format 2 -----------------------------------------------------------------------------------


def test_a_new_channel_is_format_2_and_its_state_root_chains_merkle_roots_of_results(
    network: Network,
) -> None:
    alice = network.participant("alice")
    calls: list[tuple[ParticipantKey, str, str, dict[str, object]]] = [
        (alice, "notary", "notarize", {"name": f"n{i}", "sha256": f"{i:064x}"}) for i in range(3)
    ]
    assert all(result.valid for result in network.together(calls))  # one block of three
    store = network.node.peer.store
    assert LEDGER_FORMAT == 2
    assert store.ledger_format == 2 and store.meta("ledger_format") == "2"
    channel: Any = network.node.peer.query("membership", "channel", {})
    assert channel["ledger_format"] == 2
    state = "00" * 32
    for block in store.blocks():
        # Each result's leaf is SHA-256(0x00 || its canonical bytes), RFC 6962 style.
        tree = CompactRange()
        for tx in block.txs:
            tree.append(hashlib.sha256(b"\x00" + (tx.result or "").encode()).digest())
        assert block.results_hash == tree.root().hex()
        state = hashlib.sha256(bytes.fromhex(state) + tree.root()).hexdigest()
        assert block.state_root == state
    # One result is proven alone by its inclusion proof (here in a block of several).
    last = store.block(store.height - 1)
    assert last is not None and len(last.txs) >= 2
    leaves = [leaf_hash((tx.result or "").encode()) for tx in last.txs]
    proof = results_proof(leaves, 1)
    from tetherai.ledger.proofs import verify_inclusion

    verify_inclusion(leaves[1], 1, len(leaves), proof, bytes.fromhex(last.results_hash))
    assert _verify(Path(store.path)).ok


def test_the_format_the_store_records_must_be_the_one_genesis_chose(
    network: Network, tmp_path: Path
) -> None:
    network.notarize(network.participant("alice"))
    network.close()
    path = Path(network.node.peer.store.path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'ledger_format'")
    db.close()
    report = _verify(path)
    assert not report.ok and report.problem is not None
    assert report.problem.code == "ledger.format"
    assert "genesis configuration sets ledger format 2; the store records format 1" in (
        report.problem.message
    )


def test_stored_values_are_canonical_whatever_the_caller_sent(network: Network) -> None:
    """In process the signer's Python floats (1.0, -0.0) used to reach the contract and the
    store while a replay saw the canonical 1 and 0: "ledger.history differs"."""
    alice = network.participant("alice", Role.AI_ENGINEER)
    project = network.submit(alice, "project", "create", {"name": "floats"}).result
    assert isinstance(project, dict)
    values = {"one": 1.0, "zero": -0.0, "big": 1e21, "tiny": 5e-324, "seventh": 1e-07}
    result = network.submit(
        alice,
        "model_version",
        "create",
        {
            "project": project["project"],
            "version": "v1",
            "code_repo": "https://git.example/f",
            "commit": "ab" * 20,
            "artifacts": [],
            "experiments": [
                {
                    "name": "e",
                    "hyperparameters": values,
                    "metrics": {"acc": 1.0},
                    "series": {"loss": [1.0, -0.0, 2.5]},
                }
            ],
        },
    )
    assert result.valid, result
    store = network.node.peer.store
    key = f"model_version/{project['project']}/v1"
    for text in [row[2] for row in store.history_under(key) if row[0] == key]:
        assert text is not None
        assert text == canonicalize(json.loads(text)).decode()
        assert '"one":1,' in text and '"zero":0' in text and '"loss":[1,0,2.5]' in text
    record: Any = store.get(key)
    assert isinstance(record, dict)
    experiment = record["experiments"][0]
    assert type(experiment["hyperparameters"]["one"]) is int
    assert _verify(Path(store.path)).ok


# -- contract crashes -----------------------------------------------------------------------------


def test_a_crash_records_a_stable_message_and_replays_to_the_same_roots_with_other_text(
    crashing: Network, caplog: pytest.LogCaptureFixture
) -> None:
    net = crashing
    assert net.submit(
        net.admin, "membership", "upgrade_contract", {"contract": "crashing", "version": "1"}
    ).valid
    alice = net.participant("alice")
    calls: list[tuple[str, dict[str, object]]] = [
        ("note", {"text": "before"}),
        ("divide", {"numerator": 1, "denominator": 0}),
        ("lookup", {"key": "missing"}),
        ("add", {"value": 1}),
        ("explode", {}),
        ("note", {"text": "after"}),
    ]
    with caplog.at_level(logging.WARNING, logger="tetherai.ledger.executor"):
        results = net.together([(alice, "crashing", fn, args) for fn, args in calls])
    assert [r.valid for r in results] == [True, False, False, False, False, True]
    # The peer's log keeps what the interpreter said; the ledger does not.
    logged = "\n".join(record.getMessage() + str(record.exc_info) for record in caplog.records)
    assert "crashing.lookup raised" in logged and "KeyError" in logged
    caplog.clear()
    store = net.node.peer.store
    for (fn, _), result in list(zip(calls, results, strict=True))[1:-1]:
        assert (result.code, result.message) == (CRASHED, crashed_message("crashing", fn))
        assert result.message == (
            f"contract crashing failed in {fn} with an unexpected error (a bug in the "
            "contract); the tx changed nothing"
        )
        stored = store.tx(result.tx_id)
        assert stored is not None and stored.result is not None
        for text in ("text A", "ZeroDivisionError", "division", "missing", "NoneType"):
            assert text not in stored.result
    # The crash of 'divide' wrote nothing, though the contract had put a key before failing.
    assert not any(
        key.startswith("crashing/" + results[1].tx_id) for key, _, _ in store.state_rows()
    )
    path = Path(store.path)
    net.close()
    # Another interpreter (here: another text in the same exceptions) replays to the same roots.
    other = ContractRegistry([*default_contracts(), Crashing("text B, from another Python")])
    with caplog.at_level(logging.WARNING, logger="tetherai.ledger.executor"):
        report = _verify(path, other)
    assert report.ok, report.problem
    assert not caplog.records  # a replay does not log old crashes again


# -- format 1, as older code wrote it --------------------------------------------------------------


def test_a_format_1_ledger_made_by_older_code_still_verifies(tmp_path: Path) -> None:
    path = _copy("ledger-v1", tmp_path)
    store = SqliteLedgerStore(path, readonly=True)
    try:
        assert store.ledger_format == 1
        # Older code stored what the signer's Python objects said: 1.0, not the canonical 1.
        texts = [row[2] or "" for row in store.history_rows(0, store.tx_count)]
        assert any('"series":{"loss":[1.0,0.5,2.0,-0.0]}' in text for text in texts)
        # Blocks held both projects' txs.
        assert max(len(block.txs) for block in store.blocks()) >= 3
    finally:
        store.close()
    report = _verify(path)
    assert report.ok, report.problem
    # Opening it for writing records its format; nothing else changes.
    before = _rows(path)
    writer = SqliteLedgerStore(path)
    try:
        assert writer.meta("ledger_format") == "1" and writer.ledger_format == 1
    finally:
        writer.close()
    assert _rows(path) == before
    assert _verify(path).ok


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    tables = ("blocks", "txs", "state", "history", "merkle", "checkpoints")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        found = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    db.close()
    return found


def test_format_1_values_may_differ_in_spelling_but_not_in_value(tmp_path: Path) -> None:
    path = _copy("ledger-v1", tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER IF EXISTS history_no_update")
        rows = db.execute(
            "SELECT key, seq, value FROM history WHERE value LIKE '%\"loss\":[1.0,0.5,2.0,-0.0]%'"
        ).fetchall()
        assert rows
        key, seq, value = rows[0]
        changed = value.replace('"loss":[1.0,0.5,2.0,-0.0]', '"loss":[1.0,0.5,2.01,-0.0]')
        db.execute("UPDATE history SET value = ? WHERE key = ? AND seq = ?", (changed, key, seq))
    db.close()
    report = _verify(path)
    assert not report.ok and report.problem is not None
    assert report.problem.code == "ledger.history"


def test_a_format_1_ledger_with_interpreter_texts_in_crash_results_still_verifies(
    tmp_path: Path,
) -> None:
    path = _copy("ledger-v1-crash", tmp_path)
    store = SqliteLedgerStore(path, readonly=True)
    try:
        messages = [tx.message for block in store.blocks() for tx in block.txs if tx.message]
    finally:
        store.close()
    assert "contract raised KeyError: 'missing'" in messages
    assert "contract raised RuntimeError: the text of this interpreter" in messages
    # This interpreter's texts, or another's: format 1 committed to the stored ones.
    for detail in ("", "another interpreter's text"):
        registry = ContractRegistry([*default_contracts(), Crashing(detail)])
        report = _verify(path, registry)
        assert report.ok, report.problem


def test_a_format_1_crash_result_edited_into_something_else_is_caught(tmp_path: Path) -> None:
    path = _copy("ledger-v1-crash", tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER IF EXISTS txs_no_update")
        tx_id, result = db.execute(
            "SELECT tx_id, result FROM txs WHERE message LIKE 'contract raised KeyError%'"
        ).fetchone()
        document = json.loads(result)
        document["message"] = "the tx was refused by policy"
        db.execute(
            "UPDATE txs SET message = ?, result = ? WHERE tx_id = ?",
            (document["message"], canonicalize(document).decode(), tx_id),
        )
    db.close()
    registry = ContractRegistry([*default_contracts(), Crashing()])
    report = _verify(path, registry)
    assert not report.ok and report.problem is not None
    assert report.problem.code == "ledger.tx_result"


def test_an_upgraded_node_keeps_writing_a_format_1_channel_in_format_1(tmp_path: Path) -> None:
    path = _copy("ledger-v1", tmp_path)
    home = NetworkHome(path.parents[2])
    before = SqliteLedgerStore(path, readonly=True)
    try:
        clock = FakeClock(before.block_ts(before.height - 1) + 60_000)
    finally:
        before.close()
    node = open_node(home, PASSPHRASE, clock=clock)
    try:
        alice = load_participant(home, "Org1", "alice", PASSPHRASE)
        envelope = alice.sign(
            "main",
            "review",
            "comment",
            {"project": "Org1/alpha", "version": "v1", "text": "after the upgrade"},
            clock(),
        )
        assert node.orderer.submit(envelope).result(timeout=30).valid
        store = node.peer.store
        assert store.ledger_format == 1
        last = store.block(store.height - 1)
        assert last is not None
        listed = b"[" + b",".join((tx.result or "").encode() for tx in last.txs) + b"]"
        assert last.results_hash == hashlib.sha256(listed).hexdigest()
    finally:
        node.close()
    report = _verify(path)
    assert report.ok, report.problem
    store = SqliteLedgerStore(path, readonly=True)
    try:
        bundle = export_bundle(store, "main", BundleRequest("Org1/alpha", "v1"))
    finally:
        store.close()
    assert json.loads(bundle)["format"] == "tetherai-audit-bundle/v1"
    verdict = verify_bundle(bundle)
    assert verdict.ok, verdict.text()
    assert any(item.tx.get("args", {}).get("text") == "after the upgrade" for item in verdict.txs)


def _page_size(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA page_size").fetchone()[0])
    finally:
        db.close()


def test_a_new_ledger_file_has_8_kib_pages_and_an_old_one_keeps_its_own(
    network: Network, tmp_path: Path
) -> None:
    network.notarize(network.participant("alice"), "doc")
    assert _page_size(Path(network.node.peer.store.path)) == 8192
    path = _copy("ledger-v1", tmp_path)
    assert _page_size(path) == 4096
    store = SqliteLedgerStore(path)  # opened as its writer: the file is not rebuilt
    store.close()
    assert _page_size(path) == 4096
    report = _verify(path)
    assert report.ok, report.problem
