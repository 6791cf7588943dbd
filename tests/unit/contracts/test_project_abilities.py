"""``project.abilities``: what a participant may change on a project, by the txs' own checks."""

from __future__ import annotations

import pytest

from tests.common.lifecycle import Cast
from tetherai.ledger.errors import TxRejected


@pytest.mark.parametrize(
    ("who", "manage", "factsheet"),
    [
        ("author", True, True),  # the creator
        ("stake1", True, True),  # a stakeholder member
        ("admin", True, False),  # org admin of the project's org: manages, is no member
        ("mlops", False, False),
        ("auditor", False, False),
        ("outsider", False, False),
    ],
)
def test_abilities_agree_with_the_txs(cast: Cast, who: str, manage: bool, factsheet: bool) -> None:
    key = cast[who]
    found = cast.query("project", "abilities", project=cast.project, org=key.org, id=key.id)
    assert found["manage"]["allowed"] is manage
    assert found["set_factsheet"]["allowed"] is factsheet
    if not manage:
        assert "only the creator" in found["manage"]["reason"]
    if who == "auditor":  # the auditor's writes are refused before any contract runs
        with pytest.raises(TxRejected):
            cast.call(who, "project", "update", project=cast.project, details="by dora")
        return
    # The tx agrees with the query.
    done = cast.call(who, "project", "update", project=cast.project, details=f"by {who}")
    assert done.valid is manage
    sheet = cast.call(
        who, "project", "set_factsheet", project=cast.project, factsheet={"purpose": "p"}
    )
    assert sheet.valid is factsheet
