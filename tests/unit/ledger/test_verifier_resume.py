"""Verifying only what came after a checkpoint a previous verification passed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.common.network import Network, make_network
from tests.unit.cli.test_cli import tether
from tetherai.contracts.membership import MembershipRules
from tetherai.contracts.registry import default_registry
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.verifier import VerificationReport, verify_ledger


def verify(path: Path, resume_from: str | None = None) -> VerificationReport:
    store = SqliteLedgerStore(path, readonly=True)
    try:
        return verify_ledger(
            store,
            channel="main",
            registry=default_registry(),
            rules=MembershipRules(),
            resume_from=resume_from,
        )
    finally:
        store.close()


def notarize_block(net: Network, who: object, first: int, count: int) -> None:
    futures = [
        net.node.orderer.submit(
            net.sign(who, "notary", "notarize", {"name": f"r{n}", "sha256": f"{n:064x}"})  # type: ignore[arg-type]
        )
        for n in range(first, first + count)
    ]
    assert all(future.result(timeout=30).valid for future in futures)


@pytest.fixture
def grown(tmp_path: Path) -> tuple[Network, str, Path]:
    """A ledger verified once (its last checkpoint kept), then grown by three blocks."""
    net = make_network(tmp_path, max_txs=4, max_wait=5)
    alice = net.participant("alice")
    notarize_block(net, alice, 0, 4)
    path = net.home.ledger_path("main")
    first = verify(path)
    assert first.ok and first.last_checkpoint is not None
    for block in range(3):
        net.clock.advance(1000)
        notarize_block(net, alice, 10 + 4 * block, 4)
    net.close()
    return net, first.last_checkpoint, path


def tamper(path: Path, sql: str) -> None:
    db = sqlite3.connect(path)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute(sql)
    db.commit()
    db.close()


def test_only_the_new_blocks_are_replayed(grown: tuple[Network, str, Path]) -> None:
    _, kept, path = grown
    whole = verify(path)
    since = verify(path, resume_from=kept)
    assert whole.ok and since.ok, since.problem
    assert since.blocks == 3 and since.txs == 12
    assert (since.root, since.state_root, since.tree_size) == (
        whole.root,
        whole.state_root,
        whole.tree_size,
    )
    assert since.last_checkpoint == whole.last_checkpoint


def test_a_difference_after_the_checkpoint_is_found(grown: tuple[Network, str, Path]) -> None:
    _, kept, path = grown
    tamper(path, "UPDATE history SET value = '{\"x\":1}' WHERE key = 'notary/r14'")
    report = verify(path, resume_from=kept)
    assert report.problem is not None and report.problem.code == "ledger.history"


def test_a_checkpoint_the_ledger_does_not_hold_is_refused(
    grown: tuple[Network, str, Path], tmp_path: Path
) -> None:
    _, kept, path = grown
    other = make_network(tmp_path / "other")
    notarize_block(other, other.participant("bob"), 0, 4)
    foreign = verify(other.home.ledger_path("main")).last_checkpoint
    other.close()
    report = verify(path, resume_from=foreign)
    assert report.problem is not None and report.problem.code == "ledger.checkpoint"
    edited = kept.replace("\n\n", "\n\n\u2014 forged AAAA\n", 1)
    assert verify(path, resume_from=edited).problem is not None


def test_the_cli_saves_a_checkpoint_and_resumes_from_it(
    grown: tuple[Network, str, Path], tmp_path: Path
) -> None:
    net, _, _ = grown
    home, saved = str(net.home.root), tmp_path / "verified.txt"
    code, out, err = tether("ledger", "verify", "--home", home, "--save-checkpoint", str(saved))
    assert code == 0, err
    code, out, err = tether("ledger", "verify", "--home", home, "--from-checkpoint", str(saved))
    assert code == 0, err
    assert "after the checkpoint: 0 blocks" in out
    code, _, err = tether(
        "ledger", "verify", "--home", home, "--from-checkpoint", str(tmp_path / "none")
    )
    assert code == 2 and "cannot read" in err
