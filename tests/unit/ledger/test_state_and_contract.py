"""World state overlays, the contract interface and tlog-proof parsing, without a network."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tetherai.ledger.contract import (
    Context,
    Contract,
    ContractRegistry,
    ContractStateView,
    QueryContext,
    query,
    transaction,
)
from tetherai.ledger.errors import ContractError, ProofError, TxInvalid
from tetherai.ledger.state import BlockState, CachedReads, MemoryState, StateReader
from tetherai.ledger.tlog_proof import TlogProof, format_tlog_proof, parse_tlog_proof


def test_memory_state_scans_in_key_order_and_forgets_deletes() -> None:
    state = MemoryState()
    state.apply({"b/2": 2, "a/1": 1, "b/1": 1, "c": 3})
    assert list(state.scan("b/")) == [("b/1", 1), ("b/2", 2)]
    state.apply({"b/1": None, "zzz": None})
    assert list(state.scan("b/")) == [("b/2", 2)]
    assert list(state.items()) == [("a/1", 1), ("b/2", 2), ("c", 3)]
    assert len(state) == 3 and state.get("b/1") is None


def test_block_state_overlays_writes_and_deletes_on_its_base() -> None:
    base = MemoryState()
    base.apply({"k/1": 1, "k/2": 2})
    overlay = BlockState(base)
    assert list(overlay.scan("k/")) == [("k/1", 1), ("k/2", 2)]
    overlay.apply({"k/3": 3, "k/1": None})
    assert overlay.get("k/1") is None and overlay.get("k/3") == 3 and overlay.get("k/2") == 2
    assert list(overlay.scan("k/")) == [("k/2", 2), ("k/3", 3)]
    assert base.get("k/1") == 1  # the base is untouched until the block commits


_KEYS = st.sampled_from(["a", "a/", "a/1", "a/1/x", "a/2", "ab", "b/1", "b/1/y", "c"])
_WRITES = st.dictionaries(_KEYS, st.one_of(st.none(), st.integers(0, 3)), max_size=8)


def _keys_agree(state: StateReader) -> None:
    for prefix in ("", "a", "a/", "a/1", "a/1/", "b/", "z"):
        assert list(state.keys(prefix)) == [key for key, _ in state.scan(prefix)], prefix


@given(base=_WRITES, block=_WRITES, later=_WRITES)
def test_keys_are_the_keys_a_scan_gives_on_every_overlay(
    base: dict[str, int | None], block: dict[str, int | None], later: dict[str, int | None]
) -> None:
    state = MemoryState()
    state.apply(base)
    overlay = BlockState(state)
    overlay.apply(block)  # new keys and deletes over the base
    for reader in (state, overlay, CachedReads(overlay)):
        _keys_agree(reader)
    state.apply(later)  # the base changes under the overlay
    _keys_agree(overlay)


def test_contract_view_writes_only_its_namespace_and_no_nulls() -> None:
    view = ContractStateView(MemoryState(), "notes")
    view.put("notes/a", {"x": 1})
    view.delete("notes/b")
    assert view.writes == {"notes/a": {"x": 1}, "notes/b": None}
    with pytest.raises(ContractError, match="cannot be null"):
        view.put("notes/c", None)
    with pytest.raises(ContractError, match="only write keys under 'notes/'"):
        view.delete("other/a")
    with pytest.raises(ContractError):
        view.put("notes/" + "x" * 600, 1)


class Typed(Contract):
    name = "typed"
    version = "2"

    @transaction
    def call(
        self,
        ctx: Context,
        count: int,
        ratio: float,
        label: str,
        flag: bool,
        items: list[int],
        mapping: dict[str, int],
        maybe: str | None = None,
    ) -> int:
        return count

    @query
    def peek(self, ctx: QueryContext, key: str) -> str:
        return key


GOOD: dict[str, Any] = {
    "count": 1,
    "ratio": 1,
    "label": "x",
    "flag": True,
    "items": [],
    "mapping": {},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"count": True}, "'count' must be an integer"),
        ({"count": 1.5}, "'count' must be an integer"),
        ({"ratio": "1"}, "'ratio' must be a number"),
        ({"label": 3}, "'label' must be a string"),
        ({"flag": 1}, "'flag' must be true or false"),
        ({"items": {}}, "'items' must be a list"),
        ({"mapping": []}, "'mapping' must be an object"),
        ({"maybe": 3}, "'maybe' must be a string or null"),
    ],
)
def test_arguments_are_checked_against_annotations(change: dict[str, Any], message: str) -> None:
    function = ContractRegistry([Typed()]).function("typed", "2", "call", "transaction")
    assert function.bind(GOOD) == GOOD
    assert function.bind(GOOD | {"maybe": None}) == GOOD | {"maybe": None}
    with pytest.raises(TxInvalid, match=message) as error:
        function.bind(GOOD | change)
    assert error.value.code == "tx.bad_args"


def test_registry_names_what_is_missing() -> None:
    registry = ContractRegistry([Typed()])
    assert registry.versions() == {"typed": ["2"]}
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(Typed())
    with pytest.raises(TxInvalid, match="not installed here") as error:
        registry.function("typed", "3", "call", "transaction")
    assert error.value.code == "tx.contract_not_installed"
    with pytest.raises(TxInvalid, match="unknown contract"):
        registry.function("typed", None, "call", "transaction")
    with pytest.raises(TxInvalid, match="no query function 'call'"):
        registry.function("typed", "2", "call", "query")
    assert registry.function("typed", "2", "peek", "query").method(None, key="k") == "k"


PROOF = TlogProof(
    index=3,
    hashes=(b"\x01" * 32, b"\x02" * 32),
    checkpoint_note="o\n1\nAA==\n\n— x y\n",
    extra=b"leaf",
)


def test_tlog_proof_text_roundtrip() -> None:
    text = format_tlog_proof(PROOF)
    assert text.startswith("c2sp.org/tlog-proof@v1\nextra bGVhZg==\nindex 3\n")
    assert parse_tlog_proof(text) == PROOF
    without_extra = TlogProof(1, (), "o\n1\nAA==\n\n— x y\n")
    assert parse_tlog_proof(format_tlog_proof(without_extra)) == without_extra


@pytest.mark.parametrize(
    "text",
    [
        "nonsense",
        "c2sp.org/tlog-proof@v1\nindex 1\n",  # no blank line before the checkpoint
        "c2sp.org/tlog-proof@v1\nnot-index 1\n\nnote",
        "c2sp.org/tlog-proof@v1\nindex x\n\nnote",
        "c2sp.org/tlog-proof@v1\nindex -1\n\nnote",
        "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nnote",  # a hash that is not 32 bytes
        "c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\nnote",
    ],
)
def test_malformed_tlog_proofs_are_refused(text: str) -> None:
    with pytest.raises(ProofError):
        parse_tlog_proof(text)


def test_a_proof_without_its_leaf_cannot_be_verified() -> None:
    with pytest.raises(ProofError, match="no leaf data"):
        TlogProof(0, (), "x\n").verify([], origin="tetherai/main")


@pytest.mark.parametrize(
    "annotation",
    [
        Any,
        object,
        int,
        float,
        str,
        bool,
        list,
        dict,
        None,
        type(None),
        list[str],
        dict[str, Any],
        int | None,
        str | int,
        float | None,
        int | list[int] | None,
        Literal["a"],
        Union[str, Any],  # noqa: UP007 - the typing spelling, as older contracts may write it
        Optional[int],  # noqa: UP045 - likewise
        bytes,
    ],
)
def test_argument_types_worked_out_once_accept_what_the_annotation_accepts(
    annotation: Any,
) -> None:
    """bind checks argument types from a table made at registration; it must agree with the
    annotation check for every kind of annotation contracts use."""
    from tetherai.ledger.contract import _allowed_types, _conforms

    allowed = _allowed_types(annotation)
    for value in (None, True, False, 0, 7, 1.5, "", "x", [], [1], {}, {"a": 1}):
        assert (allowed is None or type(value) in allowed) == _conforms(value, annotation), value
