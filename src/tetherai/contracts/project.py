"""The project contract (DESIGN.md §5): projects, members, purpose and AI factsheet, policy.

A project belongs to the org of whoever creates it and is named ``<org>/<slug>``, the slug
made from its name, so a name is unique per org. Members may come from any org of the
channel; a member's project role is their enrolled role. Every change is its own tx, so the
keys' history says who changed what, and when.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tetherai.contracts import arguments
from tetherai.contracts._common import (
    Actor,
    Result,
    digest,
    member_key,
    member_role,
    policy_key,
    project_key,
    require_member,
    require_project,
    role_name,
    slugify,
    stamp,
    text,
)
from tetherai.contracts.access import confidential
from tetherai.contracts.errors import Conflict, InvalidArgument, NotFound, NotPermitted
from tetherai.contracts.model_version import check_can_register
from tetherai.contracts.policy import Policy
from tetherai.crypto.jcs import JSONValue
from tetherai.identity.roles import Role
from tetherai.ledger.contract import (
    Context,
    Contract,
    Identity,
    QueryContext,
    query,
    transaction,
)
from tetherai.ledger.state import StateReader
from tetherai.vocabulary import PROJECT_ROLES

__all__ = ["Project", "ProjectV2"]

CREATORS = (Role.AI_ENGINEER, Role.STAKEHOLDER, Role.ORG_ADMIN)
FACTSHEET_TEXTS = {"purpose": 5000, "intended_use": 5000, "out_of_scope_uses": 5000, "risks": 10000}
MAX_LIST = 50


def _participant(ctx: Context | QueryContext, org: str, participant: str) -> dict[str, JSONValue]:
    record = ctx.state.get(f"membership/participant/{org}/{participant}")
    if not isinstance(record, dict):
        raise NotFound(f"there is no participant {participant}@{org} on this channel")
    return record


def _check_manager(
    state: StateReader,
    project: str,
    record: dict[str, JSONValue],
    who: Identity | Actor,
    doing: str,
) -> None:
    """The creator, a stakeholder member, or an org admin of the project's org may manage it."""
    if record.get("created_by") == f"{who.id}@{who.org}":
        return
    if who.role == Role.ORG_ADMIN and who.org == record.get("org"):
        return
    role = member_role(state, project, who)
    if role == Role.STAKEHOLDER:
        return
    raise NotPermitted(
        f"only the creator, a stakeholder of project {project} or an org admin of {record.get('org')} "
        f"can {doing}; you are {role_name(who.role)}" + ("" if role else " and not a member")
    )


def _require_manager(ctx: Context, project: str, record: dict[str, JSONValue], doing: str) -> None:
    _check_manager(ctx.state, project, record, ctx.creator, doing)


def _check_factsheet_editor(
    state: StateReader, project: str, record: dict[str, JSONValue], who: Identity | Actor
) -> None:
    """The creator, or a stakeholder member, may set the purpose and factsheet."""
    if record.get("created_by") != f"{who.id}@{who.org}":
        require_member(
            state, project, who, doing="set the purpose and factsheet", roles=(Role.STAKEHOLDER,)
        )


def _factsheet(value: Any) -> dict[str, JSONValue]:
    if not isinstance(value, dict):
        raise InvalidArgument("the factsheet must be an object")
    allowed = {*FACTSHEET_TEXTS, "key_contacts", "documents"}
    unknown = set(value) - allowed
    if unknown:
        raise InvalidArgument(
            f"unknown factsheet field(s): {', '.join(sorted(unknown))}; use {', '.join(sorted(allowed))}"
        )
    sheet: dict[str, JSONValue] = {}
    for field, limit in FACTSHEET_TEXTS.items():
        sheet[field] = text(value.get(field, ""), f"factsheet.{field}", limit=limit)
    contacts = value.get("key_contacts", [])
    if not isinstance(contacts, list) or len(contacts) > MAX_LIST:
        raise InvalidArgument(f"factsheet.key_contacts must be a list of at most {MAX_LIST}")
    checked_contacts: list[JSONValue] = []
    for contact in contacts:
        if not isinstance(contact, dict) or not {"name", "role"} <= set(contact) <= {
            "name",
            "role",
            "contact",
        }:
            raise InvalidArgument("each key contact must be {name, role, contact?}")
        checked_contacts.append(
            {k: text(v, f"key contact {k}", limit=200) for k, v in contact.items()}
        )
    sheet["key_contacts"] = checked_contacts
    documents = value.get("documents", [])
    if not isinstance(documents, list) or len(documents) > MAX_LIST:
        raise InvalidArgument(f"factsheet.documents must be a list of at most {MAX_LIST}")
    checked_documents: list[JSONValue] = []
    for document in documents:
        if not isinstance(document, dict) or not {"name", "sha256"} <= set(document) <= {
            "name",
            "sha256",
            "uri",
        }:
            raise InvalidArgument("each factsheet document must be {name, sha256, uri?}")
        checked_documents.append(
            {
                "name": text(document["name"], "document name", limit=200, required=True),
                "sha256": digest(document["sha256"], f"the digest of {document['name']!r}"),
                "uri": text(document.get("uri", ""), "document uri", limit=2000),
            }
        )
    sheet["documents"] = checked_documents
    return sheet


class Project(Contract):
    name = "project"
    version = "1"
    legacy = True  # channels on it keep it; none may switch back to it from version 2

    @transaction
    def create(self, ctx: Context, name: str, domain: str = "", details: str = "") -> Result:
        """Create a project in the creator's org; the creator becomes a member (admins excepted)."""
        creator = ctx.creator
        if creator.role not in CREATORS:
            raise NotPermitted(
                f"only AI engineers, stakeholders and org admins can create projects; you are {role_name(creator.role)}"
            )
        arguments.PROJECT_NAME.check(name)
        ref = f"{creator.org}/{slugify(name)}"
        if ctx.state.get(project_key(ref)) is not None:
            raise Conflict(f"org {creator.org} already has a project named like {name!r} ({ref})")
        record: dict[str, JSONValue] = {
            "ref": ref,
            "org": creator.org,
            "name": name,
            "domain": arguments.PROJECT_DOMAIN.check(domain),
            "details": arguments.PROJECT_DETAILS.check(details),
            "created_by": f"{creator.id}@{creator.org}",
            "created_at": ctx.block_ts,
        }
        ctx.state.put(project_key(ref), record | stamp(ctx))
        if creator.role != Role.ORG_ADMIN:
            ctx.state.put(
                member_key(ref, creator.org, creator.id),
                {"org": creator.org, "id": creator.id, "role": creator.role} | stamp(ctx),
            )
        return {"project": ref}

    @transaction
    def update(
        self,
        ctx: Context,
        project: str,
        name: str | None = None,
        domain: str | None = None,
        details: str | None = None,
    ) -> Result:
        """Change a project's display name, domain or details (its reference stays)."""
        record = require_project(ctx.state, project)
        _require_manager(ctx, project, record, "change the project")
        given = {"name": name, "domain": domain, "details": details}
        changed = arguments.check_changes(arguments.PROJECT_CHANGES, given)
        if not changed:
            raise InvalidArgument("nothing to change: give name, domain or details")
        ctx.state.put(project_key(project), record | changed | stamp(ctx))
        return {"project": project, "changed": sorted(changed)}

    @transaction
    def add_member(self, ctx: Context, project: str, org: str, id: str) -> Result:
        """Add an enrolled participant of any channel org; their project role is their enrolled role."""
        record = require_project(ctx.state, project)
        _require_manager(ctx, project, record, "add members")
        participant = _participant(ctx, org, id)
        role = str(participant["role"])
        if role not in PROJECT_ROLES:
            raise InvalidArgument(
                f"{id}@{org} is {role_name(role)}; project members are engineers, stakeholders or auditors"
            )
        if ctx.state.get(member_key(project, org, id)) is not None:
            raise Conflict(f"{id}@{org} is already a member of project {project}")
        ctx.state.put(
            member_key(project, org, id), {"org": org, "id": id, "role": role} | stamp(ctx)
        )
        return {"project": project, "member": f"{id}@{org}", "role": role}

    @transaction
    def remove_member(self, ctx: Context, project: str, org: str, id: str, reason: str) -> Result:
        record = require_project(ctx.state, project)
        _require_manager(ctx, project, record, "remove members")
        arguments.MEMBER_REMOVAL_REASON.check(reason)
        if ctx.state.get(member_key(project, org, id)) is None:
            raise NotFound(f"{id}@{org} is not a member of project {project}")
        ctx.state.delete(member_key(project, org, id))
        return {"project": project, "removed": f"{id}@{org}", "reason": reason}

    @transaction
    def set_factsheet(self, ctx: Context, project: str, factsheet: dict[str, Any]) -> Result:
        """Set the purpose and AI factsheet (intended use, out-of-scope uses, contacts, risks, documents)."""
        record = require_project(ctx.state, project)
        _check_factsheet_editor(ctx.state, project, record, ctx.creator)
        ctx.state.put(f"{project_key(project)}/factsheet", _factsheet(factsheet) | stamp(ctx))
        return {"project": project}

    @transaction
    def set_policy(self, ctx: Context, project: str, policy: dict[str, Any]) -> Result:
        """Set the workflow policy: approvals, required artifacts, acceptance criteria, auto-pass."""
        record = require_project(ctx.state, project)
        _require_manager(ctx, project, record, "set the project's policy")
        checked = Policy.from_json(policy)
        ctx.state.put(policy_key(project), checked.to_json() | stamp(ctx))
        return {"project": project, "policy": checked.to_json()}

    @query
    def get(self, ctx: QueryContext, project: str) -> Result:
        """The project with its members, factsheet and policy."""
        record = require_project(ctx.state, project)
        members = [value for _, value in ctx.state.scan(f"{project_key(project)}/member/")]
        return {
            "project": record,
            "members": members,
            "factsheet": ctx.state.get(f"{project_key(project)}/factsheet"),
            "policy": ctx.state.get(policy_key(project)),
        }

    @query
    def abilities(self, ctx: QueryContext, project: str, org: str, id: str) -> Result:
        """What ``id@org`` may change on the project now (the same checks as the txs), and why not."""
        record = require_project(ctx.state, project)
        participant = _participant(ctx, org, id)
        who = Actor(org, id, str(participant["role"]))
        checks: dict[str, Callable[[], None]] = {
            "manage": lambda: _check_manager(ctx.state, project, record, who, "manage it"),
            "set_factsheet": lambda: _check_factsheet_editor(ctx.state, project, record, who),
            "register_version": lambda: check_can_register(ctx.state, project, who),
        }
        result: dict[str, JSONValue] = {}
        for name, check in checks.items():
            try:
                check()
            except NotPermitted as refusal:
                result[name] = {"allowed": False, "reason": refusal.message}
            else:
                result[name] = {"allowed": True, "reason": None}
        return result

    @query
    def list_projects(self, ctx: QueryContext, org: str = "") -> Result:
        """Projects (of one org, or all), without their sub-records."""
        prefix = f"project/{org}/" if org else "project/"
        # The project records alone are read: not their members, factsheets and policies.
        found = (ctx.state.get(key) for key in ctx.state.keys(prefix) if key.count("/") == 2)
        return [value for value in found if value is not None]


@confidential
class ProjectV2(Project):
    """Version 2: confidential (``contracts.access``): a tx naming a project its creator may
    not read is refused exactly as one naming a project that does not exist."""

    version = "2"
    legacy = False
