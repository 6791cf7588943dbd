"""A bounded load test: 20 concurrent users sharing 600 requests of the realistic mix against
the real server; not one error, and every acknowledged write is on the ledger.

No timing assertions: the figures belong to ``benchmarks/load.py`` (100 users, 60 s, wrk).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.common.lifecycle import Cast, make_cast
from tests.common.load import prepare, run_users
from tests.common.network import PASSPHRASE, make_network
from tests.common.server import serve
from tests.unit.api.conftest import FAST_ARGON2
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.server import create_web_app
from tetherai.services.settings import Settings

pytestmark = pytest.mark.integration

USERS = 20
CALLS = 600


@pytest.fixture
def cast(tmp_path: Path) -> Iterator[Cast]:
    net = make_network(tmp_path, max_wait=0.005)
    try:
        yield make_cast(net)
    finally:
        net.close()


def test_twenty_concurrent_users_without_an_error(cast: Cast, tmp_path: Path) -> None:
    settings = Settings(
        home=cast.net.home.root,
        database_url=f"sqlite:///{tmp_path / 'service.sqlite'}",
        secret_key=b"l" * 32,
        passphrase=PASSPHRASE,
    )
    app = create_web_app(settings, node=cast.net.node, argon2=FAST_ARGON2)  # API + pages
    with serve(app) as http:
        plan = prepare(app, http, cast, envelopes=400)
        tally = run_users(str(http.base_url), plan, users=USERS, calls=CALLS)
    print(tally.sent, tally.statuses)
    assert not tally.failures, "\n".join(tally.failures[:20])
    kinds = set(tally.sent)
    assert {"version", "proof", "ledger", "page version", "page dashboard"} <= kinds
    assert {"session comment", "envelope comment"} <= kinds
    assert {"envelope version"} <= kinds
    assert sum(tally.sent.values()) == CALLS
    # Every write the server acknowledged is on the ledger.
    ledger = SqliteLedgerStore(cast.net.node.peer.store.path, readonly=True)
    try:
        assert ledger.known_tx_ids(tally.tx_ids) == set(tally.tx_ids)
    finally:
        ledger.close()
