"""A version's history and comments read a page at a time: the pages together are the whole,
each page reads a fixed number of rows and statements however many came before, the counts
are of everything, and a cursor never reaches past the version it pages."""

from __future__ import annotations

from dataclasses import replace

from tests.common.lifecycle import Cast
from tests.unit.services.test_history_reads import comment, statements
from tetherai.services import history as history_module
from tetherai.services.history import (
    history_page,
    history_total,
    lifecycle_history,
    project_history,
    project_roots,
    version_history,
    version_roots,
)
from tetherai.services.reviews import reviews_page
from tetherai.web.version_view import lifecycle


def test_history_pages_oldest_first_make_the_whole_history(cast: Cast) -> None:
    store = cast.net.node.peer.store
    version = cast.new_version()
    cast.walk(version, "reviewing")
    comment(cast, version, 5)
    whole = version_history(store, cast.project, version)
    roots = version_roots(cast.project, version)
    first = history_page(store, roots, limit=3)
    assert first.entries == whole[:3]
    assert first.total == len(whole) == history_total(store, roots) == 8
    assert first.next == whole[2].seq
    second = history_page(store, roots, after=first.next, limit=3)
    assert second.entries == whole[3:6]
    last = history_page(store, roots, after=second.next, limit=3)
    assert last.entries == whole[6:]
    assert last.next is None
    # A page that ends exactly at the last entry says so too.
    assert history_page(store, roots, after=second.next, limit=2).next is None
    assert history_page(store, roots, after=whole[-1].seq, limit=3).entries == []


def test_a_history_page_does_not_grow_with_the_entries_before_it(cast: Cast) -> None:
    store = cast.net.node.peer.store
    few, many = cast.new_version(), cast.new_version()
    comment(cast, few, 2)
    comment(cast, many, 40)
    for name in (few, many):
        history_page(store, version_roots(cast.project, name), limit=3)  # remembered facts
    short = statements(
        store, lambda: history_page(store, version_roots(cast.project, few), limit=3)
    )
    long = statements(
        store, lambda: history_page(store, version_roots(cast.project, many), limit=3)
    )
    assert long == short


def test_the_project_history_pages_too(cast: Cast) -> None:
    store = cast.net.node.peer.store
    whole = project_history(store, cast.project)
    page = history_page(store, project_roots(cast.project), limit=1)
    assert page.entries == whole[:1]
    assert page.total == len(whole)


def test_a_history_cursor_reads_only_under_its_roots(cast: Cast) -> None:
    store = cast.net.node.peer.store
    mine, other = cast.new_version(), cast.new_version()
    comment(cast, other, 3)
    comment(cast, mine, 1)
    roots = version_roots(cast.project, mine)
    whole = version_history(store, cast.project, mine)
    # Any position, one inside the other version's history too, reads only this version's.
    for cursor in (0, whole[0].seq, store.tx_count - 2, 2**63 - 1):
        page = history_page(store, roots, after=cursor, limit=50)
        assert {entry.seq for entry in page.entries} <= {entry.seq for entry in whole}
        assert page.total == len(whole)


def test_the_life_cycle_is_read_without_the_comments(cast: Cast) -> None:
    store = cast.net.node.peer.store
    version = cast.new_version()
    cast.walk(version, "review_passed")
    comment(cast, version, 3)
    from_everything = lifecycle(
        [e.to_json() for e in version_history(store, cast.project, version)]
    )
    steps = lifecycle([e.to_json() for e in lifecycle_history(store, cast.project, version)])
    assert [s["tx_id"] for s in steps.steps] == [s["tx_id"] for s in from_everything.steps]
    assert steps.review is not None and from_everything.review is not None
    assert steps.review["tx_id"] == from_everything.review["tx_id"]
    assert [s["status_after"] for s in steps.steps if s["status_after"]][-1] == "review_passed"
    assert len(lifecycle_history(store, cast.project, version)) < len(
        version_history(store, cast.project, version)
    )


def test_comments_page_newest_first_with_a_count(cast: Cast) -> None:
    store = cast.net.node.peer.store
    version = cast.new_version()
    comment(cast, version, 5)
    cast.ok("mlops", "review", "rate", project=cast.project, version=version, stars=4)
    whole = cast.query("review", "reviews", project=cast.project, version=version)
    texts = [f"c{n}" for n in range(5)]
    first = reviews_page(store, cast.project, version, limit=2)
    assert [c["text"] for c in first.comments] == ["c4", "c3"]
    assert first.comment_count == 5
    assert first.records == {k: v for k, v in whole.items() if k != "comment"}
    assert "rating" in first.records
    second = reviews_page(store, cast.project, version, before=first.next, limit=2)
    assert [c["text"] for c in second.comments] == ["c2", "c1"]
    last = reviews_page(store, cast.project, version, before=second.next, limit=2)
    assert [c["text"] for c in last.comments] == ["c0"]
    assert last.next is None
    assert reviews_page(store, cast.project, version, before=second.next, limit=1).next is None
    everything = reviews_page(store, cast.project, version, limit=50)
    assert sorted(c["text"] for c in everything.comments) == texts
    assert sorted(map(str, everything.comments)) == sorted(map(str, whole["comment"]))
    body = everything.to_json()
    assert body["counts"] == {"comment": 5, "rating": 1}
    assert body["next"] is None


def test_a_comments_page_does_not_grow_with_older_comments(cast: Cast) -> None:
    store = cast.net.node.peer.store
    few, many = cast.new_version(), cast.new_version()
    comment(cast, few, 3)
    comment(cast, many, 30)
    short = statements(store, lambda: reviews_page(store, cast.project, few, limit=2))
    long = statements(store, lambda: reviews_page(store, cast.project, many, limit=2))
    assert long == short
    assert len(reviews_page(store, cast.project, many, limit=2).comments) == 2


def test_a_kept_comments_page_is_what_a_fresh_read_gives(cast: Cast) -> None:
    """The newest comments and their count are kept and brought up to date from the log's
    writes since; as comments come (and others' elsewhere) they stay what reading every
    comment of the version afresh gives, and the update reads the log's new rows only."""
    store = cast.net.node.peer.store.reader()
    mine, other = cast.new_version(), cast.new_version()

    def fresh() -> tuple[list[str], int]:
        prefix = f"review/{cast.project}/{mine}/comment/"
        newest = store.newest_under(prefix, limit=3)
        return [k for k, _, _ in newest], store.count_under(prefix)

    def kept() -> tuple[list[str], int]:
        page = reviews_page(store, cast.project, mine, limit=2)
        return [f"review/{cast.project}/{mine}/comment/{c['id']}" for c in page.comments], (
            page.comment_count
        )

    assert kept() == ([], 0) == fresh()
    for round in range(4):
        comment(cast, mine, round)  # none at first
        comment(cast, other, 2)
        if round == 2:
            first = reviews_page(store, cast.project, mine, limit=2).comments[0]
            cast.ok(
                "mlops", "review", "comment", project=cast.project, version=mine,
                text="a reply", reply_to=first["id"],
            )  # fmt: skip
        seen: list[str] = []
        store._db.set_trace_callback(seen.append)
        try:
            shown, count = kept()
        finally:
            store._db.set_trace_callback(None)
        newest, total = fresh()
        assert (shown, count) == (newest[:2], total)
        for sql in seen:
            if "FROM state" in sql and "ORDER BY seq DESC" in sql:
                raise AssertionError(f"read every comment afresh: {sql}")
    assert count == 0 + 1 + 2 + 3 + 1


def test_a_comments_cursor_reads_only_this_version(cast: Cast) -> None:
    store = cast.net.node.peer.store
    mine, other = cast.new_version(), cast.new_version()
    comment(cast, mine, 1)
    comment(cast, other, 3)
    theirs = reviews_page(store, cast.project, other, limit=1)
    assert theirs.next is not None
    for cursor in (theirs.next, store.tx_count, 2**63 - 1, 0):
        page = reviews_page(store, cast.project, mine, before=cursor, limit=50)
        assert all(c["text"] == "c0" for c in page.comments)
        assert page.comment_count == 1


def test_a_history_page_reads_its_roots_rows_not_the_log(cast: Cast) -> None:
    """SQLite would rather walk the log's seq index from the cursor on (every tx of the
    ledger after it); the page's queries read the rows under its roots by key, and the log's
    index only at the page's own positions."""
    store = cast.net.node.peer.store
    version = cast.new_version()
    comment(cast, version, 3)
    seen: list[str] = []
    store._db.set_trace_callback(seen.append)
    try:
        page = history_page(store, version_roots(cast.project, version), after=0, limit=2)
    finally:
        store._db.set_trace_callback(None)
    assert page.entries
    reads = [sql for sql in seen if sql.lstrip().upper().startswith("SELECT") and "history" in sql]
    assert reads
    for sql in reads:
        plan = " ".join(str(row) for row in store._db.execute("EXPLAIN QUERY PLAN " + sql))
        log_walk = "history_by_seq" in plan and "history_by_seq (seq=?)" not in plan
        assert not log_walk or "MAX" in sql.upper(), (sql, plan)


def test_a_kept_history_count_reads_only_what_came_since(cast: Cast) -> None:
    store = cast.net.node.peer.store
    version = cast.new_version()
    roots = version_roots(cast.project, version)
    comment(cast, version, 30)
    assert history_total(store, roots) == 31  # the registration and its comments
    comment(cast, version, 2)
    other = cast.new_version()
    comment(cast, other, 3)  # not under these roots
    seen: list[str] = []
    store._db.set_trace_callback(seen.append)
    try:
        assert history_total(store, roots) == 33
    finally:
        store._db.set_trace_callback(None)
    assert store.count_positions_under(roots)[0] == 33  # counted afresh: the same
    (count,) = [sql for sql in seen if "COUNT(" in sql.upper()]
    plan = " ".join(str(row) for row in store._db.execute("EXPLAIN QUERY PLAN " + count))
    assert "history_by_seq (seq>?)" in plan, plan  # the txs since, not the version's 33 rows


def test_kept_history_counts_and_pages_are_never_another_ledgers(cast: Cast) -> None:
    """What is kept is keyed by the ledger's file, and used only while the tx at its last
    position is the same: a ledger made again at the same path is counted afresh."""
    store = cast.net.node.peer.store
    version = cast.new_version()
    roots = version_roots(cast.project, version)
    comment(cast, version, 4)
    assert history_total(store, roots) == 5
    assert [e.seq for e in history_page(store, roots, limit=2).entries]
    # As if this path now held a ledger with other txs:
    totals, pages = history_module._TOTALS, history_module._PAGES
    for key, counted in list(totals.items()):
        if key[0] == store.path:
            totals[key] = replace(counted, tx_id="another ledger's tx", count=99)
    for page_key, (positions, _) in list(pages.items()):
        if page_key[0] == store.path:
            pages[page_key] = ([seq + 1000 for seq in positions], "another ledger's tx")
    assert history_total(store, roots) == 5
    page = history_page(store, roots, limit=2)
    assert page.total == 5 and len(page.entries) == 2


def test_the_last_history_page_shows_what_comes_after_it(cast: Cast) -> None:
    store = cast.net.node.peer.store
    version = cast.new_version()
    roots = version_roots(cast.project, version)
    comment(cast, version, 2)
    first = history_page(store, roots, limit=2)
    last = history_page(store, roots, after=first.next, limit=2)
    assert len(last.entries) == 1 and last.next is None
    comment(cast, version, 2)
    assert history_page(store, roots, limit=2).entries == first.entries  # kept, unchanged
    grown = history_page(store, roots, after=first.next, limit=2)
    assert len(grown.entries) == 2 and grown.next is not None and grown.total == 5


def test_a_readers_snapshot_sees_one_state_of_the_ledger(cast: Cast) -> None:
    store = cast.net.node.peer.store.reader()
    version = cast.new_version()
    with store.snapshot():
        before = store.tx_count
        comment(cast, version, 1)  # committed by the peer meanwhile
        assert store.tx_count == before
        assert store.writes_under_since(f"review/{cast.project}/{version}/", before - 1)[0] == []
    assert store.tx_count == before + 1
    (written,), upto = store.writes_under_since(f"review/{cast.project}/{version}/", before - 1)
    assert written[1] == upto == before and written[2] is not None
    assert store.written_before([written[0], "review/none"], upto) == {written[0]}
    assert store.written_before([written[0]], upto - 1) == set()
