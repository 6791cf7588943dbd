"""The ledger's validity rules, through a real peer, solo orderer and SQLite store."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from tests.common.network import Network
from tetherai.identity.roles import Role
from tetherai.ledger.errors import TxNotEndorsed, TxRejected
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Creator, Transaction, sign_transaction


def test_valid_tx_is_committed_with_its_writes_and_history(network: Network) -> None:
    alice = network.participant("alice")
    result = network.notarize(alice, "report.pdf")
    assert result.valid, result
    store = network.node.peer.store
    record = store.get("notary/report.pdf")
    assert isinstance(record, dict) and record["by"] == "alice@Org1"
    history = store.history("notary/report.pdf")
    assert [entry["tx_id"] for entry in history] == [result.tx_id]
    assert history[0]["ts"] == network.clock()


def test_history_keeps_every_write_and_the_delete(network: Network) -> None:
    alice = network.participant("alice")
    first = network.notarize(alice, "doc")
    gone = network.submit(alice, "notary", "withdraw", {"name": "doc"})
    again = network.notarize(alice, "doc")
    history = network.node.peer.store.history("notary/doc")
    assert [(h["tx_id"], h["deleted"]) for h in history] == [
        (first.tx_id, False),
        (gone.tx_id, True),
        (again.tx_id, False),
    ]


def test_a_call_its_contract_refuses_is_refused_at_admission_and_never_ordered(
    network: Network,
) -> None:
    alice = network.participant("alice")
    network.notarize(alice, "doc")
    height = network.node.peer.head.height
    envelope = network.sign(alice, "notary", "notarize", {"name": "doc", "sha256": "ab" * 32})
    with pytest.raises(TxNotEndorsed, match="already notarized") as refused:
        network.node.orderer.submit(envelope)
    assert refused.value.code == "contract.conflict"
    assert network.node.peer.head.height == height
    assert network.node.peer.store.tx(envelope.tx_id) is None


def test_a_refusal_at_admission_is_kept_in_the_peers_log(
    network: Network, caplog: pytest.LogCaptureFixture
) -> None:
    alice = network.participant("alice")
    network.notarize(alice, "doc")
    envelope = network.sign(alice, "notary", "notarize", {"name": "doc", "sha256": "ab" * 32})
    with caplog.at_level(logging.INFO, logger="tetherai.ledger.peer"):
        with pytest.raises(TxNotEndorsed):
            network.node.orderer.submit(envelope)
        with pytest.raises(TxNotEndorsed):
            network.node.peer.simulate(envelope.tx, now_ms=network.clock())
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals == [
        f"admission of tx {envelope.tx_id} notary.notarize by alice@Org1 refused: "
        "contract.conflict ('doc' is already notarized)",
        "simulation of notary.notarize by alice@Org1 refused: "
        "contract.conflict ('doc' is already notarized)",
    ]


def test_a_tx_that_loses_a_race_stays_in_its_block_marked_invalid(network: Network) -> None:
    alice = network.participant("alice")
    args: dict[str, object] = {"name": "doc", "sha256": "ab" * 32}
    first, second = network.together([(alice, "notary", "notarize", args)] * 2)
    assert first.valid and not second.valid
    assert second.code == "contract.conflict"
    stored = network.node.peer.store.tx(second.tx_id)
    assert stored is not None and not stored.valid and stored.code == "contract.conflict"
    assert "already notarized" in (stored.message or "")


def test_simulation_runs_the_contract_without_a_signature_and_stores_nothing(
    network: Network,
) -> None:
    alice = network.participant("alice")
    peer = network.node.peer
    height = peer.head.height
    tx = network.sign(alice, "notary", "notarize", {"name": "doc", "sha256": "ab" * 32}).tx
    result = peer.simulate(tx, now_ms=network.clock())
    assert result.valid and result.writes
    assert peer.head.height == height and peer.query("notary", "lookup", {"name": "doc"}) is None
    network.notarize(alice, "doc")
    with pytest.raises(TxNotEndorsed, match="already notarized"):
        peer.simulate(tx, now_ms=network.clock())
    auditor = network.participant("audrey", Role.AUDITOR)
    audit_tx = network.sign(auditor, "notary", "notarize", {"name": "x", "sha256": "cd" * 32}).tx
    with pytest.raises(TxRejected) as error:
        peer.simulate(audit_tx, now_ms=network.clock())
    assert error.value.code == "tx.auditor_cannot_write"


def _count_admission_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tx ids whose contract the peer runs before ordering (simulation and admission)."""
    from tetherai.ledger import executor, peer

    runs: list[str] = []
    real = executor.run_contract

    def counting(tx: Transaction, tx_id: str, *args: Any, **kwargs: Any) -> TxResult:
        runs.append(tx_id)
        return real(tx, tx_id, *args, **kwargs)

    monkeypatch.setattr(peer, "run_contract", counting)  # the peer's name for it
    return runs


def test_admission_reuses_this_threads_simulation_of_the_same_tx_on_the_same_state(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = network.participant("alice")
    peer = network.node.peer
    runs = _count_admission_runs(monkeypatch)
    envelope = network.sign(alice, "notary", "notarize", {"name": "once", "sha256": "ab" * 32})
    peer.simulate(envelope.tx, now_ms=network.clock())
    assert network.node.orderer.submit(envelope).result(timeout=30).valid
    assert runs == [envelope.tx_id]  # checked, signed, admitted: the contract ran once
    # A bad signature is still caught after a simulation: only the contract run is reused.
    forged = network.sign(alice, "notary", "notarize", {"name": "forged", "sha256": "ab" * 32})
    peer.simulate(forged.tx, now_ms=network.clock())
    bad = type(forged)(tx=forged.tx, tx_bytes=forged.tx_bytes, sig=b"\x00" * 64, tx_id=forged.tx_id)
    with pytest.raises(TxRejected) as refused:
        network.node.orderer.submit(bad)
    assert refused.value.code == "tx.bad_signature"


def test_admission_runs_the_contract_again_when_the_state_moved_since_the_simulation(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = network.participant("alice")
    bob = network.participant("bob")
    peer = network.node.peer
    runs = _count_admission_runs(monkeypatch)
    mine = network.sign(alice, "notary", "notarize", {"name": "race", "sha256": "ab" * 32})
    peer.simulate(mine.tx, now_ms=network.clock())  # the name is free now...
    assert network.notarize(bob, "race").valid  # ...until bob's block commits
    with pytest.raises(TxNotEndorsed, match="already notarized"):
        network.node.orderer.submit(mine)
    assert runs.count(mine.tx_id) == 2
    # A simulation in another thread is not this thread's: admission runs the contract.
    other = network.sign(alice, "notary", "notarize", {"name": "elsewhere", "sha256": "ab" * 32})
    thread = threading.Thread(
        target=peer.simulate, args=(other.tx,), kwargs={"now_ms": network.clock()}
    )
    thread.start()
    thread.join()
    assert network.node.orderer.submit(other).result(timeout=30).valid
    assert runs.count(other.tx_id) == 2


def test_auditor_cannot_write_anything(network: Network) -> None:
    auditor = network.participant("audrey", Role.AUDITOR)
    with pytest.raises(TxRejected, match="auditors only read the ledger") as error:
        network.notarize(auditor)
    assert error.value.code == "tx.auditor_cannot_write"


def test_only_an_org_admin_revokes(network: Network) -> None:
    alice = network.participant("alice")
    outsider = network.participant("eve")
    result = network.submit(
        alice, "membership", "revoke", {"cert_sha256": outsider.cert_sha256, "reason": "x"}
    )
    assert not result.valid and result.code == "contract.not_permitted"
    assert "only an org admin of Org1 may do this" in (result.message or "")


def test_revoked_certificate_later_txs_are_refused_earlier_stay_valid(network: Network) -> None:
    alice = network.participant("alice")
    before = network.notarize(alice)
    revoked = network.submit(
        network.admin,
        "membership",
        "revoke",
        {"cert_sha256": alice.cert_sha256, "reason": "laptop stolen"},
    )
    assert revoked.valid
    with pytest.raises(TxRejected, match="revoked") as error:
        network.notarize(alice)
    assert error.value.code == "tx.revoked_certificate"
    stored = network.node.peer.store.tx(before.tx_id)
    assert stored is not None and stored.valid


def test_revocation_inside_the_same_block_invalidates_later_txs(network: Network) -> None:
    """Admission passes both, but execution applies the revocation first."""
    alice = network.participant("alice")
    peer = network.node.peer
    from tests.common.network import PASSPHRASE
    from tetherai.ordering.solo import cut_block
    from tetherai.services.network import load_node_key

    revoke = network.sign(
        network.admin, "membership", "revoke", {"cert_sha256": alice.cert_sha256, "reason": "gone"}
    )
    late = network.sign(alice, "notary", "notarize", {"name": "late", "sha256": "11" * 32})
    network.node.orderer.close()
    key = load_node_key(network.home, network.home.config()["orderer"], PASSPHRASE)
    results = peer.commit(cut_block(peer, [revoke, late], key, network.clock()))
    assert results[0].valid
    assert not results[1].valid and results[1].code == "tx.revoked_certificate"


def test_unknown_certificate_is_rejected(network: Network) -> None:
    from tetherai.crypto.signature import generate_private_key
    from tetherai.ledger.transaction import new_nonce

    stranger = Creator("Org1", "mallory", "cd" * 32)
    tx = Transaction(
        "main",
        "notary",
        "notarize",
        {"name": "x", "sha256": "00" * 32},
        stranger,
        new_nonce(),
        network.clock(),
    )
    with pytest.raises(TxRejected, match="not enrolled") as error:
        network.node.orderer.submit(sign_transaction(tx, generate_private_key()))
    assert error.value.code == "tx.unknown_certificate"


def test_signature_by_another_key_is_rejected(network: Network) -> None:
    from tetherai.crypto.signature import generate_private_key

    alice = network.participant("alice")
    envelope = network.sign(alice, "notary", "notarize", {"name": "x", "sha256": "00" * 32})
    forged = sign_transaction(envelope.tx, generate_private_key())
    with pytest.raises(TxRejected, match="signature does not verify") as error:
        network.node.orderer.submit(forged)
    assert error.value.code == "tx.bad_signature"


def test_creator_claiming_someone_elses_certificate_is_rejected(network: Network) -> None:
    alice = network.participant("alice")
    bob = network.participant("bob")
    tx = network.sign(alice, "notary", "notarize", {"name": "x", "sha256": "00" * 32}).tx
    claimed = Transaction(
        tx.channel,
        tx.contract,
        tx.fn,
        tx.args,
        Creator("Org1", "bob", alice.cert_sha256),
        tx.nonce,
        tx.ts,
    )
    with pytest.raises(TxRejected, match="belongs to alice@Org1"):
        network.node.orderer.submit(sign_transaction(claimed, bob.private_key))


@pytest.mark.parametrize(
    ("contract", "fn", "args", "code"),
    [
        ("nope", "notarize", {}, "tx.unknown_contract"),
        ("notary", "nope", {}, "tx.unknown_function"),
        ("notary", "lookup", {"name": "x"}, "tx.unknown_function"),  # a query is not a tx function
        ("notary", "notarize", {"name": "x"}, "tx.bad_args"),
        ("notary", "notarize", {"name": "x", "sha256": "0" * 64, "colour": "red"}, "tx.bad_args"),
        ("notary", "notarize", {"name": 5, "sha256": "0" * 64}, "tx.bad_args"),
    ],
)
def test_unknown_contract_function_or_bad_args_is_rejected(
    network: Network, contract: str, fn: str, args: dict[str, object], code: str
) -> None:
    alice = network.participant("alice")
    with pytest.raises(TxRejected) as error:
        network.node.orderer.submit(network.sign(alice, contract, fn, args))
    assert error.value.code == code
    assert error.value.message


def test_replayed_envelope_is_rejected_and_not_stored_twice(network: Network) -> None:
    alice = network.participant("alice")
    envelope = network.sign(alice, "notary", "notarize", {"name": "x", "sha256": "00" * 32})
    assert network.node.orderer.submit(envelope).result().valid
    count = network.node.peer.store.tx_count
    with pytest.raises(TxRejected, match="already on the ledger") as error:
        network.node.orderer.submit(envelope)
    assert error.value.code == "tx.replayed"
    assert network.node.peer.store.tx_count == count


def test_replay_inside_one_block_is_marked_invalid(network: Network) -> None:
    from tests.common.network import PASSPHRASE
    from tetherai.ordering.solo import cut_block
    from tetherai.services.network import load_node_key

    alice = network.participant("alice")
    envelope = network.sign(alice, "notary", "notarize", {"name": "x", "sha256": "00" * 32})
    network.node.orderer.close()
    key = load_node_key(network.home, network.home.config()["orderer"], PASSPHRASE)
    peer = network.node.peer
    results = peer.commit(cut_block(peer, [envelope, envelope], key, network.clock()))
    assert results[0].valid and not results[1].valid and results[1].code == "tx.replayed"


@pytest.mark.parametrize("offset_ms", [10 * 60 * 1000, -10 * 60 * 1000])
def test_timestamp_far_from_the_orderers_clock_is_rejected(
    network: Network, offset_ms: int
) -> None:
    alice = network.participant("alice")
    envelope = alice.sign(
        "main",
        "notary",
        "notarize",
        {"name": "x", "sha256": "00" * 32},
        network.clock() + offset_ms,
    )
    with pytest.raises(TxRejected, match="from the orderer's clock") as error:
        network.node.orderer.submit(envelope)
    assert error.value.code == "tx.clock_skew"


def test_wrong_channel_is_rejected(network: Network) -> None:
    alice = network.participant("alice")
    envelope = alice.sign(
        "other", "notary", "notarize", {"name": "x", "sha256": "00" * 32}, network.clock()
    )
    with pytest.raises(TxRejected, match="channel 'other'"):
        network.node.orderer.submit(envelope)


def test_rejections_leave_the_store_unchanged(network: Network) -> None:
    alice = network.participant("alice")
    store = network.node.peer.store
    before = (store.height, store.tx_count, list(store.state_rows()))
    for envelope in (
        alice.sign("main", "nope", "x", {}, network.clock()),
        alice.sign("main", "notary", "notarize", {}, network.clock() + 3_600_000),
    ):
        with pytest.raises(TxRejected):
            network.node.orderer.submit(envelope)
    assert (store.height, store.tx_count, list(store.state_rows())) == before


def test_a_contract_cannot_write_outside_its_namespace(network: Network) -> None:
    from tetherai.ledger.contract import Context, Contract, transaction

    class Sneaky(Contract):
        name = "sneaky"

        @transaction
        def grab(self, ctx: Context) -> None:
            ctx.state.put("membership/channel", {"owned": True})

    from tetherai.ledger.contract import ContractStateView
    from tetherai.ledger.errors import ContractError
    from tetherai.ledger.state import MemoryState

    view = ContractStateView(MemoryState(), Sneaky.name)
    with pytest.raises(ContractError, match="may only write keys under 'sneaky/'"):
        Sneaky().grab(Context("t", None, 1, 1, view))  # type: ignore[arg-type]


def test_queries_read_current_state(network: Network) -> None:
    alice = network.participant("alice")
    network.notarize(alice, "doc")
    found = network.node.peer.query("notary", "lookup", {"name": "doc"})
    assert isinstance(found, dict) and found["by"] == "alice@Org1"
    participant = network.node.peer.query(
        "membership", "participant", {"org": "Org1", "id": "alice"}
    )
    assert isinstance(participant, dict) and participant["role"] == "ai_engineer"
