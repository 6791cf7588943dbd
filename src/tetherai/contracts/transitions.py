"""Version statuses move by these rules (DESIGN.md §5): who may move a version where.

Every status change of a model version goes through :func:`apply_transition`, after
:func:`check_transition` has judged it against the default rules below and the project's
policy (quorums of votes, acceptance criteria). The model_version, review and workflow
contracts all move versions through these two functions, and "what may this participant do
now?" (``workflow.actions``) asks the same checks — the rule is written once.

Default rules (role of the project member who may take each step)::

    draft ─submit (author)─▶ submitted ─start_review (MLOps)─▶ reviewing
    reviewing ─pass_review (MLOps; needs a matching verification)─▶ review_passed
    reviewing ─fail_review (MLOps) or a mismatching verification─▶ review_failed
    review_passed ─deploy (MLOps; endpoint)─▶ deployed ─start_qa (stakeholder)─▶ qa
    qa ─promote (MLOps)─▶ production ─start_monitoring (MLOps)─▶ monitoring
    monitoring ─complete / decline (stakeholder)─▶ complete | declined
    review_passed, deployed, qa ─decline (stakeholder)─▶ declined
    production | monitoring ─rollback (MLOps)─▶ rolled_back, an earlier approved version ─▶ production

The statuses and their groups are words of :mod:`tetherai.vocabulary`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tetherai.contracts._common import (
    STAMP_FIELDS,
    Actor,
    production_key,
    require_member,
    require_version,
    review_prefix,
    role_plural,
    stamp,
    status_key,
    version_ref,
)
from tetherai.contracts.errors import (
    InvalidArgument,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from tetherai.contracts.policy import DEFAULT_POLICY, Policy
from tetherai.crypto.jcs import JSONValue
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context
from tetherai.ledger.state import StateReader
from tetherai.vocabulary import NEEDS_REASON, Status

__all__ = [
    "ROLLBACK_ROLE",
    "RULES",
    "Rule",
    "apply_transition",
    "approvals",
    "check_transition",
    "create_status",
    "latest_verification",
    "project_policy",
    "version_status",
]


@dataclass(frozen=True, slots=True)
class Rule:
    source: Status
    target: Status
    role: Role
    action: str
    doing: str  # finishes "only an MLOps engineer of project X can …"
    author_only: bool = False


RULES: tuple[Rule, ...] = (
    Rule(
        Status.DRAFT,
        Status.SUBMITTED,
        Role.AI_ENGINEER,
        "submit",
        "submit this version",
        author_only=True,
    ),
    Rule(Status.SUBMITTED, Status.REVIEWING, Role.MLOPS_ENGINEER, "start_review", "start a review"),
    Rule(
        Status.REVIEWING, Status.REVIEW_PASSED, Role.MLOPS_ENGINEER, "pass_review", "pass a review"
    ),
    Rule(
        Status.REVIEWING, Status.REVIEW_FAILED, Role.MLOPS_ENGINEER, "fail_review", "fail a review"
    ),
    Rule(Status.REVIEW_PASSED, Status.DEPLOYED, Role.MLOPS_ENGINEER, "deploy", "deploy a version"),
    Rule(Status.DEPLOYED, Status.QA, Role.STAKEHOLDER, "start_qa", "move a version to QA"),
    Rule(
        Status.QA,
        Status.PRODUCTION,
        Role.MLOPS_ENGINEER,
        "promote",
        "put a version into production",
    ),
    Rule(
        Status.PRODUCTION,
        Status.MONITORING,
        Role.MLOPS_ENGINEER,
        "start_monitoring",
        "start monitoring a version",
    ),
    Rule(Status.MONITORING, Status.COMPLETE, Role.STAKEHOLDER, "complete", "complete a version"),
    Rule(Status.MONITORING, Status.DECLINED, Role.STAKEHOLDER, "decline", "decline a version"),
    Rule(Status.QA, Status.DECLINED, Role.STAKEHOLDER, "decline", "decline a version"),
    Rule(Status.DEPLOYED, Status.DECLINED, Role.STAKEHOLDER, "decline", "decline a version"),
    Rule(Status.REVIEW_PASSED, Status.DECLINED, Role.STAKEHOLDER, "decline", "decline a version"),
)
_RULES = {(rule.source, rule.target): rule for rule in RULES}
ROLLBACK_ROLE = Role.MLOPS_ENGINEER
"""Who puts an earlier approved version back into production."""


def project_policy(state: StateReader, project: str) -> Policy:
    stored = state.get(f"project/{project}/policy")
    if not isinstance(stored, dict):
        return DEFAULT_POLICY
    document = {key: value for key, value in stored.items() if key not in STAMP_FIELDS}
    return Policy.from_json(document)


def version_status(state: StateReader, project: str, version: str) -> Status:
    record = state.get(status_key(project, version))
    if not isinstance(record, dict):
        raise NotFound(f"project {project} has no version {version}")
    return Status(str(record["status"]))


def approvals(state: StateReader, project: str, version: str, target: str) -> list[tuple[str, str]]:
    """Who approved moving ``version`` to ``target``, as (org, id) (votes are review records
    kept under ``…/vote/<target>/<org>/<id>``)."""
    prefix = f"{review_prefix(project, version)}vote/{target}/"
    found = []
    for key, vote in state.scan(prefix):
        if isinstance(vote, dict) and vote.get("approve"):
            org, _, who = key[len(prefix) :].partition("/")
            found.append((org, who))
    return found


def latest_verification(
    state: StateReader, project: str, version: str
) -> dict[str, JSONValue] | None:
    found = state.get(f"{review_prefix(project, version)}verification")
    return found if isinstance(found, dict) else None


def check_transition(
    state: StateReader,
    project: str,
    version: str,
    target: Status,
    who: Actor,
    *,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
    by_vote: bool = False,
) -> Rule:
    """Judge one status change; return its rule or raise a sentence saying why not.

    ``by_vote`` means the change is the effect of the vote that completes its quorum: then the
    voter's role was checked by the vote, not against the rule's role.

    Raises:
        InvalidTransition: the version's status does not lead to ``target``.
        NotPermitted: ``who`` may not take this step.
        Conflict / InvalidArgument: a precondition does not hold.
    """
    record = require_version(state, project, version)
    current = version_status(state, project, version)
    rule = _RULES.get((current, target))
    if rule is None:
        onward = sorted(r.target.value for r in RULES if r.source == current)
        raise InvalidTransition(
            f"version {version} is {current.value}; it cannot move to {target.value}"
            + (f" (from {current.value} it can move to: {', '.join(onward)})" if onward else "")
        )
    policy = project_policy(state, project)
    quorum = policy.approvals.get(target.value)
    if not by_vote:
        require_member(state, project, who, doing=rule.doing, roles=(rule.role,))
        if rule.author_only and record.get("author") != f"{who.id}@{who.org}":
            raise NotPermitted(
                f"only the author of version {version} ({record.get('author')}) can {rule.doing}"
            )
        if quorum is not None:
            approved = approvals(state, project, version, target.value)
            missing = quorum.missing_orgs({org for org, _ in approved})
            if len(approved) < quorum.count or missing:
                raise NotPermitted(
                    f"moving version {version} to {target.value} needs {quorum.count} approvals from "
                    f"{role_plural(quorum.role)} of project {project}"
                    + (f", one from each of {', '.join(quorum.orgs)}" if quorum.orgs else "")
                    + f"; it has {len(approved)}"
                    + (f" (none from {', '.join(missing)})" if missing else "")
                )
    if target in NEEDS_REASON and not reason.strip():
        raise InvalidArgument(f"give a reason to move version {version} to {target.value}")
    if target is Status.SUBMITTED:
        kinds = {entry["kind"] for entry in record.get("artifacts", [])}
        missing = [kind for kind in policy.required_artifacts if kind not in kinds]
        if missing:
            raise InvalidArgument(
                f"project {project} requires artifacts of kind {', '.join(missing)} before a version is submitted"
            )
    if target is Status.REVIEW_PASSED:
        verification = latest_verification(state, project, version)
        if verification is None or not verification.get("ok"):
            raise NotPermitted(
                f"version {version} cannot pass review without a verification whose digests and "
                "criteria all hold; record one with review.verify"
            )
    if target is Status.DEPLOYED:
        endpoint = (details or {}).get("endpoint")
        if not isinstance(endpoint, str) or not endpoint.strip() or len(endpoint) > 2000:
            raise InvalidArgument("deploying needs details.endpoint: where the model is served")
    return rule


def apply_transition(
    ctx: Context,
    project: str,
    version: str,
    target: Status,
    *,
    reason: str = "",
    details: Mapping[str, JSONValue] | None = None,
) -> dict[str, JSONValue]:
    """Write the new status (the caller has checked it). Returns ``{from, to}``."""
    previous = version_status(ctx.state, project, version)
    record: dict[str, JSONValue] = {
        "status": target.value,
        "previous": previous.value,
        "reason": reason,
    }
    if details:
        record["details"] = dict(details)
    record.update(stamp(ctx))
    ctx.state.put(status_key(project, version), record)
    if target is Status.PRODUCTION:
        ctx.state.put(production_key(project), {"version": version} | stamp(ctx))
    return {"version": version_ref(project, version), "from": previous.value, "to": target.value}


def create_status(ctx: Context, project: str, version: str) -> None:
    """A new version starts as a draft."""
    ctx.state.put(
        status_key(project, version),
        {"status": Status.DRAFT.value, "previous": None, "reason": ""} | stamp(ctx),
    )
