"""The one visibility rule: every tx kind maps to what it concerns, and who may see it.

A table over every tx function of every installed contract: a tx of a domain contract is seen
by its creator and the readers of the project it concerns (``project.create`` included, by
the creator's org and the slug of the name); a channel tx (membership, notary) by everyone;
a tx naming no readable project by its creator only. Plus the block view: others' txs as
hashes only.
"""

from __future__ import annotations

import pytest

from tests.common.lifecycle import Cast
from tetherai.contracts.access import CHANNEL_CONTRACTS, tx_project
from tetherai.contracts.registry import default_contracts
from tetherai.crypto.jcs import JSONValue
from tetherai.ledger.contract import function_kind
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.transaction import Creator, Envelope, Transaction
from tetherai.services.access import Visibility, viewer
from tetherai.services.ledger_views import block_summaries, block_view, verification_view

TX_FUNCTIONS = sorted(
    {
        (contract.name, name)
        for contract in default_contracts()
        for name in dir(contract)
        if function_kind(getattr(contract, name)) == "transaction"
    }
)


def _tx(contract: str, fn: str, args: dict[str, JSONValue], creator: str = "alice") -> Transaction:
    return Transaction("main", contract, fn, args, Creator("Org1", creator, "0" * 64), "n", 0)


@pytest.mark.parametrize(("contract", "fn"), TX_FUNCTIONS)
def test_every_tx_kind_maps_to_a_project_or_the_channel(cast: Cast, contract: str, fn: str) -> None:
    args: dict[str, JSONValue] = (
        {"name": "Credit Scoring"}
        if (contract, fn) == ("project", "create")
        else {"project": cast.project}
    )
    state = cast.net.node.peer.store
    member = Visibility(state, viewer("Org1", "bob", "mlops_engineer"))
    stranger = Visibility(state, viewer("Org1", "oscar", "mlops_engineer"))
    auditor_off = Visibility(state, viewer("Org1", "nadia", "auditor"))
    creator = Visibility(state, viewer("Org1", "oscar", "mlops_engineer"))
    tx = _tx(contract, fn, args)
    if contract in CHANNEL_CONTRACTS:
        assert stranger.tx(tx) and member.tx(tx)
        return
    assert tx_project(contract, fn, args, "Org1") == cast.project
    assert member.tx(tx) and not stranger.tx(tx) and not auditor_off.tx(tx)
    assert creator.tx(_tx(contract, fn, args, creator="oscar"))  # one's own tx, always


def test_a_tx_naming_no_project_is_its_creator_s_alone(cast: Cast) -> None:
    state = cast.net.node.peer.store
    admin = Visibility(state, viewer("Org1", "admin", "org_admin"))
    cases: list[tuple[str, str, dict[str, JSONValue]]] = [
        ("project", "create", {"name": "!!!"}),
        ("review", "comment", {"project": "not a ref"}),
        ("review", "comment", {}),
        ("unknown", "call", {"project": cast.project + "x"}),
    ]
    for contract, fn, args in cases:
        assert not admin.tx(_tx(contract, fn, args)), (contract, args)


def test_a_block_shows_others_txs_as_their_hash_only(cast: Cast) -> None:
    v1 = cast.new_version()
    store = cast.net.node.peer.store
    last = store.tx_at(store.tx_count - 1)
    block = block_view(store, last.block, viewer("Org1", "oscar", "mlops_engineer"))
    assert block is not None
    assert block["txs"] == [{"tx_id": last.tx_id, "seq": last.seq, "hidden": True}]
    member = block_view(store, last.block, viewer("Org1", "bob", "mlops_engineer"))
    assert member is not None and member["txs"][0]["valid"] is True
    report = {
        "ok": False,
        "problem": {
            "code": "x",
            "message": f"{v1} differs",
            "tx_id": last.tx_id,
            "block": 3,
            "found": {"a": 1},
        },
    }
    hidden = verification_view(report, store, viewer("Org1", "oscar", "mlops_engineer"))
    assert hidden is not None and hidden["problem"] == {
        "code": "x",
        "block": 3,
        "message": "a difference in a tx you may not see",
    }
    assert verification_view(report, store, viewer("Org1", "bob", "mlops_engineer")) == report


def _reference_summary(store: SqliteLedgerStore, number: int, who: Visibility) -> tuple[int, ...]:
    """(txs, valid, invalid, hidden) of a block, from every tx's own envelope."""
    block = store.block(number)
    assert block is not None
    shown = [tx for tx in block.txs if who.tx(Envelope.from_bytes(tx.envelope).tx)]
    valid = sum(1 for tx in shown if tx.valid)
    return len(block.txs), valid, len(shown) - valid, len(block.txs) - len(shown)


def test_block_summaries_count_what_each_viewer_may_see(cast: Cast) -> None:
    cast.new_version()
    store = cast.net.node.peer.store
    # A tx that lost a race is stored invalid in its block, beside a valid one.
    [_, refused] = cast.net.together(
        [
            (cast["stake1"], "notary", "notarize", {"name": "doc", "sha256": "1" * 64}),
            (cast["stake1"], "notary", "notarize", {"name": "doc", "sha256": "1" * 64}),
        ]
    )
    assert not refused.valid
    viewers = [
        viewer("Org1", "bob", "mlops_engineer"),
        viewer("Org1", "oscar", "mlops_engineer"),
        viewer("Org1", "nadia", "auditor"),
        viewer("Org1", "admin", "org_admin"),
    ]
    for who in viewers:
        for twice in range(2):  # the second time from remembered scopes
            summaries = block_summaries(store, 0, store.height, who)
            assert [s["number"] for s in summaries] == list(range(store.height)), twice
            for summary in summaries:
                expected = _reference_summary(store, int(summary["number"]), Visibility(store, who))  # type: ignore[arg-type]
                found = tuple(summary[k] for k in ("txs", "valid", "invalid", "hidden"))
                assert found == expected, (who, summary)
    assert any(s["hidden"] for s in block_summaries(store, 0, store.height, viewers[1]))
    assert any(s["invalid"] for s in block_summaries(store, 0, store.height, viewers[0]))
