"""The verifier's state reads: the store's verified history, a query only when needed."""

from __future__ import annotations

import pytest

from tests.common.lifecycle import Cast
from tetherai.ledger import verified_state
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.verified_state import VerifiedHistory


@pytest.fixture
def queried(monkeypatch: pytest.MonkeyPatch) -> tuple[SqliteLedgerStore, list[str]]:
    store = SqliteLedgerStore(":memory:")
    calls: list[str] = []
    original = store.value_before

    def value_before(key: str, below: int) -> str | None:
        calls.append(key)
        return original(key, below)

    monkeypatch.setattr(store, "value_before", value_before)
    return store, calls


def test_a_key_no_verified_tx_wrote_reads_as_none_without_a_query(
    queried: tuple[SqliteLedgerStore, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, calls = queried
    monkeypatch.setattr(verified_state, "CACHE_ENTRIES", 1)
    history = VerifiedHistory(store)
    assert history.get("notary/new") is None
    assert history.get("notary/\ud800") is None  # a key no write could hold
    assert calls == []
    history.advance(3, {"notary/a": {"n": 1}, "notary/b": None})
    assert history.get("notary/b") is None  # the last write, still cached
    assert calls == []
    # Out of the cache, a key that was written is read from the store's history.
    assert history.get("notary/a") is None  # (this store holds no rows)
    assert calls == ["notary/a"]


def test_resuming_after_a_checkpoint_always_asks_the_store(
    queried: tuple[SqliteLedgerStore, list[str]],
) -> None:
    store, calls = queried
    history = VerifiedHistory(store, verified_below=10)
    assert history.get("notary/old") is None
    assert calls == ["notary/old"]


def test_the_keys_of_a_prefix_are_those_a_scan_reads_from_the_store_and_its_history(
    cast: Cast,
) -> None:
    # A deleted key too: a notarized name withdrawn.
    cast.ok("author", "notary", "notarize", name="gone", sha256="ab" * 32)
    cast.ok("author", "notary", "withdraw", name="gone")
    cast.ok("author", "notary", "notarize", name="kept", sha256="cd" * 32)
    store = cast.net.node.peer.store
    reader = store.reader()
    history = VerifiedHistory(store, verified_below=store.tx_count)
    for prefix in ("", "project/", f"project/{cast.project}/member/", "notary/", "nope/"):
        for state in (reader, history):
            keys = list(state.keys(prefix))
            assert keys == [key for key, _ in state.scan(prefix)], (state, prefix)
    assert list(reader.keys("notary/")) == ["notary/kept"]
    assert len(list(reader.keys(f"project/{cast.project}/member/"))) == 8
