"""Who may see what: the one visibility rule for every read (SECURITY.md "Confidentiality").

A project is readable by its members (auditors on it included), the org admins of its org and
the org admins of its members' orgs (``contracts.access.may_read_project``, the rule the
confidential contracts apply to txs). Everything a person is shown is decided from that here,
and the API routes and the web pages call these functions; neither keeps a copy:

- projects (:func:`require_readable_project`, :func:`readable_projects`);
- txs, their refusals and proofs, and blocks (``services.ledger_views``, built on
  :class:`Visibility`): a tx is visible to its creator, to everyone on the channel when it
  concerns the channel (membership, notary), else to the readers of the project it concerns —
  every tx kind maps to one (``contracts.access.tx_project``, ``project.create`` included);
- notifications (:meth:`Visibility.project`) and webhook events (:func:`reader_orgs`);
- references to other projects' versions in lineage and reuse provenance
  (:func:`filter_lineage`, :func:`filter_version`, :func:`filter_uses`).

To anyone else a project, version or tx does not exist: every refusal here is the one a
missing thing gets, word for word.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tetherai.contracts._common import Actor, no_such_project
from tetherai.contracts.access import (
    CHANNEL_CONTRACTS,
    may_read_project,
    readable_project_refs,
    tx_project,
)
from tetherai.contracts.errors import NotFound
from tetherai.ledger.state import StateReader
from tetherai.ledger.transaction import Transaction

if TYPE_CHECKING:
    from tetherai.services.auth import UserInfo

__all__ = [
    "TxScope",
    "Viewer",
    "Visibility",
    "can_read_project",
    "filter_lineage",
    "filter_uses",
    "filter_version",
    "readable_projects",
    "reader_orgs",
    "require_readable_project",
    "same_for_every_reader",
    "tx_scope",
    "viewer",
    "viewer_of",
]

Viewer = Actor
"""Who is looking: an org, a participant id and the role their account has."""

PROJECT_HINT = "a project is visible to its members and their org admins"


def viewer(org: str, participant: str, role: str) -> Viewer:
    return Actor(org, participant, str(role))


def viewer_of(user: UserInfo) -> Viewer:
    """The viewer a signed-in account is: its org, username (its participant id) and role."""
    return Actor(user.org, user.username, str(user.role))


def can_read_project(state: StateReader, project: str, who: Viewer) -> bool:
    """Whether ``who`` may read ``project`` (false when it does not exist)."""
    return may_read_project(state, project, who)


def require_readable_project(state: StateReader, project: str, who: Viewer) -> None:
    """Refuse a project ``who`` may not read exactly as one that does not exist.

    Raises:
        NotFound: ``contract.not_found``, "there is no project <ref>", for both.
    """
    if not may_read_project(state, project, who):
        raise NotFound(no_such_project(project), hint=PROJECT_HINT)


def readable_projects(state: StateReader, who: Viewer) -> set[str]:
    """The references of every project ``who`` may read."""
    return readable_project_refs(state, who)


def reader_orgs(state: StateReader, project: str) -> set[str]:
    """The orgs whose admins may read ``project``: its own org and its members' orgs (the
    orgs whose webhooks hear of its events)."""
    orgs = {project.partition("/")[0]}
    for _, member in state.scan(f"project/{project}/member/"):
        if isinstance(member, dict):
            orgs.add(str(member.get("org")))
    return orgs


@dataclass
class Visibility:
    """The rule for one viewer over one state, remembering each project's answer."""

    state: StateReader
    who: Viewer
    _projects: dict[str, bool] = field(default_factory=dict)

    def project(self, ref: str) -> bool:
        """Whether the viewer may read project ``ref``."""
        if ref not in self._projects:
            self._projects[ref] = may_read_project(self.state, ref, self.who)
        return self._projects[ref]

    def version(self, ref: str) -> bool:
        """Whether the viewer may read the version ``<org>/<slug>/<version>``."""
        return self.project(str(ref).rpartition("/")[0])

    def tx(self, tx: Transaction) -> bool:
        """Whether the viewer may see ``tx``: its creator, anyone on the channel for a
        channel-wide tx, else the readers of the project it concerns."""
        return self.scope(tx_scope(tx))

    def scope(self, scope: TxScope) -> bool:
        """:meth:`tx` for a tx known by its :func:`tx_scope`."""
        if scope.creator_org == self.who.org and scope.creator_id == self.who.id:
            return True
        if scope.channel_wide:
            return True
        return scope.project is not None and self.project(scope.project)


@dataclass(frozen=True, slots=True)
class TxScope:
    """What decides who may see a tx: its creator, whether it concerns the whole channel,
    else the project it concerns (``None``: none anyone else may read). A tx's scope never
    changes (who may read that project does), so it may be remembered by tx id."""

    creator_org: str
    creator_id: str
    channel_wide: bool
    project: str | None


def tx_scope(tx: Transaction) -> TxScope:
    channel_wide = tx.contract in CHANNEL_CONTRACTS
    return TxScope(
        tx.creator.org,
        tx.creator.id,
        channel_wide,
        None if channel_wide else tx_project(tx.contract, tx.fn, tx.args, tx.creator.org),
    )


def filter_version(found: Any, visible: Visibility) -> Any:
    """A ``model_version.get`` answer (or a version record) with references to versions the
    viewer may not read taken out: unreadable parents dropped, unreadable reuse sources
    nulled (the artifact itself is this version's own)."""
    if not isinstance(found, dict):
        return found
    if isinstance(found.get("version"), dict):
        return found | {"version": filter_version(found["version"], visible)}
    record = dict(found)
    if isinstance(record.get("parents"), list):
        record["parents"] = [
            p
            for p in record["parents"]
            if not isinstance(p, dict) or visible.version(str(p.get("ref", "")))
        ]
    if isinstance(record.get("artifacts"), list):
        record["artifacts"] = [_artifact(a, visible) for a in record["artifacts"]]
    return record


def same_for_every_reader(found: Any) -> bool:
    """Whether :func:`filter_version` leaves ``found`` as it is for every viewer: it names no
    parent and reuses no artifact of another version (so one encoding serves all readers)."""
    if not isinstance(found, dict):
        return True
    if isinstance(found.get("version"), dict):
        return same_for_every_reader(found["version"])
    if found.get("parents"):
        return False
    artifacts = found.get("artifacts")
    return not isinstance(artifacts, list) or not any(
        isinstance(a, dict) and a.get("reused_from") is not None for a in artifacts
    )


def _artifact(artifact: Any, visible: Visibility) -> Any:
    source = artifact.get("reused_from") if isinstance(artifact, dict) else None
    if source is None or visible.version(str(source)):
        return artifact
    return artifact | {"reused_from": None}


def _visible_use(use: Any, visible: Visibility, key: str = "version") -> bool:
    return isinstance(use, dict) and visible.version(str(use.get(key, "")))


def filter_lineage(found: Any, visible: Visibility) -> Any:
    """A ``model_version.lineage`` answer showing only versions the viewer may read."""
    if not isinstance(found, dict):
        return found
    answer = dict(found)
    answer["parents"] = [
        e for e in found.get("parents") or [] if _visible_use(e, visible, "parent")
    ]
    answer["children"] = [
        e for e in found.get("children") or [] if _visible_use(e, visible, "child")
    ]
    artifacts = []
    for item in found.get("artifacts") or []:
        if not isinstance(item, dict):
            continue
        first = item.get("first_registered")
        artifacts.append(
            item
            | {
                "artifact": _artifact(item.get("artifact"), visible),
                "first_registered": first if _visible_use(first, visible) else None,
                "also_used_by": [
                    u for u in item.get("also_used_by") or [] if _visible_use(u, visible)
                ],
            }
        )
    answer["artifacts"] = artifacts
    return answer


def filter_uses(found: Any, visible: Visibility) -> dict[str, Any]:
    """A ``model_version.used_by`` answer showing only versions the viewer may read."""
    answer: Mapping[str, Any] = found if isinstance(found, dict) else {}
    first = answer.get("first_registered")
    return {
        "first_registered": first if _visible_use(first, visible) else None,
        "uses": [u for u in answer.get("uses") or [] if _visible_use(u, visible)],
    }
