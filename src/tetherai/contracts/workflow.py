"""The workflow contract (DESIGN.md §5): move a version, roll production back, and say which
actions a participant may take on a version now.

The rules it applies are :mod:`tetherai.contracts.transitions`; the actions it lists are
checked by the same functions the txs call (this contract's, and the review contract's).
"""

from __future__ import annotations

from typing import Any

from tetherai.contracts import arguments, calls, review
from tetherai.contracts._common import (
    Actor,
    Record,
    Result,
    production_key,
    require_member,
    require_project,
    status_key,
)
from tetherai.contracts.access import confidential
from tetherai.contracts.errors import (
    ContractError,
    InvalidArgument,
    InvalidTransition,
    NotFound,
)
from tetherai.contracts.transitions import (
    ROLLBACK_ROLE,
    RULES,
    Rule,
    apply_transition,
    check_transition,
    version_status,
)
from tetherai.crypto.jcs import JSONValue
from tetherai.ledger.contract import Context, Contract, QueryContext, query, transaction
from tetherai.ledger.state import StateReader
from tetherai.vocabulary import APPROVED, LIVE, Status

__all__ = ["Workflow", "WorkflowV2", "available_actions"]


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
        target = arguments.status_named(to)
        if target is Status.SUBMITTED:
            raise InvalidArgument(
                "a version is submitted with model_version.submit, which freezes and indexes it"
            )
        arguments.TRANSITION_REASON.check(reason)
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
        arguments.ROLLBACK_REASON.check(reason)
        require_project(ctx.state, project)
        require_member(
            ctx.state,
            project,
            ctx.creator,
            doing="roll back production",
            roles=(ROLLBACK_ROLE,),
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
    """Every action on a version with whether ``id@org`` may take it now (and if not, why).

    Each entry: ``{action, contract, fn, args, allowed, reason, code[, to]}`` — the call as far
    as it is known before the person's input, the refusal's sentence and code when not allowed,
    and for a step of the workflow the status it leads to."""
    participant = state.get(f"membership/participant/{org}/{id}")
    if not isinstance(participant, dict):
        raise NotFound(f"there is no participant {id}@{org}")
    who = Actor(org, id, str(participant["role"]))
    current = version_status(state, project, version)
    # Each action's call as far as it is known before the person fills in its form (the
    # builders of contracts.calls: a draft's "submit" is model_version.submit).
    candidates: list[tuple[str, calls.Call, Any, Status | None]] = [
        (
            rule.action,
            calls.transition(project, version, rule.target),
            _transition_probe(rule, who),
            rule.target,
        )
        for rule in RULES
        if rule.source == current
    ]
    candidates.extend(
        (action, call, probe, None)
        for action, call, probe in review.action_probes(state, project, version, who, current)
    )
    if current in LIVE:
        rollback = calls.Call("workflow", "rollback", {"project": project})
        candidates.append(("rollback", rollback, _rollback_probe(project, who), None))
    result: list[Record] = []
    for action, call, probe, target in candidates:
        entry: Record = {"action": action} | call.to_json()
        if target is not None:
            entry["to"] = target.value
        try:
            probe(state, project, version)
        except ContractError as error:
            # The refusal the tx would get: its sentence and its code.
            entry |= {"allowed": False, "reason": error.message, "code": error.code}
        else:
            entry |= {"allowed": True, "reason": None, "code": None}
        result.append(entry)
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
        require_member(state, project, who, doing="roll back production", roles=(ROLLBACK_ROLE,))

    return probe


@confidential
class WorkflowV2(Workflow):
    """Version 2: confidential (``contracts.access``): a tx naming a project its creator may
    not read is refused exactly as one naming a project that does not exist."""

    version = "2"
    legacy = False
