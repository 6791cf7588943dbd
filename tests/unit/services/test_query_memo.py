"""A remembered query answers exactly what the query answers now: from memory while what it
read is unchanged, afresh as soon as anything it read changed (a status, a membership, a vote,
the policy), and never a query that raised."""

from __future__ import annotations

from typing import Any

import pytest

from tests.common.lifecycle import Cast
from tetherai.contracts.errors import NotFound
from tetherai.services.query_memo import StateView, remembered_query


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
