"""The membership contract: orgs, participants, roles, revocation (DESIGN.md §4, §5).

Its functions that change the channel itself (orgs, peers, contract versions, the approval
rule, limits) take effect only once the member orgs' admins approve them; they are written in
``contracts.governance`` and ``contracts._channel_changes``. This module holds the genesis tx and
the participants' life cycle: enrolment, invitations, keys, revocation. The state layout is
``contracts._membership_state``; what the ledger asks to authenticate a tx's creator is
``contracts.membership_rules.MembershipRules``, which reads the same keys, so each rule lives
in one place.
"""

from __future__ import annotations

from typing import Any

from tetherai.contracts._common import Result
from tetherai.contracts._genesis import genesis
from tetherai.contracts._membership_state import (
    CHANNEL_KEY,
    MEMBERSHIP,
    MEMBERSHIP_VERSION,
    CertificateCache,
    actor_of,
    cert_key,
    check_issued,
    check_name,
    enrol,
    invitation_key,
    is_member,
    org_record,
    parse_certificate,
    participant_key,
    require_admin_of,
    timestamp,
)
from tetherai.contracts.errors import Conflict, InvalidArgument, NotFound, NotPermitted
from tetherai.contracts.governance import ChannelGovernance
from tetherai.contracts.membership_rules import MembershipRules
from tetherai.identity.roles import Role
from tetherai.ledger.contract import (
    Context,
    Contract,
    QueryContext,
    StateReader,
    query,
    transaction,
)

__all__ = ["CHANNEL_KEY", "Membership", "MembershipRules"]

MAX_REASON = 500


class Membership(ChannelGovernance, Contract):
    """Enrols and revokes participants; only an org admin may change its own org."""

    name = MEMBERSHIP
    version = MEMBERSHIP_VERSION

    _certificates = CertificateCache()

    @transaction
    def bootstrap(
        self,
        ctx: Context,
        channel: dict[str, Any],
        orgs: list[Any],
        participants: list[Any],
    ) -> Result:
        """Genesis (``contracts._genesis``; the membership version before genesis runs it)."""
        return genesis(ctx, channel, orgs, participants)

    @transaction
    def enroll(self, ctx: Context, certificate: str) -> Result:
        """An org admin enrols a participant certificate issued by their org's CA."""
        identity = parse_certificate(certificate)
        require_admin_of(ctx, identity.org)
        org = _member_org(ctx.state, identity.org)
        check_issued(certificate, str(org["ca_cert"]), ctx.block_ts)
        if ctx.state.get(cert_key(identity.cert_sha256)) is not None:
            raise Conflict(f"certificate {identity.cert_sha256[:12]} is already enrolled")
        enrol(ctx, certificate, identity, by=actor_of(ctx))
        return {
            "cert_sha256": identity.cert_sha256,
            "org": identity.org,
            "id": identity.participant_id,
        }

    @transaction
    def invite(self, ctx: Context, org: str, id: str, role: str) -> Result:
        """An org admin authorizes a new participant to enrol their own key (see accept_invitation)."""
        require_admin_of(ctx, org)
        check_name(id, "participant id")
        try:
            Role(role)
        except ValueError:
            raise InvalidArgument(f"{role!r} is not a role") from None
        current = ctx.state.get(participant_key(org, id))
        if isinstance(current, dict):
            # Re-inviting is how a participant who lost their key gets a new one: only once the
            # key they had is revoked.
            record = ctx.state.get(cert_key(str(current["cert_sha256"])))
            if not isinstance(record, dict) or record.get("revoked") is None:
                raise Conflict(
                    f"{id}@{org} is already a participant; revoke their key first to re-key them"
                )
        ctx.state.put(
            invitation_key(org, id),
            {
                "org": org,
                "id": id,
                "role": role,
                "by": actor_of(ctx),
                "at": ctx.block_ts,
            },
        )
        return {"invited": f"{id}@{org}", "role": role}

    @transaction
    def accept_invitation(self, ctx: Context, certificate: str) -> Result:
        """The invited participant enrols the certificate of their own new key, signing with it."""
        identity = parse_certificate(certificate)
        invitation = ctx.state.get(invitation_key(identity.org, identity.participant_id))
        if not isinstance(invitation, dict) or invitation["role"] != identity.role:
            raise NotPermitted(
                f"there is no invitation for {identity.participant_id}@{identity.org} "
                f"as {identity.role}"
            )
        org = _member_org(ctx.state, identity.org)
        check_issued(certificate, str(org["ca_cert"]), ctx.block_ts)
        enrol(ctx, certificate, identity, by=str(invitation["by"]))
        ctx.state.delete(invitation_key(identity.org, identity.participant_id))
        return {
            "enrolled": f"{identity.participant_id}@{identity.org}",
            "cert_sha256": identity.cert_sha256,
        }

    @transaction
    def add_key(self, ctx: Context, certificate: str) -> Result:
        """A participant enrols another certificate of their own (e.g. for a CLI key they hold).

        Signed with a key they already have; the new certificate must be issued by their org's
        CA for the same participant id and role. Both keys sign from now on.
        """
        identity = parse_certificate(certificate)
        creator = ctx.creator
        if (identity.org, identity.participant_id, str(identity.role)) != (
            creator.org,
            creator.id,
            creator.role,
        ):
            raise NotPermitted(
                f"a participant may add only their own keys: this certificate is for "
                f"{identity.participant_id}@{identity.org} as {identity.role}"
            )
        org = _member_org(ctx.state, identity.org)
        check_issued(certificate, str(org["ca_cert"]), ctx.block_ts)
        if ctx.state.get(cert_key(identity.cert_sha256)) is not None:
            raise Conflict(f"certificate {identity.cert_sha256[:12]} is already enrolled")
        enrol(ctx, certificate, identity, by=actor_of(ctx))
        return {"cert_sha256": identity.cert_sha256}

    @transaction
    def revoke(self, ctx: Context, cert_sha256: str, reason: str) -> Result:
        """An org admin revokes a certificate of their org; what it signed before stays valid.

        The last valid org admin certificate of an org cannot be revoked: nobody could then
        enrol anyone of the org again, nor approve a change of the channel for it.
        """
        record = ctx.state.get(cert_key(cert_sha256))
        if not isinstance(record, dict):
            raise NotFound(f"no enrolled certificate {cert_sha256[:12]}")
        org = str(record["org"])
        require_admin_of(ctx, org)
        if record.get("revoked") is not None:
            raise Conflict(f"certificate {cert_sha256[:12]} is already revoked")
        if not reason.strip() or len(reason) > MAX_REASON:
            raise InvalidArgument(f"give a reason of 1 to {MAX_REASON} characters")
        admins = _active_admin_certs(ctx.state, org, ctx.block_ts, self._certificates)
        if admins == [cert_sha256]:
            raise Conflict(
                f"this is the last valid org admin certificate of {org}",
                hint=f"enrol another org admin of {org} first",
            )
        record = dict(record)
        record["revoked"] = {
            "block": ctx.block_number,
            "ts": ctx.block_ts,
            "by": actor_of(ctx),
            "reason": reason,
        }
        ctx.state.put(cert_key(cert_sha256), record)
        return {"revoked": cert_sha256}

    @query
    def participant(self, ctx: QueryContext, org: str, id: str) -> Result:
        current = ctx.state.get(participant_key(org, id))
        if not isinstance(current, dict):
            raise NotFound(f"no participant {id}@{org}")
        return ctx.state.get(cert_key(str(current["cert_sha256"])))

    @query
    def participants(self, ctx: QueryContext) -> Result:
        return [value for _, value in ctx.state.scan("membership/cert/")]


def _member_org(state: StateReader, org: str) -> dict[str, Any]:
    record = org_record(state, org)
    if record is None or not is_member(state, org):
        raise NotFound(f"org {org} is not a member of this channel")
    return record


def _active_admin_certs(
    state: StateReader, org: str, at_ms: int, certificates: CertificateCache
) -> list[str]:
    """The org's org admin certificates that are neither revoked nor expired at ``at_ms``."""
    when = timestamp(at_ms)
    found = []
    for _, value in state.scan("membership/cert/"):
        if (
            isinstance(value, dict)
            and value.get("org") == org
            and value.get("role") == Role.ORG_ADMIN
            and value.get("revoked") is None
        ):
            identity = certificates.parse(str(value["cert"]))
            if identity.not_before <= when <= identity.not_after:
                found.append(str(value["cert_sha256"]))
    return found
