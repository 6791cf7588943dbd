"""The channel's configuration and its open proposals for org admins (API and admin pages).

Changes of the channel are proposals that the member orgs' admins approve
(``contracts.governance``). An admin approves by signing the proposed change itself; this
module reads what a proposal proposes from the ledger and has the admin sign exactly that, so
the API and the pages can offer "approve" with one click and no way to approve something else.

Each function checks and returns the :class:`~tetherai.contracts.calls.Call` to sign; the
front ends sign and submit it (``Runtime.act_async``: the wait for its block holds no thread).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tetherai.contracts.calls import Call
from tetherai.contracts.errors import Conflict
from tetherai.contracts.governance import CHANGES, check_change
from tetherai.crypto.jcs import JSONValue
from tetherai.ledger.peer import Peer

__all__ = ["CHANGES", "approve", "channel_view", "propose", "withdraw"]


def channel_view(peer: Peer) -> dict[str, JSONValue]:
    """The channel's orgs, nodes, contract versions, approval rule, limits and open proposals."""
    config = peer.query("membership", "channel", {})
    assert isinstance(config, dict)
    orgs: list[JSONValue] = []
    for _, record in peer.store.reader().scan("membership/org/"):
        if isinstance(record, dict):
            removed = record.get("removed")
            orgs.append({"org": record["org"], "removed": removed})
    return {
        "name": config["name"],
        "approval": config.get("approval", "MAJORITY"),
        "limits": {name: config.get(name) for name in ("max_skew_ms", "proposal_ttl_ms")},
        "contracts": config["contracts"],
        "orgs": orgs,
        "orderers": [_node(node) for node in config["orderers"]],  # type: ignore[union-attr]
        "peers": [_node(node) for node in config["peers"]],  # type: ignore[union-attr]
        "retired_peers": [
            _node(node) | {"removed": node["removed"]}  # type: ignore[index,call-overload]
            for node in config.get("retired_peers") or []  # type: ignore[union-attr]
        ],
        "proposals": peer.query("membership", "proposals", {}),
    }


def _node(entry: Any) -> dict[str, JSONValue]:
    return {"name": entry["name"], "org": entry.get("org") or entry["name"].rpartition(".")[2]}


def _open(peer: Peer, proposal: str) -> dict[str, Any]:
    found = peer.query("membership", "proposal", {"id": proposal})
    assert isinstance(found, dict)
    if found["status"] != "pending":
        raise Conflict(
            f"proposal {proposal[:16]} is {found['status']}: there is nothing to approve"
        )
    return found


def approve(peer: Peer, proposal: str) -> Call:
    """The call an org admin signs to approve an open proposal: its change, as proposed.
    (Signed, the ledger may still refuse it: the org approved already, the change is no
    longer possible, the signer is not an org admin.)

    Raises:
        NotFound: there is no such proposal.
        Conflict: it is not open any more.
    """
    found = _open(peer, proposal)
    check_change(str(found["fn"]), found["args"], peer.registry.installed)
    return Call("membership", str(found["fn"]), dict(found["args"]))


def withdraw(peer: Peer, proposal: str) -> Call:
    """The call an org admin signs to take back their org's approval of an open proposal."""
    _open(peer, proposal)
    return Call("membership", "withdraw", {"proposal": proposal})


def propose(peer: Peer, change: str, args: Mapping[str, Any]) -> Call:
    """The call an org admin signs to propose (or approve, if it is open already) a change.

    Raises:
        InvalidArgument: ``change`` is not a change of the channel, or it upgrades to a
            version this node does not have (refused before anything is signed).
    """
    check_change(change, args, peer.registry.installed)
    return Call("membership", change, dict(args))
