"""Every transition from every state by every role: only the policy's allowed ones succeed.

Attempts are committed straight into blocks, past admission, so this also shows the contracts
themselves refuse what is not allowed; every refused attempt stays in its block as an invalid
tx with a reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.common.lifecycle import Cast, make_cast
from tests.common.network import PASSPHRASE, make_network
from tetherai.ledger.transaction import Envelope
from tetherai.ordering.solo import cut_block
from tetherai.services.network import load_node_key

STATES = [
    "draft",
    "submitted",
    "reviewing",
    "review_passed",
    "review_failed",
    "deployed",
    "qa",
    "production",
    "monitoring",
    "complete",
    "declined",
    "rolled_back",
]
ROLES = ["author", "ai2", "mlops", "stake1", "auditor", "outsider", "admin"]

# Written out by hand from DESIGN.md §5, not derived from contracts.workflow.RULES.
ALLOWED = {
    ("draft", "submitted", "author"),
    ("submitted", "reviewing", "mlops"),
    ("reviewing", "review_passed", "mlops"),
    ("reviewing", "review_failed", "mlops"),
    ("review_passed", "deployed", "mlops"),
    ("review_passed", "declined", "stake1"),
    ("deployed", "qa", "stake1"),
    ("deployed", "declined", "stake1"),
    ("qa", "production", "mlops"),
    ("qa", "declined", "stake1"),
    ("production", "monitoring", "mlops"),
    ("monitoring", "complete", "stake1"),
    ("monitoring", "declined", "stake1"),
}


def reach(cast: Cast, state: str) -> str:
    """A fresh version in ``state`` (reviewing ones carry a matching verification)."""
    if state == "rolled_back":
        old = cast.new_version()
        cast.walk(old, "review_passed")
        live = cast.new_version()
        cast.walk(live, "production")
        cast.ok(
            "mlops", "workflow", "rollback", project=cast.project, version=old, reason="table test"
        )
        return live
    version = cast.new_version()
    cast.walk(version, state)
    if state == "reviewing":
        cast.verify_matching(version)
    return version


def attempt(cast: Cast, who: str, version: str, target: str) -> Envelope:
    if target == "submitted":
        return cast.net.sign(
            cast[who], "model_version", "submit", {"project": cast.project, "version": version}
        )
    return cast.net.sign(
        cast[who],
        "workflow",
        "transition",
        {
            "project": cast.project,
            "version": version,
            "to": target,
            "reason": "table test",
            "details": {"endpoint": "https://models.example/x"},
        },
    )


def commit_directly(cast: Cast, envelopes: list[Envelope]) -> list[object]:
    """Order a block without admission (the orderer thread is idle between tests' calls)."""
    peer = cast.net.node.peer
    key = load_node_key(cast.net.home, cast.net.home.config()["orderer"], PASSPHRASE)
    return list(peer.commit(cut_block(peer, envelopes, key, cast.net.clock())))


@pytest.fixture(scope="module")
def cast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cast]:
    net = make_network(tmp_path_factory.mktemp("table"), max_wait=0.002)
    try:
        yield make_cast(net)
    finally:
        net.close()


@pytest.mark.parametrize("state", STATES)
def test_every_transition_by_every_role(cast: Cast, state: str) -> None:
    version = reach(cast, state)
    refused = [
        (target, who) for target in STATES for who in ROLES if (state, target, who) not in ALLOWED
    ]
    results = commit_directly(
        cast, [attempt(cast, who, version, target) for target, who in refused]
    )
    for (target, who), result in zip(refused, results, strict=True):
        assert not result.valid, f"{who} moved {state} -> {target}"  # type: ignore[attr-defined]
        assert result.code and result.message, (target, who)  # type: ignore[attr-defined]
        stored = cast.net.node.peer.store.tx(result.tx_id)  # type: ignore[attr-defined]
        assert stored is not None and not stored.valid and stored.message == result.message  # type: ignore[attr-defined]
    assert cast.status(version) == state  # nothing moved it
    for _, target, who in sorted(rule for rule in ALLOWED if rule[0] == state):
        fresh = reach(cast, state)
        (result,) = commit_directly(cast, [attempt(cast, who, fresh, target)])
        assert result.valid, f"{who} could not move {state} -> {target}: {result.message}"  # type: ignore[attr-defined]
        assert cast.status(fresh) == target


def test_refusals_read_as_sentences(cast: Cast) -> None:
    version = reach(cast, "reviewing")
    stake, auditor = commit_directly(
        cast,
        [
            attempt(cast, "stake1", version, "review_passed"),
            attempt(cast, "auditor", version, "review_passed"),
        ],
    )
    assert stake.message == (  # type: ignore[attr-defined]
        f"only an MLOps engineer of project {cast.project} can pass a review; you are a stakeholder"
    )
    assert auditor.message == "dora@Org1 is an auditor; auditors only read the ledger"  # type: ignore[attr-defined]
    (jump,) = commit_directly(cast, [attempt(cast, "mlops", version, "production")])
    assert jump.message == (  # type: ignore[attr-defined]
        f"version {version} is reviewing; it cannot move to production "
        "(from reviewing it can move to: review_failed, review_passed)"
    )
