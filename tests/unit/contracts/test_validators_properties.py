"""Properties of the contracts' argument validators under arbitrary JSON: the factsheet
(``project.py``), the policy (``policy.py``), artifacts and experiments (``model_version.py``).

Each returns a checked value or raises InvalidArgument with a message — never another
exception (inside the executor that would be a ``contract.crashed`` tx) — and a checked value
is a fixed point: checking it again gives it back.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tetherai.contracts.errors import InvalidArgument
from tetherai.contracts.model_version import check_artifacts, check_experiments
from tetherai.contracts.policy import Policy
from tetherai.contracts.project import FACTSHEET_TEXTS, _factsheet
from tetherai.crypto.jcs import canonicalize
from tetherai.vocabulary import ARTIFACT_KINDS, Status

MAX_SAFE = 2**53 - 1
STATUSES = tuple(Status)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE, MAX_SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


def shaped(keys: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with some of ``keys`` (values of the right shape or anything), maybe a stray."""
    return st.fixed_dictionaries(
        {}, optional={k: v | json_values for k, v in keys.items()} | {"stray": json_values}
    )


def checked(check: Any, value: Any) -> Any:
    try:
        result = check(value)
    except InvalidArgument as error:
        refusal = error
    else:
        canonicalize(result.to_json() if hasattr(result, "to_json") else result)
        return result
    assert refusal.message and refusal.code
    return None


texts = st.text(max_size=50)
factsheets = shaped(
    {name: texts for name in FACTSHEET_TEXTS}
    | {
        "key_contacts": st.lists(texts, max_size=3),
        "documents": st.lists(st.fixed_dictionaries({"name": texts, "sha256": texts}), max_size=2),
    }
)
quorums = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["ai_engineer", "mlops_engineer", "stakeholder", "auditor"]),
        "count": st.integers(-1, 101),
    }
)
policies = shaped(
    {
        "approvals": st.dictionaries(st.sampled_from([*STATUSES, "nope"]), quorums, max_size=3),
        "required_artifacts": st.lists(st.sampled_from([*ARTIFACT_KINDS, "x"]), max_size=3),
        "criteria": st.lists(
            st.fixed_dictionaries(
                {
                    "metric": texts,
                    "op": st.sampled_from([">=", "<=", ">", "<", "==", "!="]),
                    "value": st.floats(allow_nan=False) | st.integers(),
                }
            ),
            max_size=3,
        ),
        "auto_pass": st.booleans(),
    }
)
artifacts = st.lists(
    shaped(
        {
            "kind": st.sampled_from(ARTIFACT_KINDS),
            "name": texts,
            "uri": texts,
            "size": st.integers(-1, MAX_SAFE),
            "sha256": st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
        }
    ),
    max_size=3,
)
experiments = st.lists(
    shaped(
        {
            "name": texts,
            "log_sha256": st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
            "hyperparameters": st.dictionaries(texts, scalars, max_size=2),
            "metrics": st.dictionaries(texts, st.floats(allow_nan=False), max_size=2),
            "series": st.dictionaries(texts, st.lists(st.floats(allow_nan=False), max_size=3)),
        }
    ),
    max_size=2,
)


@settings(max_examples=300, deadline=None)
@given(factsheets | json_values)
def test_factsheets(value: Any) -> None:
    result = checked(_factsheet, value)
    if result is not None:
        assert _factsheet(result) == result


@settings(max_examples=300, deadline=None)
@given(policies | json_values)
def test_policies(value: Any) -> None:
    result = checked(lambda v: Policy.from_json(v), value)
    if result is not None:
        assert Policy.from_json(result.to_json()) == result


@settings(max_examples=300, deadline=None)
@given(artifacts | json_values)
def test_artifacts(value: Any) -> None:
    result = checked(check_artifacts, value)
    if result is not None:
        assert check_artifacts(result) == result


@settings(max_examples=300, deadline=None)
@given(experiments | json_values)
def test_experiments(value: Any) -> None:
    result = checked(check_experiments, value)
    if result is not None:
        assert check_experiments(result) == result
