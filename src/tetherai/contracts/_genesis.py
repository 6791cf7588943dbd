"""The genesis tx, ``membership.bootstrap``: the channel configuration, the orgs' CAs and the
first participants (DESIGN.md §3 "Genesis", §4).

Every membership version runs this one function: it runs before any version is active (the
ledger asks for the genesis version, ``GENESIS_VERSION``), and a genesis written by older code
must replay to the same writes, so what a genesis does not name is never written (readers
take the default). It checks what every later change of the channel checks too: names by the
one rule, each org's CA certificate is that org's, and each org has an org admin.
"""

from __future__ import annotations

from typing import Any

from tetherai.contracts._common import Result
from tetherai.contracts._membership_state import (
    CHANNEL_KEY,
    actor_of,
    cert_key,
    check_issued,
    check_name,
    check_org_ca,
    enrol,
    new_channel_config,
    org_key,
    parse_certificate,
)
from tetherai.contracts.errors import Conflict, InvalidArgument, NotPermitted
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context
from tetherai.ledger.state import StateReader

__all__ = ["genesis"]


def genesis(
    ctx: Context, channel: dict[str, Any], orgs: list[Any], participants: list[Any]
) -> Result:
    """Install the channel configuration, the orgs' CAs and the first participants.

    Raises:
        Conflict: the channel is bootstrapped already.
        NotPermitted: the signer is not an org admin.
        InvalidArgument: a name, a CA certificate or a participant is not valid, an org has
            no admin, or the signer is not one of the participants.
    """
    if ctx.block_number != 0 or ctx.state.get(CHANNEL_KEY) is not None:
        raise Conflict("the channel is already bootstrapped")
    if ctx.creator.role != Role.ORG_ADMIN:
        raise NotPermitted("the genesis tx must be signed by an org admin")
    ctx.state.put(CHANNEL_KEY, new_channel_config(channel))
    cas: dict[str, str] = {}
    for entry in orgs:
        if not isinstance(entry, dict) or set(entry) != {"org", "ca_cert"}:
            raise InvalidArgument("each org must be {org, ca_cert}")
        org = check_name(entry["org"], "org")
        if org in cas:
            raise InvalidArgument(f"org {org} is listed twice")
        cas[org] = check_org_ca(org, entry["ca_cert"], ctx.block_ts)
        ctx.state.put(org_key(org), {"org": org, "ca_cert": cas[org]})
    for pem in participants:
        identity = parse_certificate(pem)
        if identity.org not in cas:
            raise InvalidArgument(
                f"participant {identity.participant_id} is of unknown org {identity.org}"
            )
        check_issued(pem, cas[identity.org], ctx.block_ts)
        enrol(ctx, pem, identity, by=actor_of(ctx))
    if ctx.state.get(cert_key(ctx.creator.cert_sha256)) is None:
        raise InvalidArgument("the genesis signer must be one of the participants")
    without_admin = sorted(set(cas) - _admin_orgs(ctx.state))
    if without_admin:
        # An org without an admin could never enrol anyone nor approve a change.
        raise InvalidArgument(f"each org needs an org admin: none for {', '.join(without_admin)}")
    return {"orgs": sorted(cas), "participants": len(participants)}


def _admin_orgs(state: StateReader) -> set[str]:
    return {
        str(value["org"])
        for _, value in state.scan("membership/cert/")
        if isinstance(value, dict) and value.get("role") == Role.ORG_ADMIN
    }
