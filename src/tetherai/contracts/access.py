"""Who may read a project: the one rule, over world state (SECURITY.md "Confidentiality").

A project's records are readable by

- its members (any project role; an auditor on the project reads it like any member),
- the org admins of the project's org,
- the org admins of the orgs its members belong to.

Anyone else — a participant of the same org who is not a member, another org's people, an
auditor not on the project — may not read it, and to them it does not exist. The rule is pure
(state in, answer out), so the contracts apply it to txs signed anywhere and the services to
every read (``services.access``).

A contract version made with :func:`confidential` refuses a tx naming a project its creator
may not read with exactly the refusal a project that does not exist gets, before it checks
anything else, so no refusal tells "exists but not yours" from "does not exist".
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tetherai.contracts._common import (
    SLUG,
    Actor,
    member_key,
    no_such_project,
    project_key,
    slugify,
    split_project,
)
from tetherai.contracts.errors import InvalidArgument, NotFound
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context, Contract, Identity, function_kind
from tetherai.ledger.state import StateReader
from tetherai.names import is_name

__all__ = [
    "CHANNEL_CONTRACTS",
    "confidential",
    "may_read_project",
    "readable_project_refs",
    "require_readable",
    "tx_project",
]

CHANNEL_CONTRACTS = frozenset({"membership", "notary"})
"""Contracts whose txs concern the channel as a whole (orgs, participants, notarized digests),
not one project: every participant of the channel may see them."""

C = TypeVar("C", bound=type[Contract])


def _well_formed(project: str) -> bool:
    org, _, slug = project.partition("/")
    return is_name(org) and bool(SLUG.fullmatch(slug))


def may_read_project(state: StateReader, project: str, who: Actor | Identity) -> bool:
    """Whether ``who`` may read ``project`` (``<org>/<slug>``); false when it does not exist."""
    if not _well_formed(project) or state.get(project_key(project)) is None:
        return False
    if state.get(member_key(project, who.org, who.id)) is not None:
        return True
    if who.role != Role.ORG_ADMIN:
        return False
    if project.partition("/")[0] == who.org:
        return True
    return any(True for _ in state.scan(f"{project_key(project)}/member/{who.org}/"))


def readable_project_refs(state: StateReader, who: Actor | Identity) -> set[str]:
    """The references of every project ``who`` may read."""
    # Keys only: the members, factsheets and policies under ``project/`` are not decoded.
    refs = {key.removeprefix("project/") for key in state.keys("project/") if key.count("/") == 2}
    return {ref for ref in refs if may_read_project(state, ref, who)}


def tx_project(contract: str, fn: str, args: Mapping[str, Any], creator_org: str) -> str | None:
    """The project a tx of a domain contract concerns, or ``None`` when it names none.

    Its ``project`` argument; for ``project.create``, the project it creates (the creator's
    org and the slug of the name), whether or not the tx was valid. ``None`` for a malformed
    reference or name: such a tx concerns no project anyone else may read.
    """
    if contract == "project" and fn == "create":
        name = args.get("name")
        if not isinstance(name, str):
            return None
        try:
            ref = f"{creator_org}/{slugify(name)}"
        except InvalidArgument:
            return None
    else:
        project = args.get("project")
        ref = project if isinstance(project, str) else ""
    return ref if _well_formed(ref) else None


def require_readable(state: StateReader, project: str, who: Actor | Identity) -> None:
    """Raise what a missing project raises unless ``who`` may read ``project``.

    Raises:
        InvalidArgument: ``project`` is not a project reference.
        NotFound: the project does not exist, or ``who`` may not read it (the same message).
    """
    split_project(project)
    if not may_read_project(state, project, who):
        raise NotFound(no_such_project(project))


def _guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def guarded(self: Contract, ctx: Context, /, **args: Any) -> Any:
        project = args.get("project")
        if isinstance(project, str):
            require_readable(ctx.state, project, ctx.creator)
        return function(self, ctx, **args)

    return guarded


def confidential(cls: C) -> C:
    """Make a contract class a confidential version (a class decorator).

    Every tx function of the class that takes a ``project`` first checks that the tx's creator
    may read it (:func:`require_readable`). The class gets ``confidential = True``, which
    functions consult for rules of their own (reuse and parents need a readable source).
    """
    for attribute in dir(cls):
        member = getattr(cls, attribute)
        if (
            function_kind(member) == "transaction"
            and "project" in inspect.signature(member).parameters
        ):
            setattr(cls, attribute, _guarded(member))
    cls.confidential = True  # type: ignore[attr-defined]
    return cls
