"""Changing a running cluster's channels by proposal (``tether network`` governance commands).

A change of a channel (``contracts.governance``) takes effect once enough member orgs' admins
signed it. Here each org named with ``--by`` signs in turn, with its own admin's key and
through its own org's peer, skipping orgs whose approval is already in, until the channel's
approval rule is met. In a real consortium each org runs the command with its own home; one
home holding every org's keys (a demo, a test) can collect all approvals in one command.

Once a change applied, ``cluster.toml`` follows it (an added org, a channel's orgs); what the
ledger says stays what counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tetherai.cluster.client import Operator
from tetherai.cluster.config import (
    ChannelSpec,
    ClusterConfig,
    ConfigError,
    NodeSpec,
    OrgSpec,
)
from tetherai.cluster.setup import ClusterHome
from tetherai.contracts.governance import check_change
from tetherai.contracts.registry import default_registry
from tetherai.identity.certificate import load_certificate_pem, parse_participant_certificate
from tetherai.services.network import load_participant

__all__ = ["Outcome", "approve", "proposals", "sign_change", "withdraw"]


@dataclass
class Outcome:
    """Where a change stands after the signatures given."""

    channel: str
    proposal: str
    change: str
    applied: bool = False
    approvals: list[str] = field(default_factory=list)
    tally: dict[str, Any] | None = None
    tx_ids: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "proposal": self.proposal,
            "change": self.change,
            "applied": self.applied,
            "approvals": self.approvals,
            "tally": self.tally,
            "tx_ids": self.tx_ids,
        }

    def describe(self) -> str:
        """One line for people: applied, or what it still waits for."""
        if self.applied:
            return f"{self.change}: applied in channel {self.channel}"
        tally = self.tally or {}
        orgs = ", ".join(tally.get("may_approve", [])) or "no one"
        return (
            f"{self.change}: proposal {self.proposal[:16]} in channel {self.channel} has the "
            f"approval of {', '.join(self.approvals) or 'no org'}; it needs "
            f"{tally.get('needed', '?')} more ({tally.get('rule', '?')} of the orgs), from {orgs}. "
            f"Approve: tether network approve {self.proposal[:16]} --by ORG"
        )


def _peers_of(config: ClusterConfig, channel: str, org: str | None = None) -> list[NodeSpec]:
    """The channel's peers in ``cluster.toml``, ``org``'s first (a write goes through its own)."""
    peers = list(config.peers_of(channel))
    return sorted(peers, key=lambda peer: peer.org != org)


def _org(config: ClusterConfig, org: str) -> OrgSpec:
    for spec in config.orgs:
        if spec.name == org:
            return spec
    known = ", ".join(spec.name for spec in config.orgs)
    raise ConfigError(f"no org named {org!r} in cluster.toml (known: {known})")


def _open_proposal(
    operator: Operator, peers: Sequence[NodeSpec], channel: str, proposal: str
) -> dict[str, Any] | None:
    try:
        found = operator.query(peers, channel, "proposal", {"id": proposal})
    except ConfigError as error:
        if "there is no proposal" in error.message:
            return None
        raise
    return found if isinstance(found, dict) and found.get("status") == "pending" else None


def sign_change(
    home: ClusterHome,
    channel: str,
    fn: str,
    args: dict[str, Any],
    *,
    by: Sequence[str],
    passphrase: bytes,
    now_ms: int,
) -> Outcome:
    """Each org of ``by`` in turn signs the change ``membership.<fn>(args)`` until it applies.

    Raises:
        ConfigError: an org is unknown, no peer answered, or the ledger refused the change.
    """
    config = home.cluster_config()
    config.channel_spec(channel)
    if not by:
        raise ConfigError("name the org(s) whose admin signs: --by ORG")
    # Refused here before anyone signs (an upgrade to a version this code lacks); the
    # contract checks everything again.
    change = check_change(fn, args, default_registry().installed)
    outcome = Outcome(channel, change.id, change.summary)
    for org in by:
        _org(config, org)
    with Operator(home, by[0], passphrase) as first:
        found = _open_proposal(first, _peers_of(config, channel), channel, change.id)
    if found is not None:
        outcome.approvals = sorted(found["approvals"])
        outcome.tally = found.get("tally")
    for org in by:
        if org in outcome.approvals:
            continue
        admin = load_participant(home, org, _org(config, org).admin, passphrase)
        envelope = admin.sign(channel, "membership", fn, dict(change.args), now_ms)
        with Operator(home, org, passphrase) as operator:
            body = operator.submit(_peers_of(config, channel, org), envelope, change.summary)
            result = body.get("result") or {}
            outcome.tx_ids.append(str(body["tx_id"]))
            outcome.approvals = list(result.get("approvals", outcome.approvals))
            outcome.tally = result.get("tally")
            outcome.result = result
            if result.get("applied"):
                outcome.applied = True
                _follow(home, operator, channel, fn, change.args)
                break
    return outcome


def proposals(
    home: ClusterHome,
    channel: str,
    *,
    as_org: str | None = None,
    passphrase: bytes,
    include_closed: bool = False,
) -> list[Any]:
    """The channel's proposals (open ones, or all), as a running peer's ledger has them, asked
    with ``as_org``'s tools (default: the channel's first org)."""
    config = home.cluster_config()
    org = as_org or config.channel_spec(channel).orgs[0]
    with Operator(home, org, passphrase) as operator:
        found = operator.query(
            _peers_of(config, channel, org), channel, "proposals", {"all": include_closed}
        )
    return list(found)


def _resolve(
    home: ClusterHome, channel: str, proposal: str, org: str, passphrase: bytes
) -> dict[str, Any]:
    """The open proposal whose id starts with ``proposal`` (16 characters are shown)."""
    found_all = proposals(home, channel, as_org=org, passphrase=passphrase)
    matches = [p for p in found_all if str(p["id"]).startswith(proposal)]
    if len(matches) != 1 or len(proposal) < 8:
        what = "several open proposals start" if matches else "no open proposal starts"
        raise ConfigError(
            f"{what} with {proposal!r} in channel {channel}",
            hint="see them with: tether network proposals",
        )
    found: dict[str, Any] = matches[0]
    return found


def approve(
    home: ClusterHome,
    channel: str,
    proposal: str,
    *,
    by: Sequence[str],
    passphrase: bytes,
    now_ms: int,
) -> Outcome:
    """Approve an open proposal: each org of ``by`` signs its change (see :func:`sign_change`)."""
    if not by:
        raise ConfigError("name the org(s) whose admin approves: --by ORG")
    found = _resolve(home, channel, proposal, by[0], passphrase)
    return sign_change(
        home, channel, str(found["fn"]), found["args"], by=by, passphrase=passphrase, now_ms=now_ms
    )


def withdraw(
    home: ClusterHome, channel: str, proposal: str, *, by: str, passphrase: bytes, now_ms: int
) -> dict[str, Any]:
    """Take back ``by``'s approval of an open proposal."""
    config = home.cluster_config()
    found = _resolve(home, channel, proposal, by, passphrase)
    admin = load_participant(home, by, _org(config, by).admin, passphrase)
    envelope = admin.sign(channel, "membership", "withdraw", {"proposal": found["id"]}, now_ms)
    with Operator(home, by, passphrase) as operator:
        body = operator.submit(_peers_of(config, channel, by), envelope, "withdraw the approval")
    return dict(body.get("result") or {})


def _follow(
    home: ClusterHome, operator: Operator, channel: str, fn: str, args: dict[str, Any]
) -> None:
    """Make ``cluster.toml`` say what the applied change did (who is where)."""
    config = home.cluster_config()
    orgs = list(config.orgs)
    channels = list(config.channels)
    peers = list(config.peers)

    def members(change: Any) -> None:
        for index, spec in enumerate(channels):
            if spec.name == channel:
                channels[index] = ChannelSpec(spec.name, change(spec.orgs))

    if fn == "add_org":
        org = str(args["org"])
        admin = parse_participant_certificate(load_certificate_pem(str(args["admin"]).encode()))
        if not any(spec.name == org for spec in orgs):
            orgs.append(OrgSpec(org, admin.participant_id))
        members(lambda current: current if org in current else (*current, org))
    elif fn == "remove_org":
        org = str(args["org"])
        members(lambda current: tuple(o for o in current if o != org))
    elif fn == "remove_peer":
        name = str(args["name"])
        spec = next((peer for peer in peers if peer.name == name), None)
        still = []
        for other in config.channels_of(spec.org if spec else ""):
            if other != channel:
                listed = operator.query(_peers_of(config, other), other, "channel")["peers"]
                if name in [peer["name"] for peer in listed]:
                    still.append(other)
        if spec is not None and not still:
            peers.remove(spec)
    else:
        return
    updated = dataclasses.replace(
        config, channels=tuple(channels), orgs=tuple(orgs), peers=tuple(peers)
    )
    home.cluster_config_path.write_text(updated.to_toml())
