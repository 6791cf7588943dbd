"""The version workflow (DESIGN.md §5): states, who may move a version where, and rollback.

Every status change of a model version goes through :func:`apply_transition`, after
:func:`check_transition` has judged it against the default rules below and the project's
policy (quorums of votes, acceptance criteria). The model_version, review and workflow
contracts all move versions through these two functions, and "what may this participant do
now?" (:func:`available_actions`) asks the same checks — the rule is written once.

Default rules (role of the project member who may take each step)::

    draft ─submit (author)─▶ submitted ─start_review (MLOps)─▶ reviewing
    reviewing ─pass_review (MLOps; needs a matching verification)─▶ review_passed
    reviewing ─fail_review (MLOps) or a mismatching verification─▶ review_failed
    review_passed ─deploy (MLOps; endpoint)─▶ deployed ─start_qa (stakeholder)─▶ qa
    qa ─promote (MLOps)─▶ production ─start_monitoring (MLOps)─▶ monitoring
    monitoring ─complete / decline (stakeholder)─▶ complete | declined
    review_passed, deployed, qa ─decline (stakeholder)─▶ declined
    production | monitoring ─rollback (MLOps)─▶ rolled_back, an earlier approved version ─▶ production
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tetherai.contracts._common import (
    STAMP_FIELDS,
    Actor,
    Record,
    Result,
    production_key,
    require_member,
    require_project,
    require_version,
    review_prefix,
    role_plural,
    stamp,
    status_key,
    text,
    version_ref,
)
from tetherai.contracts.access import confidential
from tetherai.contracts.errors import (
    ContractError,
    InvalidArgument,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from tetherai.contracts.policy import DEFAULT_POLICY, Policy
from tetherai.crypto.jcs import JSONValue
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context, Contract, QueryContext, query, transaction
from tetherai.ledger.state import StateReader

__all__ = [
    "APPROVED",
    "RULES",
    "Rule",
    "Status",
    "Workflow",
    "WorkflowV2",
    "apply_transition",
    "available_actions",
    "check_transition",
    "project_policy",
    "version_status",
]


class Status(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWING = "reviewing"
    REVIEW_PASSED = "review_passed"
    REVIEW_FAILED = "review_failed"
    DEPLOYED = "deployed"
    QA = "qa"
    PRODUCTION = "production"
    MONITORING = "monitoring"
    COMPLETE = "complete"
    DECLINED = "declined"
    ROLLED_BACK = "rolled_back"


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
NEEDS_REASON = frozenset({Status.REVIEW_FAILED, Status.DECLINED, Status.ROLLED_BACK})
# Versions that passed a review and were not declined: what a rollback may restore.
APPROVED = frozenset(
    {
        Status.REVIEW_PASSED,
        Status.DEPLOYED,
        Status.QA,
        Status.MONITORING,
        Status.COMPLETE,
        Status.ROLLED_BACK,
    }
)
LIVE = frozenset({Status.PRODUCTION, Status.MONITORING})


def project_policy(state: StateReader, project: str) -> Policy:
    stored = state.get(f"project/{project}/policy")
    if not isinstance(stored, dict):
        return DEFAULT_POLICY
    document = {key: value for key, value in stored.items() if key not in STAMP_FIELDS}
    return Policy.from_json(document, statuses=tuple(Status))


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


class Workflow(Contract):
    """Moves versions between states and rolls production back."""

    name = "workflow"
    version = "1"
    legacy = True  # channels on it keep it; none may switch back to it from version 2

    @transaction
    def transition(
        self,
        ctx: Context,
        project: str,
        version: str,
        to: str,
        reason: str = "",
        details: dict[str, Any] | None = None,
    ) -> Result:
        """Move a version to status ``to`` as the rules and the project's policy allow."""
        try:
            target = Status(to)
        except ValueError:
            raise InvalidArgument(f"{to!r} is not a version status") from None
        if target is Status.SUBMITTED:
            raise InvalidArgument(
                "a version is submitted with model_version.submit, which freezes and indexes it"
            )
        text(reason, "reason", limit=2000)
        check_transition(
            ctx.state,
            project,
            version,
            target,
            Actor.of(ctx.creator),
            reason=reason,
            details=details,
        )
        return apply_transition(ctx, project, version, target, reason=reason, details=details)

    @transaction
    def rollback(self, ctx: Context, project: str, version: str, reason: str) -> Result:
        """Put an earlier approved ``version`` back into production; the live one is rolled back."""
        text(reason, "reason", limit=2000, required=True)
        require_project(ctx.state, project)
        require_member(
            ctx.state,
            project,
            ctx.creator,
            doing="roll back production",
            roles=(Role.MLOPS_ENGINEER,),
        )
        live = ctx.state.get(production_key(project))
        if not isinstance(live, dict):
            raise NotFound(
                f"no version of project {project} is in production; there is nothing to roll back"
            )
        current = str(live["version"])
        if version_status(ctx.state, project, current) not in LIVE:
            raise InvalidTransition(
                f"version {current} is no longer live; there is nothing to roll back"
            )
        if version == current:
            raise InvalidArgument(
                f"version {version} is the one in production; name an earlier approved version"
            )
        restored = version_status(ctx.state, project, version)
        if restored not in APPROVED:
            raise InvalidTransition(
                f"version {version} is {restored.value}; only a version that passed review can be put back"
            )
        rolled = apply_transition(ctx, project, current, Status.ROLLED_BACK, reason=reason)
        promoted = apply_transition(
            ctx, project, version, Status.PRODUCTION, reason=f"rollback: {reason}"
        )
        return {"rolled_back": rolled, "restored": promoted}

    @query
    def status(self, ctx: QueryContext, project: str, version: str) -> Result:
        return ctx.state.get(status_key(project, version))

    @query
    def actions(self, ctx: QueryContext, project: str, version: str, org: str, id: str) -> Result:
        """Which actions participant ``id@org`` can take on the version now, and why not the others."""
        return available_actions(ctx.state, project, version, org, id)


def available_actions(
    state: StateReader, project: str, version: str, org: str, id: str
) -> list[dict[str, JSONValue]]:
    """Every action on a version with whether ``id@org`` may take it now (and if not, why)."""
    participant = state.get(f"membership/participant/{org}/{id}")
    if not isinstance(participant, dict):
        raise NotFound(f"there is no participant {id}@{org}")
    who = Actor(org, id, str(participant["role"]))
    current = version_status(state, project, version)
    candidates: list[tuple[str, str, str, dict[str, JSONValue], Any]] = []
    for rule in RULES:
        if rule.source == current:
            args: dict[str, JSONValue] = {
                "project": project,
                "version": version,
                "to": rule.target.value,
            }
            candidates.append(
                (rule.action, "workflow", "transition", args, _transition_probe(rule, who))
            )
    from tetherai.contracts import (
        review,
    )  # the review contract's checks, by import to avoid a cycle

    candidates.extend(review.action_probes(state, project, version, who, current))
    if current in LIVE:
        candidates.append(
            (
                "rollback",
                "workflow",
                "rollback",
                {"project": project},
                _rollback_probe(project, who),
            )
        )
    result: list[Record] = []
    for action, contract, fn, args, probe in candidates:
        try:
            probe(state, project, version)
        except ContractError as error:
            result.append(
                {
                    "action": action,
                    "contract": contract,
                    "fn": fn,
                    "args": args,
                    "allowed": False,
                    "reason": error.message,
                }
            )
        else:
            result.append(
                {
                    "action": action,
                    "contract": contract,
                    "fn": fn,
                    "args": args,
                    "allowed": True,
                    "reason": None,
                }
            )
    return result


def _transition_probe(rule: Rule, who: Actor) -> Any:
    def probe(state: StateReader, project: str, version: str) -> None:
        # Reasons and details are asked of the person by the form; judge the rest.
        check_transition(
            state,
            project,
            version,
            rule.target,
            who,
            reason="(reason)",
            details={"endpoint": "(endpoint)"},
        )

    return probe


def _rollback_probe(project: str, who: Actor) -> Any:
    def probe(state: StateReader, project: str, version: str) -> None:
        require_member(
            state, project, who, doing="roll back production", roles=(Role.MLOPS_ENGINEER,)
        )

    return probe


@confidential
class WorkflowV2(Workflow):
    """Version 2: confidential (``contracts.access``): a tx naming a project its creator may
    not read is refused exactly as one naming a project that does not exist."""

    version = "2"
    legacy = False
