"""Shared pieces of the domain contracts: references, keys, actors, argument checks.

A project is referred to as ``<org>/<slug>`` and a model version as ``<org>/<slug>/<version>``.
State keys (DESIGN.md §5), always with a trailing ``/`` before sub-keys so prefix scans of
``v1/`` never match ``v10``:

- ``project/<org>/<slug>``                       the project's core record
- ``project/<org>/<slug>/member/<org>/<id>``     a member and their project role
- ``project/<org>/<slug>/factsheet``             purpose and AI factsheet
- ``project/<org>/<slug>/policy``                the workflow policy
- ``model_version/<org>/<slug>/<version>``       a version's content (frozen once submitted)
- ``model_version/_lineage/<child ref>/<parent ref>`` and ``model_version/_used_by/<parent ref>/<child ref>``
- ``model_version/_digest/<sha256>/<version ref>/<artifact name>``   where an artifact is used
- ``workflow/<org>/<slug>/<version>``            the version's status
- ``workflow/<org>/<slug>/_production``          which version is in production
- ``review/<org>/<slug>/<version>/...``          verifications, comments, ratings, votes, documents
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tetherai.contracts.errors import InvalidArgument, NotFound, NotPermitted
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context, Identity
from tetherai.ledger.state import StateReader
from tetherai.names import NAME_RULE, is_name

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
SHA256 = re.compile(r"[0-9a-f]{64}")

ROLE_NAMES = {
    Role.AI_ENGINEER: "an AI engineer",
    Role.MLOPS_ENGINEER: "an MLOps engineer",
    Role.STAKEHOLDER: "a stakeholder",
    Role.AUDITOR: "an auditor",
    Role.ORG_ADMIN: "an org admin",
    Role.OPERATOR: "an operator",
}


ROLE_PLURALS = {
    Role.AI_ENGINEER: "AI engineers",
    Role.MLOPS_ENGINEER: "MLOps engineers",
    Role.STAKEHOLDER: "stakeholders",
    Role.AUDITOR: "auditors",
    Role.ORG_ADMIN: "org admins",
    Role.OPERATOR: "operators",
}


def role_plural(role: str) -> str:
    try:
        return ROLE_PLURALS[Role(role)]
    except ValueError:
        return f"{role}s"


def role_name(role: str) -> str:
    try:
        return ROLE_NAMES[Role(role)]
    except ValueError:
        return f"a {role}"


def actor(identity: Identity | Actor) -> str:
    return f"{identity.id}@{identity.org}"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: enough of an identity to judge permissions (also for "what may P do?")."""

    org: str
    id: str
    role: str

    @classmethod
    def of(cls, identity: Identity) -> Actor:
        return cls(identity.org, identity.id, identity.role)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63]
    if not SLUG.fullmatch(slug):
        raise InvalidArgument(
            f"cannot make an identifier from the name {name!r}; use letters or digits"
        )
    return slug


def split_project(ref: str) -> tuple[str, str]:
    org, _, slug = ref.partition("/")
    if not is_name(org) or not SLUG.fullmatch(slug):
        raise InvalidArgument(f"{ref!r} is not a project reference (<org>/<project>)")
    return org, slug


def version_ref(project: str, version: str) -> str:
    split_project(project)
    if not is_name(version):
        raise InvalidArgument(f"{version!r:.80} is not a version name: use {NAME_RULE}")
    return f"{project}/{version}"


def split_version_ref(ref: str) -> tuple[str, str]:
    project, _, version = ref.rpartition("/")
    version_ref(project, version)
    return project, version


def project_key(project: str) -> str:
    return f"project/{project}"


def member_key(project: str, org: str, participant: str) -> str:
    return f"project/{project}/member/{org}/{participant}"


def policy_key(project: str) -> str:
    return f"project/{project}/policy"


def version_key(project: str, version: str) -> str:
    return f"model_version/{project}/{version}"


def status_key(project: str, version: str) -> str:
    return f"workflow/{project}/{version}"


def production_key(project: str) -> str:
    return f"workflow/{project}/_production"


def review_prefix(project: str, version: str) -> str:
    return f"review/{project}/{version}/"


def review_kind(prefix: str, key: str) -> str:
    """The kind of a review record (``comment``, ``vote``, ``verification``, …) from its key
    under ``review_prefix``: the records of a version's review are grouped by it."""
    return key[len(prefix) :].split("/", 1)[0]


# Records read back from state are JSON objects whose shape the contract that wrote them knows;
# they are typed loosely here rather than cast at every field access.
Record = dict[str, Any]
# What a contract function returns: JSON, checked when the tx's result is canonicalized
# (anything else makes the tx invalid with ``contract.bad_output``).
Result = Record | list[Any] | str | int | float | bool | None


def no_such_project(project: str) -> str:
    """The refusal for a project that does not exist (or that the caller may not read)."""
    return f"there is no project {project}"


def require_project(state: StateReader, project: str) -> Record:
    split_project(project)
    record = state.get(project_key(project))
    if not isinstance(record, dict):
        raise NotFound(no_such_project(project))
    return record


def require_version(state: StateReader, project: str, version: str) -> Record:
    require_project(state, project)
    version_ref(project, version)  # validates the name
    record = state.get(version_key(project, version))
    if not isinstance(record, dict):
        raise NotFound(f"project {project} has no version {version}")
    return record


def member_role(state: StateReader, project: str, identity: Identity | Actor) -> str | None:
    record = state.get(member_key(project, identity.org, identity.id))
    return str(record["role"]) if isinstance(record, dict) else None


def require_member(
    state: StateReader,
    project: str,
    who: Identity | Actor,
    *,
    doing: str,
    roles: tuple[str, ...] = (),
) -> str:
    """``who``'s project role; raise a sentence saying why they may not be ``doing``."""
    role = member_role(state, project, who)
    if role is None:
        raise NotPermitted(f"only members of project {project} can {doing}; you are not a member")
    if roles and role not in roles:
        wanted = " or ".join(role_name(r) for r in roles)
        raise NotPermitted(
            f"only {wanted} of project {project} can {doing}; you are {role_name(role)}"
        )
    return role


def text(value: Any, what: str, *, limit: int, required: bool = False) -> str:
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        need = "a non-empty text" if required else "a text"
        raise InvalidArgument(f"{what} must be {need} of at most {limit} characters")
    return value


def digest(value: Any, what: str) -> str:
    if not isinstance(value, str) or not SHA256.fullmatch(value):
        raise InvalidArgument(f"{what} must be a SHA-256 digest (64 lowercase hex characters)")
    return value


STAMP_FIELDS = frozenset({"by", "at", "tx_id"})


def stamp(ctx: Context) -> Record:
    """Who did it and when, as every record keeps it."""
    return {"by": actor(ctx.creator), "at": ctx.block_ts, "tx_id": ctx.tx_id}
