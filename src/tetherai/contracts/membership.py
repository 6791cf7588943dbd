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

from tetherai.contracts import _participants as people
from tetherai.contracts._common import Result
from tetherai.contracts._genesis import genesis
from tetherai.contracts._membership_state import (
    CHANNEL_KEY,
    MEMBERSHIP,
    MEMBERSHIP_VERSION,
    CertificateCache,
    cert_key,
    invitation_key,
    participant_key,
)
from tetherai.contracts.errors import NotFound
from tetherai.contracts.governance import ChannelGovernance
from tetherai.contracts.membership_rules import MembershipRules
from tetherai.ledger.contract import (
    Context,
    Contract,
    QueryContext,
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
        """Set-up: an org admin enrols a certificate for someone who holds no active key."""
        return people.enroll(ctx, certificate)

    @transaction
    def invite(self, ctx: Context, org: str, id: str, role: str) -> Result:
        """An org admin authorizes a person to enrol their own key (see accept_invitation)."""
        return people.invite(ctx, org, id, role)

    @transaction
    def accept_invitation(self, ctx: Context, certificate: str) -> Result:
        """The invited person enrols the certificate of their own new key, signing with it."""
        return people.accept_invitation(ctx, certificate)

    @transaction
    def add_key(self, ctx: Context, certificate: str, proof: str) -> Result:
        """A person enrols another key of their own, with proof they hold it."""
        return people.add_key(ctx, certificate, proof)

    @transaction
    def revoke(self, ctx: Context, cert_sha256: str, reason: str) -> Result:
        """An org admin, or the key's own holder, revokes a certificate; what it signed before
        stays valid. The last valid org admin certificate of an org cannot be revoked."""
        return people.revoke(ctx, cert_sha256, reason)

    @transaction
    def revoke_participant(
        self, ctx: Context, org: str, id: str, reason: str, reinvite: bool = False
    ) -> Result:
        """An org admin revokes every key of a person of their org; ``reinvite`` lets the
        person enrol a new key of their own (a password reset, re-enabling)."""
        return people.revoke_participant(ctx, org, id, reason, reinvite)

    @query
    def participant(self, ctx: QueryContext, org: str, id: str) -> Result:
        current = ctx.state.get(participant_key(org, id))
        if not isinstance(current, dict):
            raise NotFound(f"no participant {id}@{org}")
        return ctx.state.get(cert_key(str(current["cert_sha256"])))

    @query
    def participants(self, ctx: QueryContext) -> Result:
        return [value for _, value in ctx.state.scan("membership/cert/")]

    @query
    def keys(self, ctx: QueryContext, org: str, id: str) -> Result:
        """Every certificate enrolled for ``id@org`` (revoked ones say when and why)."""
        return people.certificates_of(ctx.state, org, id)

    @query
    def invitation(self, ctx: QueryContext, org: str, id: str) -> Result:
        """The pending invitation of ``id@org`` to enrol a key, or null."""
        return ctx.state.get(invitation_key(org, id))
