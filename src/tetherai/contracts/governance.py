"""Channel governance: changes of the channel take effect once its orgs' admins approve them.

As Fabric's ``MAJORITY Admins`` policy: adding or removing an org or a peer, running another
contract version, changing the approval rule or the channel's limits (``_channel_changes``) is
a *proposal* that waits until enough member orgs approved it, and takes effect in the tx that
meets the channel's approval rule: ``MAJORITY`` (the default: more than half of the member
orgs), ``ALL`` or ``ANY``. One approval counts per org, signed by an org admin of that org.
A single-org channel (``tether init``) needs its own admin only, so its changes apply at once.

An admin approves a change by signing **the change itself** (the same call with the same
arguments; the first one opens the proposal): every approval on the ledger shows exactly what
was approved, and the tx that applied it carries everything it installed (an added org's CA
certificate too), so an auditor needs no other tx to see it. A proposal is identified by its
change (:attr:`Change.id`), stays open for the channel's ``proposal_ttl_ms``, and can be
withdrawn by the orgs that approved it. The approval rule is itself a change of the channel
(``set_policy``), approved under the rule in force.

Who counts: the orgs that are members when the approving tx runs (an org removed meanwhile
no longer counts); for removing an org, the other orgs (an org cannot keep itself in); adding a
peer ``<node>.<org>`` is proposed by its own org.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tetherai.contracts._channel_changes import KINDS, Change, check_installed, describe
from tetherai.contracts._common import Record, Result
from tetherai.contracts._membership_state import (
    LIMITS,
    actor_of,
    approval_rule,
    channel_limit,
    member_orgs,
    proposal_key,
    read_channel,
)
from tetherai.contracts.errors import Conflict, InvalidArgument, NotFound, NotPermitted
from tetherai.crypto.jcs import JSONValue
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context, QueryContext, query, transaction
from tetherai.ledger.state import StateReader

__all__ = [
    "CHANGES",
    "ChannelGovernance",
    "Tally",
    "check_change",
    "describe",
    "tally",
]

CHANGES = tuple(KINDS)
"""The functions that change a channel (each one a proposal)."""


@dataclass(frozen=True, slots=True)
class Tally:
    """Where a proposal stands under the approval rule in force."""

    rule: str
    counted: tuple[str, ...]
    """Approving orgs that count (current members; not the org a removal is about)."""
    needed: int
    """How many more approvals it needs."""
    may_approve: tuple[str, ...]
    """Member orgs whose approval would count and is not in yet."""

    @property
    def met(self) -> bool:
        return self.needed == 0

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "rule": self.rule,
            "counted": list(self.counted),
            "needed": self.needed,
            "may_approve": list(self.may_approve),
        }


def tally(state: StateReader, change: Change, approvals: dict[str, Any]) -> Tally:
    rule = approval_rule(read_channel(state))
    eligible = [org for org in member_orgs(state) if org != change.subject_org]
    counted = tuple(org for org in eligible if org in approvals)
    required = {"ANY": 1, "MAJORITY": len(eligible) // 2 + 1, "ALL": len(eligible)}[rule]
    return Tally(
        rule,
        counted,
        max(required - len(counted), 0),
        tuple(org for org in eligible if org not in approvals),
    )


def check_change(
    fn: str, args: Mapping[str, JSONValue], installed: Mapping[str, frozenset[str]]
) -> Change:
    """What front ends check before an admin signs a change (the contract checks it all again
    in the tx): it is a change of the channel, and an upgrade names an installed version.

    Raises:
        InvalidArgument: ``fn`` is not a change of the channel, or the version is not installed.
        NotFound: an upgrade names no installed contract.
    """
    if fn not in KINDS:
        raise InvalidArgument(f"{fn!r:.40} is not a change of the channel: {', '.join(CHANGES)}")
    if fn == "upgrade_contract":
        check_installed(args.get("contract"), args.get("version"), installed)
    return describe(fn, args)


def _open(record: object, now: int) -> bool:
    return (
        isinstance(record, dict)
        and record.get("status") == "pending"
        and int(record.get("expires_at", 0)) >= now
    )


def _stamp(ctx: Context) -> Record:
    return {"by": actor_of(ctx), "at": ctx.block_ts, "tx_id": ctx.tx_id}


def _require_admin(ctx: Context, doing: str) -> None:
    if ctx.creator.role != Role.ORG_ADMIN:
        raise NotPermitted(f"only org admins may {doing}; you are {ctx.creator.role}")


def govern(ctx: Context, fn: str, args: dict[str, JSONValue]) -> Result:
    """Record the signer's org's approval of a change; apply it if that meets the rule.

    Raises:
        NotPermitted: the signer is not an org admin (or may not propose this change).
        Conflict: their org approved this change already, or the change is not possible now.
        InvalidArgument, NotFound: the change is not valid (``_channel_changes``).
    """
    _require_admin(ctx, "propose or approve changes of the channel")
    kind = KINDS[fn]
    change = kind.describe(args)
    key = proposal_key(change.id)
    found = ctx.state.get(key)
    org = ctx.creator.org
    is_open = _open(found, ctx.block_ts)
    if not is_open and change.openers is not None and org not in change.openers:
        raise NotPermitted(
            f"only an admin of {', '.join(change.openers)} may propose to {change.summary}"
        )
    kind.check(ctx, change.args)
    if is_open:
        record: Record = dict(found)  # type: ignore[arg-type]
    else:
        record = {
            "id": change.id,
            "fn": change.fn,
            "args": change.args,
            "summary": change.summary,
            "opened": _stamp(ctx),
            "expires_at": ctx.block_ts + channel_limit(read_channel(ctx.state), "proposal_ttl_ms"),
            "approvals": {},
            "status": "pending",
        }
    approvals = dict(record["approvals"])
    if org in approvals:
        raise Conflict(
            f"{org} approved this change already ({change.summary})",
            hint="another member org's admin approves it next",
        )
    approvals[org] = _stamp(ctx)
    record["approvals"] = approvals
    where = tally(ctx.state, change, approvals)
    answer: dict[str, JSONValue] = {
        "proposal": change.id,
        "change": change.summary,
        "approvals": sorted(approvals),
    }
    if not where.met:
        ctx.state.put(key, record)
        return answer | {"applied": False, "tally": where.to_json()}
    by = ", ".join(str(approvals[o]["by"]) for o in sorted(approvals))
    outcome = kind.apply(ctx, change.args, by)
    ctx.state.put(key, record | {"status": "applied", "closed": _stamp(ctx)})
    return answer | {"applied": True} | outcome


def _view(state: StateReader, record: Record, now: int) -> Record:
    """A proposal as listed: its state now and, while open, where it stands."""
    status = str(record.get("status"))
    if status == "pending" and not _open(record, now):
        status = "expired"
    view = dict(record) | {"status": status}
    if status == "pending":
        change = describe(str(record["fn"]), record["args"])
        view["tally"] = tally(state, change, record["approvals"]).to_json()
    return view


class ChannelGovernance:
    """The membership contract's functions that change the channel (all by proposal)."""

    @transaction
    def add_org(self, ctx: Context, org: str, ca_cert: str, admin: str) -> Result:
        """Add an org: its CA certificate (subject ``O=<org>``) and its first org admin's
        certificate, issued by that CA and enrolled when the org is added."""
        return govern(ctx, "add_org", {"org": org, "ca_cert": ca_cert, "admin": admin})

    @transaction
    def remove_org(self, ctx: Context, org: str, reason: str) -> Result:
        """Remove an org: from then on its people cannot sign and its peers do not count;
        what they signed before stays valid."""
        return govern(ctx, "remove_org", {"org": org, "reason": reason})

    @transaction
    def add_peer(self, ctx: Context, name: str, public_key: str) -> Result:
        """Add a peer ``<node>.<org>`` (proposed by its own org) with its Ed25519 key: its
        cosignatures count, and it counts among the channel's peers, from the next block."""
        return govern(ctx, "add_peer", {"name": name, "public_key": public_key})

    @transaction
    def remove_peer(self, ctx: Context, name: str, reason: str) -> Result:
        """Remove a peer: it no longer counts for the majority, compaction or cosignatures."""
        return govern(ctx, "remove_peer", {"name": name, "reason": reason})

    @transaction
    def upgrade_contract(self, ctx: Context, contract: str, version: str) -> Result:
        """Run ``version`` of ``contract`` from the next tx on; only a version installed
        here. Older blocks replay with the version that ran them (their results record it)."""
        return govern(ctx, "upgrade_contract", {"contract": contract, "version": version})

    @transaction
    def set_policy(self, ctx: Context, approval: str) -> Result:
        """Change how many member orgs must approve a change: ANY, MAJORITY or ALL."""
        return govern(ctx, "set_policy", {"approval": approval})

    @transaction
    def set_limits(
        self, ctx: Context, max_skew_ms: int | None = None, proposal_ttl_ms: int | None = None
    ) -> Result:
        """Change the channel's limits (the allowed clock skew of a tx, a proposal's life)."""
        given = {"max_skew_ms": max_skew_ms, "proposal_ttl_ms": proposal_ttl_ms}
        return govern(ctx, "set_limits", {k: v for k, v in given.items() if v is not None})

    @transaction
    def withdraw(self, ctx: Context, proposal: str) -> Result:
        """Take back one's org's approval of an open proposal; with none left it closes."""
        _require_admin(ctx, "withdraw approvals")
        key = proposal_key(proposal)
        record = ctx.state.get(key)
        if not _open(record, ctx.block_ts):
            raise NotFound(f"there is no open proposal {proposal[:16]}")
        assert isinstance(record, dict)
        approvals = dict(record["approvals"])  # type: ignore[arg-type]
        if approvals.pop(ctx.creator.org, None) is None:
            raise Conflict(f"{ctx.creator.org} has not approved proposal {proposal[:16]}")
        closed = {} if approvals else {"status": "withdrawn", "closed": _stamp(ctx)}
        ctx.state.put(key, record | {"approvals": approvals} | closed)
        return {"proposal": proposal, "withdrawn": ctx.creator.org, "open": bool(approvals)}

    @query
    def channel(self, ctx: QueryContext) -> Result:
        """The channel configuration: orderers and peers with their keys, contract versions,
        the approval rule and the limits in force (defaults for what the genesis left out)."""
        config = read_channel(ctx.state)
        limits = {name: channel_limit(config, name) for name in LIMITS}
        return config | {"approval": approval_rule(config)} | limits

    @query
    def proposals(self, ctx: QueryContext, all: bool = False) -> Result:
        """Open proposals (``all``: also applied, withdrawn and expired ones), oldest first,
        each with its approvals and, while open, what it still needs."""
        found = [
            _view(ctx.state, value, ctx.block_ts)
            for _, value in ctx.state.scan("membership/proposal/")
            if isinstance(value, dict)
        ]
        if not all:
            found = [view for view in found if view["status"] == "pending"]
        return sorted(found, key=lambda view: (int(view["opened"]["at"]), str(view["id"])))

    @query
    def proposal(self, ctx: QueryContext, id: str) -> Result:
        record = ctx.state.get(proposal_key(id))
        if not isinstance(record, dict):
            raise NotFound(f"there is no proposal {id[:16]}")
        return _view(ctx.state, record, ctx.block_ts)
