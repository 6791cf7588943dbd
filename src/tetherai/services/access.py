"""Who may read what (confidentiality), decided from the ledger's own records.

A project's versions, artifacts, reviews and history are visible to its members (auditors are
granted access by being added as members), and to the org admins of the project's org and of
its members' orgs. The rule reads membership from world state, so the API and every other
front end ask this one function.
"""

from __future__ import annotations

from tetherai.identity.roles import Role
from tetherai.ledger.state import StateReader

__all__ = ["can_read_project", "readable_projects"]


def can_read_project(
    state: StateReader, project: str, *, org: str, participant: str, role: str
) -> bool:
    """Whether ``participant@org`` (of ``role``) may read ``project`` (``<org>/<slug>``)."""
    if state.get(f"project/{project}/member/{org}/{participant}") is not None:
        return True
    if role != Role.ORG_ADMIN:
        return False
    if project.split("/", 1)[0] == org:
        return True
    return any(
        key.startswith(f"project/{project}/member/{org}/")
        for key, _ in state.scan(f"project/{project}/member/")
    )


def readable_projects(state: StateReader, *, org: str, participant: str, role: str) -> set[str]:
    """The references of every project ``participant@org`` may read."""
    refs = {
        key.removeprefix("project/") for key, _ in state.scan("project/") if key.count("/") == 2
    }
    return {
        ref
        for ref in refs
        if can_read_project(state, ref, org=org, participant=participant, role=role)
    }
