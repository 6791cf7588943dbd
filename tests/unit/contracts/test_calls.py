"""The use cases' calls: each names a tx function of the contracts and binds to its arguments."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.common.lifecycle import Cast
from tetherai.contracts import calls
from tetherai.contracts.errors import InvalidArgument
from tetherai.contracts.registry import default_registry, genesis_versions

FULL = "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
P, V = "Org1/credit", "v1"

# One call of every builder, every argument given.
EVERY_CALL = [
    calls.create_project("Credit", domain="finance", details="scores"),
    calls.update_project(P, name="Credit 2", domain="d", details="x"),
    calls.add_member(P, "Org1", "bob"),
    calls.remove_member(P, "Org1", "bob", "left"),
    calls.set_factsheet(P, {"purpose": "p"}),
    calls.set_policy(P, {"auto_pass": True}),
    calls.create_version(
        P,
        V,
        code_repo="https://git.example/c",
        commit=FULL,
        notebook_version="n",
        comment="c",
        artifacts=[{"kind": "model"}],
        experiments=[{"name": "run"}],
        parents=[{"ref": "Org1/base/v1", "relation": "fine_tuned_from"}],
        replaces="v0",
        submit=True,
    ),
    calls.update_version(
        P,
        V,
        code_repo="r",
        commit=FULL,
        notebook_version="n",
        comment="c",
        artifacts=[],
        experiments=[],
    ),
    calls.submit_version(P, V),
    calls.transition(P, V, "deployed", reason="ok", details={"endpoint": "https://m"}),
    calls.rollback(P, "v0", "broken"),
    calls.verify(
        P, V, [{"name": "m", "sha256": None}], reproduction=[], metrics={"a": 1}, method="rerun"
    ),
    calls.comment(P, V, "hello", reply_to="abc"),
    calls.rate(P, V, 4, note="good"),
    calls.vote(P, V, "production", approve=True, comment="yes"),
    calls.attach_document(P, V, "report.pdf", "0" * 64, uri="s3://b/k"),
    calls.monitor(P, V, "data_drift", metrics={"psi": 0.3}, note="n", other=""),
]


def test_every_builder_is_tried() -> None:
    builders = set(calls.__all__) - {"Call", "check_artifact_kind"}
    assert len(EVERY_CALL) == len(builders)


@pytest.mark.parametrize("call", EVERY_CALL, ids=lambda c: f"{c.contract}.{c.fn}")
def test_each_call_binds_to_its_contract_function(call: calls.Call) -> None:
    """Argument names and types are the function's own: the ledger would accept the shape."""
    registry = default_registry()
    versions = genesis_versions()
    function = registry.function(call.contract, versions[call.contract], call.fn, "transaction")
    assert function.bind(call.args) == call.args


def test_arguments_left_as_none_are_left_out() -> None:
    assert calls.update_project(P, name="New").args == {"project": P, "name": "New"}
    assert "details" not in calls.transition(P, V, "reviewing").args
    assert "reply_to" not in calls.comment(P, V, "hi").args


def test_submitting_a_draft_is_model_version_submit_whichever_way_it_is_asked() -> None:
    assert calls.transition(P, V, "submitted") == calls.submit_version(P, V)
    assert calls.transition(P, V, "submitted").to_json() == {
        "contract": "model_version",
        "fn": "submit",
        "args": {"project": P, "version": V},
    }


def test_an_unknown_artifact_kind_is_refused_in_the_contract_s_words() -> None:
    assert calls.check_artifact_kind("model") == "model"
    with pytest.raises(InvalidArgument) as refused:
        calls.check_artifact_kind("weights", "w.bin")
    assert refused.value.message.startswith("artifact 'w.bin' has kind 'weights'; kinds are")


def test_an_abbreviated_commit_is_refused_before_anything_is_signed() -> None:
    with pytest.raises(InvalidArgument, match="abbreviated git commit id"):
        calls.create_version(P, V, code_repo="r", commit="4f2a9c1")
    with pytest.raises(InvalidArgument, match="abbreviated git commit id"):
        calls.update_version(P, V, commit="4f2a9c1")


def _refusals(cast: Cast) -> list[tuple[str, Callable[[], calls.Call], calls.Call]]:
    """(who, a builder given a bad argument, the same call built by hand), on real state."""
    p, v = cast.project, cast.new_version()
    live = cast.new_version()
    cast.walk(live, "production")
    bad = "x" * 10_001
    return [
        ("author", lambda: calls.create_project(""), calls.Call("project", "create", {"name": ""})),
        (
            "author",
            lambda: calls.update_project(p, details=bad),
            calls.Call("project", "update", {"project": p, "details": bad}),
        ),
        (
            "author",
            lambda: calls.remove_member(p, "Org1", "bob", " "),
            calls.Call(
                "project",
                "remove_member",
                {"project": p, "org": "Org1", "id": "bob", "reason": " "},
            ),
        ),
        (
            "mlops",
            lambda: calls.transition(p, v, "nowhere"),
            calls.Call("workflow", "transition", {"project": p, "version": v, "to": "nowhere"}),
        ),
        (
            "mlops",
            lambda: calls.rollback(p, v, ""),
            calls.Call("workflow", "rollback", {"project": p, "version": v, "reason": ""}),
        ),
        (
            "mlops",
            lambda: calls.comment(p, v, ""),
            calls.Call("review", "comment", {"project": p, "version": v, "text": ""}),
        ),
        (
            "stake1",
            lambda: calls.rate(p, v, 6),
            calls.Call("review", "rate", {"project": p, "version": v, "stars": 6}),
        ),
        (
            "stake1",
            lambda: calls.vote(p, v, "up", approve=True),
            calls.Call("review", "vote", {"project": p, "version": v, "to": "up", "approve": True}),
        ),
        (
            "mlops",
            lambda: calls.attach_document(p, v, "", "0" * 64),
            calls.Call(
                "review",
                "attach_document",
                {"project": p, "version": v, "name": "", "sha256": "0" * 64},
            ),
        ),
        (
            "mlops",
            lambda: calls.monitor(p, live, "other"),
            calls.Call("review", "monitor", {"project": p, "version": live, "status": "other"}),
        ),
    ]


def test_a_builder_refuses_bad_arguments_as_the_contract_does(cast: Cast) -> None:
    """Before anything is signed, in the contract's own words: nothing reaches the ledger."""
    for who, build, by_hand in _refusals(cast):
        with pytest.raises(InvalidArgument) as refused:
            build()
        height = cast.net.node.peer.head.height
        recorded = cast.call(who, by_hand.contract, by_hand.fn, **by_hand.args)
        assert cast.net.node.peer.head.height == height + 1  # the hand-made call was recorded
        assert (recorded.valid, recorded.code) == (False, "contract.bad_argument"), by_hand
        assert recorded.message == refused.value.message, by_hand
