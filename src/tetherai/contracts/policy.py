"""A project's workflow policy (DESIGN.md §5): approvals, required artifacts, acceptance criteria.

Stored as ``project/<ref>/policy``; a project without one follows :data:`DEFAULT_POLICY`.

- ``approvals``: ``{target status: {"role": role, "count": N, "orgs": [...]?}}`` — N approvals
  (votes) from members of that role before a version may move to that status, with at least
  one from each org in ``orgs`` when given (cross-org endorsement);
- ``required_artifacts``: artifact kinds a version must register before it is submitted;
- ``criteria``: ``[{"metric", "op", "value"}]`` — thresholds checked when a verification is
  recorded, on the metrics it reports (else the version's registered final metrics);
- ``auto_pass``: when a verification matches and every criterion holds, pass the review in
  the same tx.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from tetherai.contracts.errors import InvalidArgument
from tetherai.crypto.jcs import JSONValue
from tetherai.names import is_name
from tetherai.vocabulary import ARTIFACT_KINDS, WRITER_ROLES, Status, or_list

__all__ = ["DEFAULT_POLICY", "Criterion", "Policy", "Quorum"]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
MAX_CRITERIA = 32
STATUSES = frozenset(Status)


@dataclass(frozen=True, slots=True)
class Quorum:
    role: str
    count: int
    orgs: tuple[str, ...] = ()
    """Cross-org endorsement: each of these orgs must be among the approvers (e.g. the model
    owner's org and the regulator's), each approval signed in its own org."""

    def missing_orgs(self, approving_orgs: Collection[str]) -> list[str]:
        return [org for org in self.orgs if org not in approving_orgs]

    def to_json(self) -> dict[str, JSONValue]:
        found: dict[str, JSONValue] = {"role": self.role, "count": self.count}
        if self.orgs:
            found["orgs"] = list(self.orgs)
        return found


@dataclass(frozen=True, slots=True)
class Criterion:
    metric: str
    op: str
    value: float

    def holds(self, metrics: Mapping[str, JSONValue]) -> tuple[bool, str]:
        """Whether the criterion holds, and a sentence saying what was measured."""
        found = metrics.get(self.metric)
        if isinstance(found, bool) or not isinstance(found, (int, float)):
            return False, f"{self.metric} was not reported (needs {self.op} {self.value})"
        ok = OPERATORS[self.op](float(found), self.value)
        verdict = "meets" if ok else "fails"
        return ok, f"{self.metric} = {found} {verdict} {self.op} {self.value}"

    def to_json(self) -> dict[str, JSONValue]:
        return {"metric": self.metric, "op": self.op, "value": self.value}


@dataclass(frozen=True, slots=True)
class Policy:
    approvals: Mapping[str, Quorum] = field(default_factory=dict)
    required_artifacts: tuple[str, ...] = ("model",)
    criteria: tuple[Criterion, ...] = ()
    auto_pass: bool = False

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "approvals": {k: q.to_json() for k, q in sorted(self.approvals.items())},
            "required_artifacts": list(self.required_artifacts),
            "criteria": [criterion.to_json() for criterion in self.criteria],
            "auto_pass": self.auto_pass,
        }

    @classmethod
    def from_json(cls, value: Any) -> Policy:
        """Validate a policy document.

        Raises:
            InvalidArgument: naming the field that is wrong and what it must be.
        """
        if not isinstance(value, dict):
            raise InvalidArgument("a policy must be an object")
        unknown = set(value) - {"approvals", "required_artifacts", "criteria", "auto_pass"}
        if unknown:
            raise InvalidArgument(f"unknown policy field(s): {', '.join(sorted(unknown))}")
        approvals = {}
        raw_approvals = value.get("approvals") or {}
        if not isinstance(raw_approvals, dict):
            raise InvalidArgument("approvals must be an object: {status: {role, count}}")
        for target, quorum in raw_approvals.items():
            if target not in STATUSES:
                raise InvalidArgument(f"approvals: {target!r} is not a version status")
            if not isinstance(quorum, dict) or not {"role", "count"} <= set(quorum) <= {
                "role",
                "count",
                "orgs",
            }:
                raise InvalidArgument(f"approvals.{target} must be {{role, count, orgs?}}")
            if quorum["role"] not in WRITER_ROLES:
                raise InvalidArgument(f"approvals.{target}.role must be {or_list(WRITER_ROLES)}")
            count = quorum["count"]
            if type(count) is not int or not 1 <= count <= 100:
                raise InvalidArgument(
                    f"approvals.{target}.count must be a whole number from 1 to 100"
                )
            orgs = quorum.get("orgs", [])
            if (
                not isinstance(orgs, list)
                or not all(is_name(org) for org in orgs)
                or len(set(orgs)) != len(orgs)
                or len(orgs) > count
            ):
                raise InvalidArgument(
                    f"approvals.{target}.orgs must list distinct org names, at most count of them"
                )
            approvals[target] = Quorum(str(quorum["role"]), count, tuple(orgs))
        required = value.get("required_artifacts", ["model"])
        if not isinstance(required, list) or any(kind not in ARTIFACT_KINDS for kind in required):
            raise InvalidArgument(
                f"required_artifacts must list kinds among {', '.join(ARTIFACT_KINDS)}"
            )
        criteria = []
        raw_criteria = value.get("criteria", [])
        if not isinstance(raw_criteria, list) or len(raw_criteria) > MAX_CRITERIA:
            raise InvalidArgument(f"criteria must be a list of at most {MAX_CRITERIA} thresholds")
        for item in raw_criteria:
            if not isinstance(item, dict) or set(item) != {"metric", "op", "value"}:
                raise InvalidArgument("each criterion must be {metric, op, value}")
            metric, op, threshold = item["metric"], item["op"], item["value"]
            if not isinstance(metric, str) or not 0 < len(metric) <= 100:
                raise InvalidArgument("a criterion's metric must be a name of 1 to 100 characters")
            if op not in OPERATORS:
                raise InvalidArgument(
                    f"a criterion's op must be one of {' '.join(OPERATORS)}, not {op!r}"
                )
            if (
                isinstance(threshold, bool)
                or not isinstance(threshold, (int, float))
                or not math.isfinite(threshold)
            ):
                raise InvalidArgument(f"the threshold of {metric} must be a number")
            criteria.append(Criterion(metric, op, float(threshold)))
        auto_pass = value.get("auto_pass", False)
        if not isinstance(auto_pass, bool):
            raise InvalidArgument("auto_pass must be true or false")
        return cls(approvals, tuple(dict.fromkeys(required)), tuple(criteria), auto_pass)


DEFAULT_POLICY = Policy()
