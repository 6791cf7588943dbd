"""A version's review records, with its comments a page at a time.

Comments (and the threads the contracts open themselves) pile up on a busy version, so a
reader gets the newest ``limit`` of them, newest first, a count of all, and a cursor to the
older ones; the other records of the review (votes, ratings, documents, monitoring reports,
the verification) come whole, grouped by kind as the ``review.reviews`` query groups them.

The cursor is a log position: the comments written before it are the next page. It only
narrows what is read under this version's review keys, so no number read from a request can
reach another version's or project's records. The caller checks first that the person may
read the project and that the version exists (``model_version.get``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tetherai.contracts._common import review_kind, review_prefix
from tetherai.crypto.jcs import JSONValue, loads_stored
from tetherai.ledger.sqlite_store import SqliteLedgerStore

__all__ = ["COMMENT", "COMMENTS_PAGE", "ReviewsPage", "reviews_page"]

COMMENT = "comment"
COMMENTS_PAGE = 50
"""How many comments a page shows unless asked for another number."""
_END = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class ReviewsPage:
    """``records``: every kind of review record but comments, grouped by kind; ``comments``:
    the page of comments, newest first; ``next``: the cursor of the older comments (``None``:
    these are the oldest); ``comment_count``: comments in all."""

    records: dict[str, list[JSONValue]]
    comments: list[dict[str, Any]]
    next: int | None
    comment_count: int

    def to_json(self) -> dict[str, JSONValue]:
        """The API's answer: the records by kind (``comment`` the page), the counts of every
        kind, and ``next``."""
        counts: dict[str, JSONValue] = {kind: len(rows) for kind, rows in self.records.items()}
        counts[COMMENT] = self.comment_count
        body: dict[str, JSONValue] = dict(self.records)
        body[COMMENT] = list(self.comments)
        body["counts"] = counts
        body["next"] = None if self.next is None else str(self.next)
        return body


def reviews_page(
    store: SqliteLedgerStore,
    project: str,
    version: str,
    *,
    before: int | None = None,
    limit: int = COMMENTS_PAGE,
) -> ReviewsPage:
    """The review of ``project``'s ``version`` with the ``limit`` newest comments written
    before position ``before`` (all positions when ``None``)."""
    prefix = review_prefix(project, version)
    comments = prefix + COMMENT + "/"
    records: dict[str, list[JSONValue]] = {}
    # Every record but the comments: the keys before "comment/" and those after it.
    rows = [
        *store.scan_texts_between(prefix, comments),
        *store.scan_texts_between(comments + _END, prefix + _END),
    ]
    for key, text in rows:
        records.setdefault(review_kind(prefix, key), []).append(loads_stored(text))
    if before is None:
        found, count = _newest(store, comments, limit + 1)
    else:
        found = store.newest_under(comments, before=before, limit=limit + 1)
        count = store.count_under(comments)
    page = [value for _, text, _ in found[:limit] if isinstance(value := loads_stored(text), dict)]
    more = len(found) > limit
    return ReviewsPage(records, page, int(found[limit - 1][2]) if more else None, count)


@dataclass(frozen=True, slots=True)
class _Newest:
    """A version's newest comments (key, log position; newest first) and how many it has,
    as of log position ``upto``; ``tx_id``, the tx at ``upto``, ties them to this very ledger
    (-1, ``None``: the log was empty). Keys only: the texts are read when shown."""

    found: tuple[tuple[str, int], ...]
    count: int
    upto: int
    tx_id: str | None


# Each version's first page of comments and their count, kept across requests and brought up
# to date from the log's writes since: read afresh, every comment of the version was sorted
# and counted on every view (4 ms at 10,000 comments).
_NEWEST: dict[tuple[str, str, int], _Newest] = {}
_NEWEST_KEPT = 2_000


def _newest(
    store: SqliteLedgerStore, comments: str, wanted: int
) -> tuple[list[tuple[str, str, int]], int]:
    """The ``wanted`` newest comments under ``comments`` (key, stored text, log position) and
    how many there are."""
    key = (store.path, comments, wanted)
    known = _NEWEST.get(key)
    if known is not None and store.has_tx_at(known.upto, known.tx_id):
        writes, upto = store.writes_under_since(comments, known.upto)
        added = {k for k, _, _ in writes}
        if upto == known.upto:
            kept = known
        elif (
            all(text is not None for _, _, text in writes)
            and not added & {k for k, _ in known.found}
            and not store.written_before(added, known.upto)
        ):  # only new comments (a comment's key is its tx's id): they go first
            newest = [(k, seq) for k, seq, _ in reversed(writes)]
            kept = _keep(
                store, key, (newest + list(known.found))[:wanted], known.count + len(added), upto
            )
        else:  # an old comment written again, or one deleted: read afresh
            kept = None
        if kept is not None:
            texts = ((k, store.text(k), seq) for k, seq in kept.found)
            return [(k, text, seq) for k, text, seq in texts if text is not None], kept.count
    with store.snapshot():  # the page, the count and the log's end read together
        found = store.newest_under(comments, limit=wanted)
        count = store.count_under(comments)
        upto = store.tx_count - 1
    _keep(store, key, [(k, int(seq)) for k, _, seq in found], count, upto)
    return found, count


def _keep(
    store: SqliteLedgerStore,
    key: tuple[str, str, int],
    found: list[tuple[str, int]],
    count: int,
    upto: int,
) -> _Newest:
    tx_id = store.tx_id_at(upto)
    kept = _Newest(tuple(found), count, upto, tx_id)
    if len(_NEWEST) >= _NEWEST_KEPT:
        _NEWEST.clear()
    _NEWEST[key] = kept
    return kept
