"""Confidential contract versions: a project one may not read answers as one that does not exist.

For every tx function naming a project, a non-member of the same org, another org's admin and
another org's engineer get the same refusal (code and message, names normalized) for the
private project as for one that does not exist; reuse and parents need a readable source, and
nobody names a reuse source by hand. Older contract versions keep their old answers, so blocks
they ran replay to the same roots.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest

from tests.common.contract_versions import switchable_to_version_1
from tests.common.lifecycle import ARTIFACT_DIGESTS, Cast, make_cast
from tests.common.network import make_network
from tests.common.orgs import add_org
from tetherai.contracts.registry import default_contracts, default_registry, genesis_versions
from tetherai.identity.roles import Role
from tetherai.ledger.contract import function_kind
from tetherai.ledger.executor import TxResult
from tetherai.services.network import ParticipantKey

MISSING = "Org1/no-such-project"

_DUMMY: dict[Any, Any] = {str: "x", list: [], dict: {}, int: 1, bool: False}


def _project_functions() -> list[tuple[str, str, dict[str, Any]]]:
    """(contract, fn, minimal args) of every newest tx function that names a project."""
    registry = default_registry()
    table = []
    for name, version in sorted(genesis_versions().items()):
        contract = next(c for c in default_contracts() if c.name == name and c.version == version)
        for attribute in sorted(dir(contract)):
            if function_kind(getattr(contract, attribute)) != "transaction":
                continue
            params = registry.function(name, version, attribute, "transaction").params
            if "project" not in params:
                continue
            args = {
                param: _DUMMY.get(typing.get_origin(annotation) or annotation, "x")
                for param, (annotation, required) in params.items()
                if required and param != "project"
            }
            if "version" in args:
                args["version"] = "v1"
            table.append((name, attribute, args))
    return table


FUNCTIONS = _project_functions()


def _normalized(result: TxResult, project: str) -> tuple[bool, str | None, str]:
    return result.valid, result.code, (result.message or "").replace(project, "<project>")


@pytest.fixture
def strangers(cast: Cast) -> dict[str, ParticipantKey]:
    org2 = add_org(cast.net)
    mallory = org2.participant("mallory", Role.AI_ENGINEER)
    return {"same org": cast["outsider"], "other org admin": org2.admin, "other org": mallory}


def test_every_project_tx_function_is_covered() -> None:
    names = {f"{c}.{f}" for c, f, _ in FUNCTIONS}
    assert {"project.add_member", "model_version.create", "review.comment"} <= names
    assert {"workflow.transition", "workflow.rollback", "review.verify"} <= names


@pytest.mark.parametrize(
    ("contract", "fn", "args"), FUNCTIONS, ids=lambda v: v if isinstance(v, str) else ""
)
def test_a_private_project_refuses_like_a_missing_one(
    cast: Cast, strangers: dict[str, ParticipantKey], contract: str, fn: str, args: dict[str, Any]
) -> None:
    cast.new_version("v1")
    for who, key in strangers.items():
        private = cast.net.submit(key, contract, fn, args | {"project": cast.project})
        missing = cast.net.submit(key, contract, fn, args | {"project": MISSING})
        assert not private.valid, (who, contract, fn)
        assert _normalized(private, cast.project) == _normalized(missing, MISSING), (who, fn)
        assert private.code == "contract.not_found"


def test_reuse_needs_a_readable_source(cast: Cast, strangers: dict[str, ParticipantKey]) -> None:
    base = cast.new_version("base")
    cast.ok("author", "model_version", "submit", project=cast.project, version=base)
    mallory = strangers["other org"]
    own = cast.net.submit(mallory, "project", "create", {"name": "Heist"})
    project = str(own.result["project"])  # type: ignore[index]

    def register(version: str, artifacts: list[dict[str, Any]], **more: Any) -> TxResult:
        args = {"project": project, "version": version, "code_repo": "r", "commit": "c"}
        return cast.net.submit(
            mallory, "model_version", "create", args | more | {"artifacts": artifacts}
        )

    secret, unknown = ARTIFACT_DIGESTS["model"], "99" * 32
    stolen = register("s1", [{"name": "m", "reuse": secret}])
    nothing = register("s2", [{"name": "m", "reuse": unknown}])
    assert not stolen.valid and not nothing.valid
    assert stolen.code == nothing.code == "contract.not_found"
    assert stolen.message == (nothing.message or "").replace(unknown[:12], secret[:12])
    named = register("s3", [{"name": "m", "reuse": secret, "from": f"{cast.project}/base"}])
    named_missing = register("s4", [{"name": "m", "reuse": secret, "from": f"{MISSING}/base"}])
    assert not named.valid and (named.message or "").replace(cast.project, MISSING) == (
        named_missing.message
    )
    forged = register(
        "s5",
        [
            {
                "kind": "model",
                "name": "m",
                "uri": "tether-obj:sha256/" + secret,
                "size": 1000,
                "sha256": secret,
                "reused_from": f"{cast.project}/base",
            }
        ],
    )
    assert not forged.valid and "reused_from is recorded by the contract" in (forged.message or "")
    parent = register(
        "s6", [], parents=[{"ref": f"{cast.project}/base", "relation": "derived_from"}]
    )
    no_parent = register("s7", [], parents=[{"ref": f"{MISSING}/base", "relation": "derived_from"}])
    assert not parent.valid
    assert _normalized(parent, cast.project) == _normalized(no_parent, MISSING)


def test_a_member_of_both_projects_reuses_and_names_the_source(cast: Cast) -> None:
    base = cast.new_version("base")
    cast.ok("author", "model_version", "submit", project=cast.project, version=base)
    other = cast.ok("stake1", "project", "create", name="Fraud")["project"]
    cast.ok("stake1", "project", "add_member", project=other, org="Org1", id="aaron")
    cast.ok(
        "ai2",
        "model_version",
        "create",
        project=other,
        version="f1",
        code_repo="r",
        commit="c",
        artifacts=[
            {"name": "m", "reuse": ARTIFACT_DIGESTS["model"], "from": f"{cast.project}/base"}
        ],
    )
    got = cast.query("model_version", "get", project=other, version="f1")["version"]["artifacts"]
    assert got[0]["reused_from"] == f"{cast.project}/base"


def test_no_channel_switches_back_to_version_1(cast: Cast) -> None:
    refused = cast.call("admin", "membership", "upgrade_contract", contract="workflow", version="1")
    assert not refused.valid and "workflow v1 is not installed here" in (refused.message or "")


def test_a_channel_on_version_1_keeps_its_answers_and_replays(tmp_path: Path) -> None:
    """Blocks version 1 ran replay with it (a channel made before version 2 existed)."""
    from tetherai.contracts.membership import MembershipRules
    from tetherai.ledger.verifier import verify_ledger

    registry = switchable_to_version_1("workflow")
    net = make_network(tmp_path, max_wait=0.002, registry=registry)
    try:
        cast = make_cast(net)
        v1 = cast.new_version()
        cast.walk(v1, "submitted")
        before = cast.call(
            "outsider", "workflow", "transition", project=cast.project, version=v1, to="reviewing"
        )
        assert before.message == f"there is no project {cast.project}"
        cast.ok("admin", "membership", "upgrade_contract", contract="workflow", version="1")
        after = cast.call(
            "outsider", "workflow", "transition", project=cast.project, version=v1, to="reviewing"
        )
        assert after.code == "contract.not_permitted"
        assert "you are not a member" in (after.message or "")
        report = verify_ledger(
            net.node.peer.store, channel="main", registry=registry, rules=MembershipRules()
        )
        assert report.ok, report.problem
    finally:
        net.close()
