"""What the signed-in person may do on a project, asked of the contracts (``project.abilities``)."""

from __future__ import annotations

from tetherai.contracts.errors import ContractError
from tetherai.services.auth import UserInfo
from tetherai.services.runtime import Runtime

__all__ = ["may_register"]


def may_register(rt: Runtime, user: UserInfo, project: str) -> tuple[bool, str]:
    """Whether the person may register versions of the project (``project.abilities``)."""
    try:
        found = rt.peer.query(
            "project", "abilities", {"project": project, "org": user.org, "id": user.username}
        )
    except ContractError as error:
        return False, error.message
    ability = found.get("register_version") if isinstance(found, dict) else None
    if not isinstance(ability, dict):
        return False, ""
    return bool(ability.get("allowed")), str(ability.get("reason") or "")
