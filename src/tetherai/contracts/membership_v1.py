"""Membership version 1, frozen: channels made before channel governance run it, and their
blocks replay with it (DESIGN.md §3: each result records the version that ran it).

In this version any org admin alone adds an org or a peer of their own org and changes a
contract's version. A channel leaves it by ``upgrade_contract("membership", "2")`` (by any
org admin, as this version allows); from then on its channel changes are proposals
(``contracts.governance``). No channel can switch to it (``legacy``). Do not change it: the
results of the txs it ran are on ledgers, and the verifier replays them with this code. Its
genesis function is the one every version shares (``contracts._genesis``).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tetherai.contracts._common import Result
from tetherai.contracts._genesis import genesis
from tetherai.contracts.errors import Conflict, InvalidArgument, NotFound, NotPermitted
from tetherai.crypto.jcs import JSONValue
from tetherai.identity.certificate import (
    ParticipantIdentity,
    load_certificate_pem,
    parse_participant_certificate,
    verify_issued_by,
)
from tetherai.identity.errors import IdentityError
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context, Contract, QueryContext, query, transaction

__all__ = ["MembershipV1"]

CHANNEL_KEY = "membership/channel"


def _cert_key(cert_sha256: str) -> str:
    return f"membership/cert/{cert_sha256}"


def _org_key(org: str) -> str:
    return f"membership/org/{org}"


def _invitation_key(org: str, participant_id: str) -> str:
    return f"membership/invitation/{org}/{participant_id}"


def _participant_key(org: str, participant_id: str) -> str:
    return f"membership/participant/{org}/{participant_id}"


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class MembershipV1(Contract):
    """Membership as channels made before channel governance run it (frozen)."""

    name = "membership"
    version = "1"
    legacy = True

    @transaction
    def bootstrap(
        self,
        ctx: Context,
        channel: dict[str, Any],
        orgs: list[Any],
        participants: list[Any],
    ) -> Result:
        """Genesis (every channel's, whatever membership version it then runs)."""
        return genesis(ctx, channel, orgs, participants)

    @transaction
    def enroll(self, ctx: Context, certificate: str) -> Result:
        """An org admin enrols a participant certificate issued by their org's CA."""
        identity = _parse(certificate)
        _require_admin_of(ctx, identity.org)
        org = ctx.state.get(_org_key(identity.org))
        if not isinstance(org, dict):
            raise NotFound(f"org {identity.org} is not a member of this channel")
        _check_issued(certificate, str(org["ca_cert"]), ctx.block_ts)
        if ctx.state.get(_cert_key(identity.cert_sha256)) is not None:
            raise Conflict(f"certificate {identity.cert_sha256[:12]} is already enrolled")
        _enrol(ctx, certificate, identity, by=f"{ctx.creator.id}@{ctx.creator.org}")
        return {
            "cert_sha256": identity.cert_sha256,
            "org": identity.org,
            "id": identity.participant_id,
        }

    @transaction
    def invite(self, ctx: Context, org: str, id: str, role: str) -> Result:
        """An org admin authorizes a new participant to enrol their own key (see accept_invitation)."""
        _require_admin_of(ctx, org)
        try:
            Role(role)
        except ValueError:
            raise InvalidArgument(f"{role!r} is not a role") from None
        current = ctx.state.get(_participant_key(org, id))
        if isinstance(current, dict):
            # Re-inviting is how a participant who lost their key gets a new one: only once the
            # key they had is revoked.
            record = ctx.state.get(_cert_key(str(current["cert_sha256"])))
            if not isinstance(record, dict) or record.get("revoked") is None:
                raise Conflict(
                    f"{id}@{org} is already a participant; revoke their key first to re-key them"
                )
        ctx.state.put(
            _invitation_key(org, id),
            {
                "org": org,
                "id": id,
                "role": role,
                "by": f"{ctx.creator.id}@{ctx.creator.org}",
                "at": ctx.block_ts,
            },
        )
        return {"invited": f"{id}@{org}", "role": role}

    @transaction
    def accept_invitation(self, ctx: Context, certificate: str) -> Result:
        """The invited participant enrols the certificate of their own new key, signing with it."""
        identity = _parse(certificate)
        invitation = ctx.state.get(_invitation_key(identity.org, identity.participant_id))
        if not isinstance(invitation, dict) or invitation["role"] != identity.role:
            raise NotPermitted(
                f"there is no invitation for {identity.participant_id}@{identity.org} "
                f"as {identity.role}"
            )
        org = ctx.state.get(_org_key(identity.org))
        if not isinstance(org, dict):
            raise NotFound(f"org {identity.org} is not a member of this channel")
        _check_issued(certificate, str(org["ca_cert"]), ctx.block_ts)
        _enrol(ctx, certificate, identity, by=str(invitation["by"]))
        ctx.state.delete(_invitation_key(identity.org, identity.participant_id))
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
        identity = _parse(certificate)
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
        org = ctx.state.get(_org_key(identity.org))
        if not isinstance(org, dict):
            raise NotFound(f"org {identity.org} is not a member of this channel")
        _check_issued(certificate, str(org["ca_cert"]), ctx.block_ts)
        if ctx.state.get(_cert_key(identity.cert_sha256)) is not None:
            raise Conflict(f"certificate {identity.cert_sha256[:12]} is already enrolled")
        _enrol(ctx, certificate, identity, by=f"{creator.id}@{creator.org}")
        return {"cert_sha256": identity.cert_sha256}

    @transaction
    def add_org(self, ctx: Context, org: str, ca_cert: str, admin: str | None = None) -> Result:
        """An org admin brings another org (and its CA) into the channel.

        ``admin``, a certificate of an org admin issued by the new CA, is enrolled in the same
        tx: without one nobody of the new org could sign (enrolling needs an admin of the org).
        """
        if ctx.creator.role != Role.ORG_ADMIN:
            raise NotPermitted(f"only an org admin may add an org; you are {ctx.creator.role}")
        if ctx.state.get(_org_key(org)) is not None:
            raise Conflict(f"org {org} is already a member of this channel")
        try:
            ca = load_certificate_pem(_load_pem(ca_cert, "ca_cert").encode())
        except IdentityError as error:
            raise InvalidArgument(f"ca_cert refused: {error.message}") from error
        if ca.subject != ca.issuer:
            raise InvalidArgument("ca_cert must be the org's self-signed CA certificate")
        by = f"{ctx.creator.id}@{ctx.creator.org}"
        ctx.state.put(_org_key(org), {"org": org, "ca_cert": ca_cert, "added_by": by})
        if admin is None:
            return {"org": org}
        identity = _parse(admin)
        if identity.org != org or identity.role != Role.ORG_ADMIN:
            raise InvalidArgument(f"admin must be a certificate of an org admin of {org}")
        _check_issued(admin, ca_cert, ctx.block_ts)
        _enrol(ctx, admin, identity, by=by)
        return {"org": org, "admin": f"{identity.participant_id}@{org}"}

    @transaction
    def add_peer(self, ctx: Context, name: str, public_key: str) -> Result:
        """An org admin adds a peer of their own org to the channel configuration.

        Its cosignatures count, and the cluster counts it among the channel's peers, from the
        next block on. A peer is named ``<node>.<org>`` (``peer0.Org4``), as the cluster names
        them, so a name never suggests another org's node.
        """
        org = ctx.creator.org
        _require_admin_of(ctx, org)
        if ctx.state.get(_org_key(org)) is None:
            raise NotFound(f"org {org} is not a member of this channel")
        text_field(name, "name")
        if not name.endswith(f".{org}") or name == f".{org}":
            raise InvalidArgument(f"a peer of {org} is named <node>.{org}, e.g. peer0.{org}")
        raw = _decode_node_key(public_key, name)
        config = ctx.state.get(CHANNEL_KEY)
        if not isinstance(config, dict):
            raise NotFound("the channel is not bootstrapped")
        peers = list(config["peers"])  # type: ignore[arg-type]
        for node in [*config["orderers"], *peers]:  # type: ignore[misc]
            if not isinstance(node, dict):
                continue
            if node.get("name") == name:
                raise Conflict(f"{name} is already a node of this channel")
            if base64.b64decode(str(node.get("public_key"))) == raw:
                raise Conflict(f"that key is already {node.get('name')}'s")
        peers.append({"name": name, "org": org, "public_key": public_key})
        ctx.state.put(CHANNEL_KEY, config | {"peers": peers})
        return {"peer": name, "org": org}

    @transaction
    def upgrade_contract(self, ctx: Context, contract: str, version: str) -> Result:
        """Make ``version`` of ``contract`` the one that runs from the next tx on.

        Every peer must have that version installed; the verifier replays older blocks with
        the version that ran them, which the tx results record.
        """
        if ctx.creator.role != Role.ORG_ADMIN:
            raise NotPermitted(
                f"only an org admin may upgrade contracts; you are {ctx.creator.role}"
            )
        config = ctx.state.get(CHANNEL_KEY)
        if not isinstance(config, dict):
            raise NotFound("the channel is not bootstrapped")
        contracts = dict(config["contracts"])  # type: ignore[arg-type]
        if contracts.get(contract) == version:
            raise Conflict(f"{contract} v{version} is already active")
        contracts[contract] = text_field(version, "version")
        ctx.state.put(CHANNEL_KEY, config | {"contracts": contracts})
        return {"contract": contract, "version": version}

    @transaction
    def revoke(self, ctx: Context, cert_sha256: str, reason: str) -> Result:
        """An org admin revokes a certificate of their org; what it signed before stays valid."""
        record = ctx.state.get(_cert_key(cert_sha256))
        if not isinstance(record, dict):
            raise NotFound(f"no enrolled certificate {cert_sha256[:12]}")
        _require_admin_of(ctx, str(record["org"]))
        if record.get("revoked") is not None:
            raise Conflict(f"certificate {cert_sha256[:12]} is already revoked")
        if not reason.strip() or len(reason) > 500:
            raise InvalidArgument("give a reason of 1 to 500 characters")
        record = dict(record)
        record["revoked"] = {
            "block": ctx.block_number,
            "ts": ctx.block_ts,
            "by": f"{ctx.creator.id}@{ctx.creator.org}",
            "reason": reason,
        }
        ctx.state.put(_cert_key(cert_sha256), record)
        return {"revoked": cert_sha256}

    @query
    def channel(self, ctx: QueryContext) -> Result:
        """The channel configuration: orderers and peers with their keys, contract versions."""
        config = ctx.state.get(CHANNEL_KEY)
        if not isinstance(config, dict):
            raise NotFound("the channel is not bootstrapped")
        return config

    @query
    def participant(self, ctx: QueryContext, org: str, id: str) -> Result:
        current = ctx.state.get(_participant_key(org, id))
        if not isinstance(current, dict):
            raise NotFound(f"no participant {id}@{org}")
        return ctx.state.get(_cert_key(str(current["cert_sha256"])))

    @query
    def participants(self, ctx: QueryContext) -> Result:
        return [value for _, value in ctx.state.scan("membership/cert/")]


def _decode_node_key(value: object, name: str) -> bytes:
    """A node's key: a raw Ed25519 public key in base64."""
    try:
        raw = base64.b64decode(str(value), validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as error:
        raise InvalidArgument(
            f"bad public key for {name}: a base64 Ed25519 key is needed"
        ) from error
    return raw


def text_field(value: str, what: str) -> str:
    if not value or len(value) > 64 or not value.replace(".", "").replace("-", "").isalnum():
        raise InvalidArgument(f"{what} must be 1-64 letters, digits, dots or dashes")
    return value


def _load_pem(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("-----BEGIN CERTIFICATE-----"):
        raise InvalidArgument(f"{what} must be a PEM certificate")
    return value


def _parse(pem: object) -> ParticipantIdentity:
    text = _load_pem(pem, "certificate")
    try:
        return parse_participant_certificate(load_certificate_pem(text.encode()))
    except IdentityError as error:
        raise InvalidArgument(f"certificate refused: {error.message}") from error


def _check_issued(pem: str, ca_pem: str, block_ts: int) -> None:
    try:
        verify_issued_by(
            load_certificate_pem(pem.encode()),
            load_certificate_pem(ca_pem.encode()),
            at=_at(block_ts),
        )
    except IdentityError as error:
        raise InvalidArgument(f"certificate refused: {error.message}") from error


def _record(
    pem: str, identity: ParticipantIdentity, *, by: str, block_ts: int
) -> dict[str, JSONValue]:
    return {
        "cert": pem,
        "cert_sha256": identity.cert_sha256,
        "org": identity.org,
        "id": identity.participant_id,
        "role": str(identity.role),
        "enrolled_by": by,
        "enrolled_at": block_ts,
        "revoked": None,
    }


def _enrol(ctx: Context, pem: str, identity: ParticipantIdentity, *, by: str) -> None:
    ctx.state.put(
        _cert_key(identity.cert_sha256), _record(pem, identity, by=by, block_ts=ctx.block_ts)
    )
    ctx.state.put(
        _participant_key(identity.org, identity.participant_id),
        {"cert_sha256": identity.cert_sha256, "role": str(identity.role)},
    )


def _require_admin_of(ctx: Context, org: str) -> None:
    if ctx.creator.role != Role.ORG_ADMIN or ctx.creator.org != org:
        raise NotPermitted(
            f"only an org admin of {org} may do this; you are {ctx.creator.role} of {ctx.creator.org}"
        )
