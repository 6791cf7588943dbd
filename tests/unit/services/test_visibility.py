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
from tetherai.ledger.transaction import Creator, Transaction
from tetherai.services.access import Visibility, viewer
from tetherai.services.ledger_views import block_view, verification_view

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
