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
    found = store.newest_under(comments, before=before, limit=limit + 1)
    page = [value for _, text, _ in found[:limit] if isinstance(value := loads_stored(text), dict)]
    more = len(found) > limit
    return ReviewsPage(
        records, page, int(found[limit - 1][2]) if more else None, store.count_under(comments)
    )
