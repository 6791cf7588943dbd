"""A remembered query answers exactly what the query answers now: from memory while what it
read is unchanged, afresh as soon as anything it read changed (a status, a membership, a vote,
the policy), and never a query that raised."""

from __future__ import annotations

from typing import Any

import pytest

from tests.common.lifecycle import Cast
from tetherai.contracts.errors import NotFound
from tetherai.crypto.jcs import JSONValue
from tetherai.ledger.changes import ChangeLog
from tetherai.services.query_memo import StateView, remembered_query, remembered_reading


def actions(cast: Cast, version: str, who: str) -> Any:
    """The remembered answer, checked against the query itself."""
    store = cast.net.node.peer.store
    key = cast[who]
    args = {"project": cast.project, "version": version, "org": key.org, "id": key.id}
    found = remembered_query(
        cast.net.node.peer, StateView(store.reader()), "workflow", "actions", args
    )
    assert found == cast.query("workflow", "actions", **args)
    return found


def allowed(answer: Any) -> set[str]:
    return {str(a["action"]) for a in answer if a["allowed"]}


def test_answers_follow_every_change_to_what_they_read(cast: Cast) -> None:
    version = cast.new_version()
    first = actions(cast, version, "mlops")
    assert actions(cast, version, "mlops") is first  # unchanged: from memory
    assert "start_review" not in allowed(first)
    cast.ok("author", "model_version", "submit", project=cast.project, version=version)
    submitted = actions(cast, version, "mlops")  # the status it read changed
    assert "start_review" in allowed(submitted)
    key = cast["mlops"]
    cast.ok(
        "author",
        "project",
        "remove_member",
        project=cast.project,
        org=key.org,
        id=key.id,
        reason="moved team",
    )
    assert "start_review" not in allowed(actions(cast, version, "mlops"))  # membership
    cast.ok("author", "project", "add_member", project=cast.project, org=key.org, id=key.id)
    assert "start_review" in allowed(actions(cast, version, "mlops"))
    cast.ok(
        "mlops", "workflow", "transition", project=cast.project, version=version, to="reviewing"
    )
    assert "verify" in allowed(actions(cast, version, "mlops"))


def test_each_person_and_version_has_its_own_answer(cast: Cast) -> None:
    one, two = cast.new_version(), cast.new_version()
    cast.ok("author", "model_version", "submit", project=cast.project, version=two)
    assert "submit" in allowed(actions(cast, one, "author"))
    assert "submit" not in allowed(actions(cast, one, "mlops"))
    assert "start_review" in allowed(actions(cast, two, "mlops"))
    assert "start_review" not in allowed(actions(cast, one, "mlops"))


def test_a_query_that_raises_is_not_remembered(cast: Cast) -> None:
    with pytest.raises(NotFound):
        actions(cast, "v404", "mlops")
    version = cast.new_version("v404")
    assert "submit" in allowed(actions(cast, version, "author"))


def test_commits_that_write_nothing_it_read_leave_the_answer_in_memory(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = cast.new_version(), cast.new_version()
    first = actions(cast, one, "mlops")
    # Another version's submission and comment: none of what ``one``'s answer read; the
    # store's log of written keys says so without reading anything again.
    cast.ok("author", "model_version", "submit", project=cast.project, version=two)
    cast.ok("stake1", "review", "comment", project=cast.project, version=two, text="fine")
    view = StateView(cast.net.node.peer.store.reader())
    monkeypatch.setattr(view, "text", lambda key: pytest.fail(f"read {key}"))
    key = cast["mlops"]
    args = {"project": cast.project, "version": one, "org": key.org, "id": key.id}
    assert remembered_query(cast.net.node.peer, view, "workflow", "actions", args) is first
    monkeypatch.undo()
    assert actions(cast, one, "mlops") is first
    cast.ok("author", "model_version", "submit", project=cast.project, version=one)
    assert "start_review" in allowed(actions(cast, one, "mlops"))


def test_an_answer_older_than_the_log_is_checked_against_what_it_read(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = cast.net.node.peer.store
    monkeypatch.setattr(store, "changes", ChangeLog(kept=1))
    monkeypatch.setattr(store.reader(), "changes", store.changes)
    one, two = cast.new_version(), cast.new_version()
    first = actions(cast, one, "mlops")
    cast.ok("author", "model_version", "submit", project=cast.project, version=two)
    cast.ok("stake1", "review", "comment", project=cast.project, version=two, text="fine")
    assert store.changes.since(store.version - 2, store.version) is None  # forgotten
    assert actions(cast, one, "mlops") is first  # the texts it read are the same
    cast.ok("author", "model_version", "submit", project=cast.project, version=one)
    cast.ok("stake1", "review", "comment", project=cast.project, version=two, text="again")
    assert "start_review" in allowed(actions(cast, one, "mlops"))


def test_the_change_log_tells_the_keys_written_since_a_version_or_that_it_forgot() -> None:
    log = ChangeLog(kept=3)
    assert log.latest == 0 and log.since(0, 0) == frozenset()
    log.add(1, ["a", "b"])
    log.add(2, [])
    log.add(3, ["c"])
    assert log.latest == 3
    assert log.since(0, 3) == frozenset({"a", "b", "c"})
    assert log.since(1, 3) == frozenset({"c"}) and log.since(1, 2) == frozenset()
    assert log.since(3, 3) == frozenset()
    log.add(4, ["d"])
    assert log.since(0, 4) is None  # what version 1 wrote is no longer kept
    assert log.since(1, 4) == frozenset({"c", "d"})


def test_a_page_of_a_list_holds_while_commits_write_only_after_its_last_row(cast: Cast) -> None:
    """A bounded scan (``after``, ``limit``) is affected only by keys it could now read."""
    for name in ("b1", "b2", "b3"):
        cast.new_version(name)
    peer = cast.net.node.peer

    def page(after: str) -> Any:
        args: dict[str, JSONValue] = {"project": cast.project, "after": after, "limit": 2}
        found = remembered_query(
            peer, StateView(peer.store.reader()), "model_version", "list_versions", args
        )
        assert found == cast.query("model_version", "list_versions", **args)
        return found

    first, second = page(""), page("b2")
    cast.new_version("b9")  # after the first page's last row; the second page ends early
    assert page("") is first
    assert page("b2") is not second and [v["version"]["version"] for v in page("b2")] == [
        "b3",
        "b9",
    ]
    cast.new_version("b0")  # inside the first page
    assert [v["version"]["version"] for v in page("")] == ["b0", "b1"]
    cast.ok("author", "model_version", "submit", project=cast.project, version="b1")
    assert page("")[1]["status"]["status"] == "submitted"  # a status it read


def test_a_reading_of_an_answer_is_made_once_per_answer(cast: Cast) -> None:
    version = cast.new_version()
    key = cast["mlops"]
    args = {"project": cast.project, "version": version, "org": key.org, "id": key.id}
    made: list[JSONValue] = []

    def read(answer: JSONValue) -> set[str]:
        made.append(answer)
        return allowed(answer)

    def reading() -> set[str]:
        view = StateView(cast.net.node.peer.store.reader())
        return remembered_reading(cast.net.node.peer, view, "workflow", "actions", args, read)

    first = reading()
    assert reading() is first and len(made) == 1  # the answer held: its reading too
    assert "start_review" not in first
    cast.ok("author", "model_version", "submit", project=cast.project, version=version)
    assert "start_review" in reading()  # a new answer, read again
    assert len(made) == 2
    assert made[1] == actions(cast, version, "mlops")
    # Another reading of the same answer is its own.
    view = StateView(cast.net.node.peer.store.reader())
    assert remembered_reading(cast.net.node.peer, view, "workflow", "actions", args, str) == str(
        made[1]
    )


def test_a_list_of_keys_follows_a_record_added_under_its_prefix(cast: Cast) -> None:
    store = cast.net.node.peer.store

    def projects() -> Any:
        view = StateView(store.reader())
        return remembered_query(cast.net.node.peer, view, "project", "list_projects", {})

    first = projects()
    assert projects() is first  # unchanged: from memory
    assert [p["ref"] for p in first] == [cast.project]
    added = cast.ok("author", "project", "create", name="Fraud Detection")["project"]
    # The query read the project keys without their values: the new key still counts.
    assert [p["ref"] for p in projects()] == sorted([cast.project, added])
