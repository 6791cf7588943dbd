"""The changes a channel's orgs can make to it, each checked and applied (DESIGN.md §4, §7).

A change is a contract call (``add_org``, ``remove_org``, ``add_peer``, ``remove_peer``,
``upgrade_contract``, ``set_policy``, ``set_limits``) with its arguments. It does not take
effect when one admin signs it: ``contracts.governance`` collects the approvals of the member
orgs' admins and applies it in the tx that meets the channel's approval rule. This module says,
for each kind, what makes it valid (checked at every approval, so a change that became invalid
while it waited is refused rather than applied) and what applying it writes.

Whatever sequence of changes is applied, the channel can still change: the membership
contract's active version is always one this code can run, every member org keeps an org
admin, the channel keeps an org and a peer, and the approval rule is always met by the member
orgs' admins.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from hashlib import sha256

from tetherai.contracts._common import Record
from tetherai.contracts._membership_state import (
    APPROVAL_RULES,
    CHANNEL_KEY,
    LIMITS,
    approval_rule,
    check_issued,
    check_limit,
    check_name,
    check_org_ca,
    decode_node_key,
    enrol,
    is_member,
    member_orgs,
    node_org,
    org_key,
    org_record,
    parse_certificate,
    read_channel,
)
from tetherai.contracts.errors import Conflict, InvalidArgument, NotFound
from tetherai.crypto.jcs import JSONValue, canonicalize
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context
from tetherai.ledger.state import StateReader

__all__ = ["KINDS", "Change", "ChangeKind", "check_installed", "describe"]

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Change:
    """One proposed change: the call, and who decides on it."""

    fn: str
    args: dict[str, JSONValue]
    summary: str
    subject_org: str | None = None
    """An org the change is about (removing it): it neither counts nor is needed."""
    openers: tuple[str, ...] | None = None
    """Orgs whose admins may propose it (``None``: any member org's); the first approver."""

    @property
    def id(self) -> str:
        """The change's identity: the same call with the same arguments is the same change."""
        return sha256(canonicalize({"fn": self.fn, "args": self.args})).hexdigest()


@dataclass(frozen=True, slots=True)
class ChangeKind:
    describe: Callable[[dict[str, JSONValue]], Change]
    check: Callable[[Context, dict[str, JSONValue]], None]
    apply: Callable[[Context, dict[str, JSONValue], str], Record]


def describe(fn: str, args: Mapping[str, JSONValue]) -> Change:
    return KINDS[fn].describe(dict(args))


def _reason(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_REASON:
        raise InvalidArgument(f"give a reason of 1 to {MAX_REASON} characters")
    return value


def _config(state: StateReader) -> Record:
    return dict(read_channel(state))


def _put_config(ctx: Context, config: Record) -> None:
    ctx.state.put(CHANNEL_KEY, config)


def _nodes(config: Record, kind: str) -> list[Record]:
    entries = config.get(kind)
    return (
        [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []
    )


def _removal(ctx: Context, by: str, reason: str) -> Record:
    return {
        "block": ctx.block_number,
        "ts": ctx.block_ts,
        "tx_id": ctx.tx_id,
        "by": by,
        "reason": reason,
    }


# -- orgs ------------------------------------------------------------------------------------------


def _describe_add_org(args: dict[str, JSONValue]) -> Change:
    return Change("add_org", args, f"add org {args.get('org')}")


def _check_add_org(ctx: Context, args: dict[str, JSONValue]) -> None:
    org = check_name(args.get("org"), "org")
    existing = org_record(ctx.state, org)
    if existing is not None and existing.get("removed") is not None:
        raise Conflict(
            f"org {org} was removed from this channel in block {existing['removed']['block']}; "
            "an org's name is never used again",
            hint="give the org another name",
        )
    if existing is not None:
        raise Conflict(f"org {org} is already a member of this channel")
    ca_cert = check_org_ca(org, args.get("ca_cert"), ctx.block_ts)
    # Without an admin nobody of the new org could ever sign (enrolling needs an admin of
    # the org), and a rule like ALL could then never be met again.
    admin = args.get("admin")
    identity = parse_certificate(admin)
    if identity.org != org or identity.role != Role.ORG_ADMIN:
        raise InvalidArgument(f"admin must be a certificate of an org admin of {org}")
    check_issued(str(admin), ca_cert, ctx.block_ts)


def _apply_add_org(ctx: Context, args: dict[str, JSONValue], by: str) -> Record:
    org, ca_cert, admin = str(args["org"]), str(args["ca_cert"]), str(args["admin"])
    ctx.state.put(
        org_key(org),
        {"org": org, "ca_cert": ca_cert, "added_by": by, "added_in": ctx.block_number},
    )
    identity = parse_certificate(admin)
    enrol(ctx, admin, identity, by=by)
    return {"org": org, "admin": f"{identity.participant_id}@{org}"}


def _describe_remove_org(args: dict[str, JSONValue]) -> Change:
    org = args.get("org")
    return Change(
        "remove_org",
        args,
        f"remove org {org}",
        subject_org=org if isinstance(org, str) else None,
    )


def _check_remove_org(ctx: Context, args: dict[str, JSONValue]) -> None:
    org = check_name(args.get("org"), "org")
    _reason(args.get("reason"))
    if not is_member(ctx.state, org):
        raise NotFound(f"org {org} is not a member of this channel")
    if member_orgs(ctx.state) == [org]:
        raise Conflict(f"org {org} is the channel's last org")
    config = _config(ctx.state)
    for orderer in _nodes(config, "orderers"):
        if node_org(orderer) == org:
            raise Conflict(
                f"org {org} runs orderer {orderer.get('name')} of this channel; "
                "removing an orderer is not supported yet"
            )
    if all(node_org(peer) == org for peer in _nodes(config, "peers")):
        raise Conflict(f"removing org {org} would leave the channel without a peer")


def _apply_remove_org(ctx: Context, args: dict[str, JSONValue], by: str) -> Record:
    org, reason = str(args["org"]), str(args["reason"])
    record = org_record(ctx.state, org)
    assert record is not None
    removal = _removal(ctx, by, reason)
    ctx.state.put(org_key(org), record | {"removed": removal})
    # Its people cannot sign from the next tx on (the ledger refuses creators of a removed
    # org); its peers stop counting. What they did before stays valid.
    config = _config(ctx.state)
    leaving = [peer for peer in _nodes(config, "peers") if node_org(peer) == org]
    _retire(ctx, config, leaving, removal)
    return {"removed": org, "peers_retired": [str(peer["name"]) for peer in leaving]}


# -- peers -----------------------------------------------------------------------------------------


def _describe_add_peer(args: dict[str, JSONValue]) -> Change:
    name = args.get("name")
    node, _, org = name.rpartition(".") if isinstance(name, str) else ("", "", "")
    # Only the peer's own org proposes it (a name never suggests another org's node); an
    # ill-formed name has no org, and is refused by the check.
    return Change("add_peer", args, f"add peer {name}", openers=(org,) if node else None)


def _check_add_peer(ctx: Context, args: dict[str, JSONValue]) -> None:
    name = check_name(args.get("name"), "peer name")
    node, _, org = name.rpartition(".")
    if not node or not is_member(ctx.state, org):
        raise InvalidArgument(
            f"a peer is named <node>.<org> of a member org, e.g. peer0.{ctx.creator.org}"
        )
    raw = decode_node_key(args.get("public_key"), name)
    config = _config(ctx.state)
    for entry in [
        *_nodes(config, "orderers"),
        *_nodes(config, "peers"),
        *_nodes(config, "retired_peers"),
    ]:
        if entry.get("name") == name:
            raise Conflict(
                f"{name} is or was a node of this channel; a node's name is never reused"
            )
        if base64.b64decode(str(entry.get("public_key"))) == raw:
            raise Conflict(f"that key is already {entry.get('name')}'s")


def _apply_add_peer(ctx: Context, args: dict[str, JSONValue], by: str) -> Record:
    name, key = str(args["name"]), str(args["public_key"])
    org = name.rpartition(".")[2]
    config = _config(ctx.state)
    peers = [*_nodes(config, "peers"), {"name": name, "org": org, "public_key": key}]
    _put_config(ctx, config | {"peers": peers})
    return {"peer": name, "org": org}


def _describe_remove_peer(args: dict[str, JSONValue]) -> Change:
    return Change("remove_peer", args, f"remove peer {args.get('name')}")


def _check_remove_peer(ctx: Context, args: dict[str, JSONValue]) -> None:
    name = check_name(args.get("name"), "peer name")
    _reason(args.get("reason"))
    config = _config(ctx.state)
    peers = _nodes(config, "peers")
    if not any(peer.get("name") == name for peer in peers):
        if any(peer.get("name") == name for peer in _nodes(config, "retired_peers")):
            raise Conflict(f"peer {name} was already removed")
        raise NotFound(f"{name} is not a peer of this channel")
    if len(peers) == 1:
        raise Conflict(f"{name} is the channel's last peer")


def _apply_remove_peer(ctx: Context, args: dict[str, JSONValue], by: str) -> Record:
    name = str(args["name"])
    config = _config(ctx.state)
    leaving = [peer for peer in _nodes(config, "peers") if peer.get("name") == name]
    _retire(ctx, config, leaving, _removal(ctx, by, str(args["reason"])))
    return {"removed": name}


def _retire(ctx: Context, config: Record, leaving: list[Record], removal: Record) -> None:
    """Move peers to ``retired_peers``: they no longer count for the majority, compaction or
    cosignatures, and their names and keys are never reused."""
    if not leaving:
        return
    names = {peer["name"] for peer in leaving}
    peers = [peer for peer in _nodes(config, "peers") if peer["name"] not in names]
    retired = [*_nodes(config, "retired_peers"), *(peer | {"removed": removal} for peer in leaving)]
    _put_config(ctx, config | {"peers": peers, "retired_peers": retired})


# -- contracts, policy, limits ------------------------------------------------------------------


def _describe_upgrade(args: dict[str, JSONValue]) -> Change:
    return Change("upgrade_contract", args, f"run {args.get('contract')} v{args.get('version')}")


def check_installed(
    contract: object, version: object, installed: Mapping[str, frozenset[str]]
) -> None:
    """``version`` of ``contract`` is one a channel may switch to in this code.

    Raises:
        NotFound: no such contract is installed.
        InvalidArgument: not a version name, or that version is not installed (or legacy).
    """
    version = check_name(version, "version")
    versions = installed.get(str(contract))
    if not isinstance(contract, str) or versions is None:
        raise NotFound(f"no contract named {contract!r:.80} is installed")
    if version not in versions:
        known = ", ".join(sorted(versions))
        raise InvalidArgument(
            f"{contract} v{version} is not installed here (installed: {known})",
            hint="install the release that has it on every peer first, then propose the upgrade",
        )


def _check_upgrade(ctx: Context, args: dict[str, JSONValue]) -> None:
    contract, version = args.get("contract"), args.get("version")
    check_installed(contract, version, ctx.installed)
    contracts = _config(ctx.state).get("contracts")
    if isinstance(contracts, dict) and contracts.get(contract) == version:
        raise Conflict(f"{contract} v{version} is already active")


def _apply_upgrade(ctx: Context, args: dict[str, JSONValue], by: str) -> Record:
    config = _config(ctx.state)
    contracts = dict(config["contracts"]) | {str(args["contract"]): args["version"]}
    _put_config(ctx, config | {"contracts": contracts})
    return {"contract": args["contract"], "version": args["version"]}


def _describe_policy(args: dict[str, JSONValue]) -> Change:
    return Change("set_policy", args, f"approve channel changes by {args.get('approval')} of orgs")


def _check_policy(ctx: Context, args: dict[str, JSONValue]) -> None:
    approval = args.get("approval")
    if approval not in APPROVAL_RULES:
        raise InvalidArgument(f"approval must be one of {', '.join(APPROVAL_RULES)}")
    if approval_rule(_config(ctx.state)) == approval:
        raise Conflict(f"the channel's approval rule is already {approval}")


def _apply_policy(ctx: Context, args: dict[str, JSONValue], by: str) -> Record:
    _put_config(ctx, _config(ctx.state) | {"approval": args["approval"]})
    return {"approval": args["approval"]}


def _describe_limits(args: dict[str, JSONValue]) -> Change:
    told = ", ".join(f"{name} = {value}" for name, value in sorted(args.items()))
    return Change("set_limits", args, f"set {told}")


def _check_limits(ctx: Context, args: dict[str, JSONValue]) -> None:
    if not args:
        raise InvalidArgument(f"name at least one limit: {', '.join(LIMITS)}")
    for name, value in args.items():
        check_limit(name, value)
    config = _config(ctx.state)
    if all(config.get(name) == value for name, value in args.items()):
        raise Conflict("the channel has these limits already")


def _apply_limits(ctx: Context, args: dict[str, JSONValue], by: str) -> Record:
    _put_config(ctx, _config(ctx.state) | args)
    return dict(args)


KINDS: dict[str, ChangeKind] = {
    "add_org": ChangeKind(_describe_add_org, _check_add_org, _apply_add_org),
    "remove_org": ChangeKind(_describe_remove_org, _check_remove_org, _apply_remove_org),
    "add_peer": ChangeKind(_describe_add_peer, _check_add_peer, _apply_add_peer),
    "remove_peer": ChangeKind(_describe_remove_peer, _check_remove_peer, _apply_remove_peer),
    "upgrade_contract": ChangeKind(_describe_upgrade, _check_upgrade, _apply_upgrade),
    "set_policy": ChangeKind(_describe_policy, _check_policy, _apply_policy),
    "set_limits": ChangeKind(_describe_limits, _check_limits, _apply_limits),
}
