"""The project policy form: its fields to a policy document, and a policy to the form's rows.

The contract (``contracts/policy.py``) validates the document; this module only turns form
fields into JSON types, so a malformed number is named here and a rule broken there.
"""

from __future__ import annotations

import math
from typing import Any

from tetherai.contracts.policy import OPERATORS
from tetherai.contracts.transitions import RULES
from tetherai.http.errors import ApiError
from tetherai.identity.roles import Role
from tetherai.vocabulary import ARTIFACT_KINDS
from tetherai.web.i18n import gettext as _
from tetherai.web.pages import PageForm

__all__ = ["VOTERS", "policy_from_form", "policy_rows", "vote_targets"]

VOTERS = (Role.AI_ENGINEER.value, Role.MLOPS_ENGINEER.value, Role.STAKEHOLDER.value)
"""Who may be asked to vote (the contract's rule for a quorum's role)."""
SPARE_CRITERIA = 2
"""Empty criterion rows the form offers beyond the current ones (no JavaScript to add rows)."""


def vote_targets() -> list[str]:
    """The statuses a transition can reach, in the order of the rules (each once)."""
    return list(dict.fromkeys(rule.target.value for rule in RULES))


def policy_rows(policy: dict[str, Any]) -> dict[str, Any]:
    """What the form shows: one row per vote target, the criteria plus spare rows."""
    approvals = policy.get("approvals") or {}
    criteria = list(policy.get("criteria") or [])
    return {
        "targets": vote_targets(),
        "approvals": approvals,
        "criteria": criteria + [{"metric": "", "op": ">=", "value": ""}] * SPARE_CRITERIA,
        "kinds": list(ARTIFACT_KINDS),
        "required": list(policy.get("required_artifacts") or []),
        "operators": list(OPERATORS),
        "voters": list(VOTERS),
        "auto_pass": bool(policy.get("auto_pass")),
    }


def _bad(message: str) -> ApiError:
    return ApiError(422, message, code="request.invalid")


def policy_from_form(form: PageForm) -> dict[str, Any]:
    """The policy document the form describes (the contract checks it further)."""
    approvals: dict[str, Any] = {}
    for target in vote_targets():
        role = form.get(f"approval_{target}_role")
        if not role:
            continue
        try:
            count = int(form.get(f"approval_{target}_count") or "1")
        except ValueError:
            raise _bad(_("The number of votes must be a whole number.")) from None
        approvals[target] = {"role": role, "count": count}
        orgs = [org.strip() for org in form.get(f"approval_{target}_orgs").split(",")]
        if any(orgs):
            approvals[target]["orgs"] = [org for org in orgs if org]
    criteria = []
    index = 0
    while f"criterion_{index}_metric" in form.fields:
        metric = form.get(f"criterion_{index}_metric")
        raw = form.get(f"criterion_{index}_value")
        if metric or raw:
            try:
                value = float(raw)
            except ValueError:
                raise _bad(
                    _("The threshold of %(metric)s must be a number.") % {"metric": metric}
                ) from None
            if not math.isfinite(value):
                raise _bad(_("The threshold of %(metric)s must be a number.") % {"metric": metric})
            criteria.append(
                {"metric": metric, "op": form.get(f"criterion_{index}_op"), "value": value}
            )
        index += 1
    return {
        "approvals": approvals,
        "required_artifacts": form.get_all("required_artifacts"),
        "criteria": criteria,
        "auto_pass": form.get("auto_pass") == "on",
    }
