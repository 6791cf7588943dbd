"""The ledger explorer over HTTP."""

from __future__ import annotations

import re

from tests.common.lifecycle import Cast
from tests.common.short_ids import Call, sharing_prefix
from tests.unit.web.conftest import SignIn


def test_blocks_are_listed_newest_first_and_paged(sign_in: SignIn, cast: Cast) -> None:
    for n in range(25):
        cast.net.notarize(cast["admin"], f"doc {n}")
    http = sign_in("admin")
    page = http.get("/ledger")
    assert page.status_code == 200, page.text
    numbers = [int(n) for n in re.findall(r'<tr data-block="(\d+)">', page.text)]
    height = cast.net.node.peer.head.height
    assert numbers == list(range(height - 1, height - 21, -1))
    older = http.get(f"/ledger?before={numbers[-1]}")
    more = [int(n) for n in re.findall(r'<tr data-block="(\d+)">', older.text)]
    assert more[0] == numbers[-1] - 1


def test_a_block_shows_valid_and_invalid_txs_with_the_reason(sign_in: SignIn, cast: Cast) -> None:
    cast.new_version("v1")
    refused = cast.call("mlops", "model_version", "submit", project=cast.project, version="v1")
    assert not refused.valid
    tx = cast.net.node.peer.store.reader().tx(refused.tx_id)
    assert tx is not None
    http = sign_in("author")
    page = http.get(f"/ledger/blocks/{tx.block}")
    assert page.status_code == 200
    row = re.search(rf'<tr data-tx="{refused.tx_id}" class="invalid">(.*?)</tr>', page.text, re.S)
    assert row and refused.code in row.group(1) and "invalid" in row.group(1)
    assert http.get("/ledger/blocks/999999").status_code == 404


def test_a_tx_page_shows_the_call_signer_writes_and_a_prove_button(
    sign_in: SignIn, cast: Cast
) -> None:
    created = cast.call(
        "author",
        "model_version",
        "create",
        project=cast.project,
        version="v1",
        code_repo="https://git.example/credit",
        commit="c1",
    )
    http = sign_in("mlops")
    page = http.get(f"/ledger/txs/{created.tx_id}")
    assert page.status_code == 200, page.text
    assert "model_version.create" in page.text and "alice" in page.text
    assert f"workflow/{cast.project}/v1" in page.text
    assert f'class="prove small" data-tx="{created.tx_id}"' in page.text
    stranger = sign_in("outsider")
    assert stranger.get(f"/ledger/txs/{created.tx_id}").status_code == 404
    assert http.get("/ledger/txs/not-a-tx").status_code == 422


def test_checkpoints_show_verified_signatures(sign_in: SignIn, cast: Cast) -> None:
    for n in range(12):
        cast.net.notarize(cast["admin"], f"doc {n}")
    page = sign_in("auditor").get("/ledger/checkpoints")
    blocks = [int(b) for b in re.findall(r'class="panel checkpoint" data-block="(\d+)"', page.text)]
    last = cast.net.node.peer.head.height - 1
    assert blocks == list(range(last, last - 10, -1))  # the ten newest, newest first
    assert page.status_code == 200, page.text
    states = re.findall(r'<tr data-signer="[^"]+" data-state="([a-z]+)">', page.text)
    assert states and set(states) == {"verified"}
    assert "orderer signature" in page.text and "peer cosignature" in page.text
    assert "tetherai/main" in page.text


def test_find_a_tx_by_its_id(sign_in: SignIn, cast: Cast) -> None:
    created = cast.call("author", "project", "create", name="Another")
    http = sign_in("author")
    found = http.get("/ledger/txs", params={"tx": f"  {created.tx_id.upper()} "})
    assert found.status_code == 303 and found.headers["location"] == f"/ledger/txs/{created.tx_id}"
    bad = http.get("/ledger/txs", params={"tx": "1234"})
    assert bad.status_code == 422 and "at least its first 8 characters" in bad.text
    assert http.get(f"/ledger/txs/{'0' * 64}").status_code == 404
    # A unique start of 8 or more hex digits leads to the tx too.
    short = http.get("/ledger/txs", params={"tx": created.tx_id[:8]})
    assert short.status_code == 303 and short.headers["location"] == f"/ledger/txs/{created.tx_id}"
    missing = http.get("/ledger/txs", params={"tx": _absent_prefix(cast)})
    assert missing.status_code == 404 and "No tx on this ledger starts with" in missing.text
    assert "tether ledger" not in missing.text  # no command-line hints on a page


def _absent_prefix(cast: Cast) -> str:
    ids = cast.net.node.peer.store.tx_ids_starting_with("", 10**6)
    return next(
        p for p in (f"{n:08x}" for n in range(10**6)) if not any(i.startswith(p) for i in ids)
    )


def test_a_short_id_matching_several_txs_lists_only_those_the_person_may_read(
    sign_in: SignIn, cast: Cast
) -> None:
    """Two of the author's txs share their first 8 hex digits: the short id lists both. A tx
    about a project the author may not read shares them with a third: the author's short id
    leads straight to the author's tx, as if the other did not exist (the org admin, who may
    read both, gets both)."""
    theirs = cast.ok("admin", "project", "create", name="Board only")["project"]
    net = cast.net
    note = Call(cast["author"], "notary", "notarize", {"name": "short ids", "sha256": "ab" * 32})
    hidden = Call(
        cast["outsider"],
        "project",
        "set_factsheet",
        {"project": theirs, "factsheet": {"purpose": "x"}},
    )
    (a1, a2), (a3, h1) = sharing_prefix([note, hidden], [(0, 0), (0, 1)], net.channel, net.clock())
    for envelope in (a1, a2, a3, h1):
        net.node.orderer.submit(envelope).result(timeout=30)
    author = sign_in("author")
    listed = author.get("/ledger/txs", params={"tx": a1.tx_id[:8]})
    assert listed.status_code == 200
    rows = re.findall(r'<tr data-tx="([0-9a-f]{64})">', listed.text)
    assert sorted(rows) == sorted([a1.tx_id, a2.tx_id])
    assert "notarized a digest" in listed.text
    unique = author.get("/ledger/txs", params={"tx": a3.tx_id[:8]})
    assert unique.status_code == 303 and unique.headers["location"] == f"/ledger/txs/{a3.tx_id}"
    admin = sign_in("admin")
    both = admin.get("/ledger/txs", params={"tx": h1.tx_id[:8]})
    assert both.status_code == 200 and h1.tx_id in both.text and a3.tx_id in both.text
    assert author.get(f"/ledger/txs/{h1.tx_id}").status_code == 404
