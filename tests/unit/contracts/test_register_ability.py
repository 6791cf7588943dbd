"""``project.abilities`` says who may register versions, by the create tx's own check."""

from __future__ import annotations

import pytest

from tests.common.lifecycle import Cast


@pytest.mark.parametrize("who", ["author", "ai2", "mlops", "stake1", "admin", "outsider"])
def test_register_version_ability_agrees_with_the_create_tx(cast: Cast, who: str) -> None:
    key = cast[who]
    found = cast.query("project", "abilities", project=cast.project, org=key.org, id=key.id)
    ability = found["register_version"]
    done = cast.call(
        who,
        "model_version",
        "create",
        project=cast.project,
        version=f"by-{who}",
        code_repo="https://git.example/credit",
        commit="c1",
    )
    assert done.valid is ability["allowed"] is (who in ("author", "ai2"))
    if who == "outsider":  # not a reader: the tx is refused as if the project did not exist
        assert done.message == f"there is no project {cast.project}"
    elif not done.valid:
        assert done.message == ability["reason"]
