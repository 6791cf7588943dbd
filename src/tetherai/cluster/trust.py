"""Whom a cluster node trusts at the transport (``tls``), from its own ledger copies.

A node trusts the CAs of the member orgs its ledger copies list (``MembershipRules``), and
always its own org's. Until its copy of a channel knows an org (a node starting from block 0,
or rebuilding after losing its disk, before it has executed the blocks that added the orgs),
it trusts, to fetch blocks from, the orgs the channel's genesis installed: the genesis is
where trust in a ledger starts anyway (DESIGN.md §3). What the ledger says wins: an org it
lists as removed is not trusted, whatever the genesis said. A peer the channel removed is
refused by name on every request about that channel, though its org's CA still vouches for
its certificate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from tetherai.cluster.setup import ClusterHome
from tetherai.cluster.tls import Caller
from tetherai.contracts.membership_rules import MembershipRules
from tetherai.ledger.state import StateReader

__all__ = ["NodeTrust"]

_RULES = MembershipRules()


class NodeTrust:
    """The trust of a node of ``org`` holding the ledger copies ``ledgers()`` (by channel)."""

    def __init__(
        self,
        home: ClusterHome,
        org: str,
        ledgers: Callable[[], Mapping[str, StateReader]],
        channels: Sequence[str],
    ) -> None:
        self.org = org
        self._ledgers = ledgers
        self._own = home.org_ca(org)
        self._genesis: dict[str, str] = {}
        for channel in channels:
            args = home.genesis(channel).envelopes[0].tx.args
            for entry in args.get("orgs") or []:  # type: ignore[union-attr]
                if isinstance(entry, dict):
                    self._genesis.setdefault(str(entry["org"]), str(entry["ca_cert"]))

    def server_cas(self) -> list[str]:
        """The CAs whose node certificates may open a connection to this node."""
        found = {
            pem for store in self._ledgers().values() for pem in _RULES.member_cas(store).values()
        }
        if self._own is not None:
            found.add(self._own)
        return sorted(found)

    def ca_of(self, org: str) -> str | None:
        """The CA this node trusts for the nodes of ``org`` it calls (``None``: none)."""
        known = False
        for store in self._ledgers().values():
            found = _RULES.member_cas(store).get(org)
            if found is not None:
                return found
            known = known or org in _RULES.known_orgs(store)
        if known:  # removed from every channel that had it
            return None
        if org == self.org and self._own is not None:
            return self._own
        return self._genesis.get(org)

    def allows(self, store: StateReader, caller: Caller) -> bool:
        """Whether ``caller`` may use this node's copy of a channel (``store``): a node of a
        member org of that channel, or of this node's own org, unless the channel removed it
        (``remove_peer``: its certificate stays valid, its name is never used again)."""
        if caller.name in _RULES.retired_peers(store):
            return False
        return caller.org == self.org or caller.org in _RULES.member_cas(store)
